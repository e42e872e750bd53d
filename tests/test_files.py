"""Safe writes: a file or a set of files is complete or absent, never half-written."""

import os

import pytest

from tf_transforms import files


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


def test_temporaries_are_named_per_process_and_keep_the_extension(tmp_path):
  with files.atomic_output(str(tmp_path / "model.keras")) as temporary:
    assert os.path.basename(temporary) == f".tmp-{os.getpid()}-model.keras"
    open(temporary, "w").write("x")


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
