"""Safe writes: a file or a set of files is complete or absent, never half-written."""

import os

import pytest

from tf_transforms.core import files
from tf_transforms.core.errors import RunError


def test_atomic_output_replaces_only_on_success(tmp_path):
  path = str(tmp_path / "result.txt")
  files.write_text(path, "old")
  with pytest.raises(RuntimeError):
    with files.atomic_output(path) as temporary:
      open(temporary, "w").write("half")
      raise RuntimeError("interrupted")
  assert open(path).read() == "old" and os.listdir(tmp_path) == ["result.txt"]
  with pytest.raises(FileExistsError, match="pass --overwrite"):
    files.write_text(path, "new", overwrite=False)
  files.write_text(path, "new")
  assert open(path).read() == "new"


def test_temporaries_are_unique_per_writer_and_keep_the_extension(tmp_path):
  target = str(tmp_path / "model.keras")
  with files.atomic_output(target) as first, files.atomic_output(target) as second:
    assert first != second
    for temporary in (first, second):
      assert os.path.basename(temporary).startswith(f".tmp-{os.getpid()}-")
      assert temporary.endswith("-model.keras")
      open(temporary, "w").write("x")


def test_concurrent_directory_writers_never_mix(tmp_path):
  """Two exports of one version at once: the first to finish lands, the second
  is refused whole -- the version never holds files of both."""
  target = str(tmp_path / "7")
  with pytest.raises(FileExistsError, match="written by another process meanwhile"):
    with files.atomic_output(target, overwrite=False) as slow:
      with files.atomic_output(target, overwrite=False) as fast:
        os.makedirs(fast)
        open(os.path.join(fast, "saved_model.pb"), "w").write("fast")
      os.makedirs(slow)
      open(os.path.join(slow, "saved_model.pb"), "w").write("slow")
  assert os.listdir(target) == ["saved_model.pb"]
  assert open(os.path.join(target, "saved_model.pb")).read() == "fast"
  assert os.listdir(tmp_path) == ["7"]                     # no temporary left behind


def test_a_directory_is_never_replaced(tmp_path):
  target = tmp_path / "1"
  with files.atomic_output(str(target), overwrite=False) as temporary:
    os.makedirs(temporary)
    open(os.path.join(temporary, "saved_model.pb"), "w").write("v1")
  with pytest.raises(FileExistsError):
    with files.atomic_output(str(target), overwrite=False) as temporary:
      pass
  assert open(target / "saved_model.pb").read() == "v1"


def test_a_staged_set_lands_whole_or_not_at_all(tmp_path):
  out = tmp_path / "out"
  with files.staged_directory(str(out)) as staging:
    files.write_text(os.path.join(staging, "table.md"), "old table")
    files.write_text(os.path.join(staging, "run", "a.wav"), "old audio")
  with pytest.raises(RuntimeError):
    with files.staged_directory(str(out)) as staging:
      files.write_text(os.path.join(staging, "run", "a.wav"), "new audio")
      raise RuntimeError("the evaluation failed half-way")
  assert (out / "table.md").read_text() == "old table"
  assert (out / "run" / "a.wav").read_text() == "old audio"
  assert sorted(os.listdir(out)) == ["run", "table.md"]          # no staging left behind
  with files.staged_directory(str(out)) as staging:
    files.write_text(os.path.join(staging, "table.md"), "new table")
  assert (out / "table.md").read_text() == "new table"
  assert (out / "run" / "a.wav").read_text() == "old audio"


def test_an_unfinished_run_is_named_without_tensorflow(tmp_path):
  """run_files' check (evaluate.py calls it before TensorFlow starts) names what is
  missing; remote paths are left to run.load_run, which checks them with tf.io.gfile."""
  from tf_transforms.training import run_files
  (tmp_path / "run_config.json").write_text("{}")
  with pytest.raises(RunError, match=r"missing model.keras, styles.json -- is it a finished"):
    run_files.check_finished(str(tmp_path))
  for name in ("model.keras", "styles.json"):
    (tmp_path / name).write_text("")
  run_files.check_finished(str(tmp_path))
  run_files.check_finished("gs://bucket/run")
  with pytest.raises(RunError, match="missing model.keras"):
    run_files.check_finished("gs://bucket/run", exists=lambda path: False)
  with pytest.raises(RunError, match="give at least one --model_dir"):
    run_files.check_model_dirs([])


def test_a_staged_set_replaces_the_previous_set_and_dead_stagings_are_removed(tmp_path):
  """With a manifest, files of the previous set that the new one lacks go
  (two runs' outputs never mix under --overwrite); a staging folder left by a
  killed process (a PID that no longer exists) is removed by the next one."""
  import subprocess
  out = tmp_path / "out"
  with files.staged_directory(str(out), manifest=".set.json") as staging:
    os.makedirs(os.path.join(staging, "run_a"))
    for name in ("table.md", "figure_run_a.png", os.path.join("run_a", "x.wav")):
      open(os.path.join(staging, name), "w").write("a")
  dead = subprocess.Popen(["true"])
  dead.wait()
  (out / f".tmp-{dead.pid}-staging").mkdir()
  with files.staged_directory(str(out), manifest=".set.json") as staging:
    open(os.path.join(staging, "table.md"), "w").write("b")
    open(os.path.join(staging, "figure_run_b.png"), "w").write("b")
  assert sorted(os.listdir(out)) == [".set.json", "figure_run_b.png", "table.md"]
  assert (out / "table.md").read_text() == "b"
