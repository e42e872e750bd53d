"""train.py: run configs, refusing mixed runs, NaN guard, kill-and-resume, summaries."""

import dataclasses
import glob
import os
import re
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from tests.commands import run_command, tiny_notes_command, without_tensorflow
from tf_transforms.core.configs import AudioConfig, ModelConfig
from tf_transforms.core.errors import DivergedError, RunError
from tf_transforms.training import loop
from tf_transforms.training import run as runs
from tf_transforms.training import run_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


train_command = tiny_notes_command  # (model_dir, data_dir, *extra)
run = run_command


def test_run_config_json_round_trip_and_overrides():
  run_config = runs.make_run_config(dataset="tts_words", preset="tiny", model="las",
                                        steps=10, batch_size=4, learning_rate=5e-4,
                                        context_ms=50.0, seed=3)
  assert run_config.model.method == "las" and run_config.model.context_frames == 4
  assert run_config.training.batch_size == 4 and run_config.training.learning_rate == 5e-4
  assert runs.RunConfig.from_json(run_config.to_json()) == run_config
  with pytest.raises(ValueError, match="--steps or --epochs"):
    runs.make_run_config(steps=5, epochs=2)


def test_auto_head_is_direct_for_words_and_the_method_default_for_notes(tmp_path):
  """Words need the target speaker's pitch (configs.SPEECH_OUTPUT_HEAD); an
  explicit --output_head wins; what is stored names the head."""
  words = runs.make_run_config(dataset="tts_words", preset="tiny")
  assert words.model.output_head == "direct"
  assert runs.RunConfig.from_json(words.to_json()) == words
  assert runs.make_run_config(dataset="timit", model="las").model.output_head == "direct"
  notes = runs.make_run_config(dataset="gm_notes", preset="tiny")
  assert notes.model.output_head == "harmonic_levels"
  chosen = runs.make_run_config(dataset="tts_words", output_head="partial_levels")
  assert chosen.model.output_head == "partial_levels"


def test_envelope_coefficients_override_and_refusal():
  """--envelope_coefficients reaches the model and is stored; a value the
  head cannot serve is refused before any work, naming the setting."""
  run_config = runs.make_run_config(dataset="tts_words", output_head="source_warp",
                                    envelope_coefficients=24)
  assert run_config.model.envelope_coefficients == 24
  assert runs.RunConfig.from_json(run_config.to_json()) == run_config
  assert runs.make_run_config().model.envelope_coefficients == 12          # the preset's
  with pytest.raises(runs.RunError, match="envelope_coefficients must be in"):
    runs.make_run_config(output_head="source_warp", envelope_coefficients=81)


@pytest.mark.parametrize("context_ms, frames", [(12.5, 1), (25, 2), (50, 4), (100, 8), (200, 16)])
def test_table_3_context_sizes(context_ms, frames):
  assert runs.context_frames(context_ms, AudioConfig()) == frames


def test_context_must_be_whole_hops():
  with pytest.raises(ValueError, match="multiple of 12.5 ms"):
    runs.context_frames(30, AudioConfig())


def test_model_dir_with_another_run_is_refused_and_differences_named(tmp_path):
  first = runs.RunConfig(model=ModelConfig(num_styles=3))
  runs.check_model_dir(str(tmp_path), first)
  runs.check_model_dir(str(tmp_path), first)  # same run: fine (resume)
  (tmp_path / "backup").mkdir()
  (tmp_path / "backup" / "training_metadata.json").write_text('{"epoch": 1, "batch": 0}')
  other = runs.RunConfig(model=ModelConfig(num_styles=3), seed=1)
  with pytest.raises(RunError, match=r"(?s)refusing to mix.*seed: 0 -> 1"):
    runs.check_model_dir(str(tmp_path), other)


def test_a_start_that_saved_no_checkpoint_does_not_lock_its_configuration(tmp_path, capsys):
  """The NaN guard says "lower --learning_rate and rerun": that rerun is accepted."""
  failed = runs.RunConfig(model=ModelConfig(num_styles=3))
  runs.check_model_dir(str(tmp_path), failed)
  corrected = dataclasses.replace(
      failed, training=dataclasses.replace(failed.training, learning_rate=1e-4))
  runs.check_model_dir(str(tmp_path), corrected)
  assert "replacing the configuration" in capsys.readouterr().out
  saved = runs.RunConfig.from_json((tmp_path / "run_config.json").read_text())
  assert saved == corrected


def test_model_dir_lock_refuses_a_second_holder_and_names_the_first(tmp_path):
  with run_files.model_dir_lock(str(tmp_path / "run")):
    with pytest.raises(RunError, match=rf"in use by another train.py process \(PID {os.getpid()}\)"):
      with run_files.model_dir_lock(str(tmp_path / "run")):
        pass
  with run_files.model_dir_lock(str(tmp_path / "run")):  # released: free again
    pass


def test_a_run_still_training_is_not_read_as_finished(tmp_path):
  """A finished run continued to more steps holds its old model.keras until
  the training replaces it: evaluate.py and export.py must not read it."""
  model_dir = tmp_path / "run"
  model_dir.mkdir()
  for name in run_files.FINISHED_RUN_FILES:
    (model_dir / name).write_text("{}")
  with run_files.model_dir_lock(str(model_dir)):
    with pytest.raises(RunError, match=r"in use by another train.py process"):
      run_files.check_finished(str(model_dir))
  run_files.check_finished(str(model_dir))  # released: readable


def test_a_second_train_py_on_a_busy_model_dir_is_refused_in_one_line(tmp_path):
  model_dir = str(tmp_path / "run")
  with run_files.model_dir_lock(model_dir):
    result = subprocess.run(
        [sys.executable, "train.py", "--dataset_config=small", "--preset=tiny", "--steps=2",
         f"--model_dir={model_dir}", f"--data_dir={tmp_path / 'tfds'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=without_tensorflow(tmp_path))  # refused before TensorFlow starts up
  assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
  assert f"in use by another train.py process (PID {os.getpid()})" in result.stderr
  assert os.listdir(model_dir) == [run_files.LOCK_FILE]  # nothing else written
  assert not (tmp_path / "tfds").exists()  # refused before any work


def test_missing_init_from_is_refused_before_anything_is_written(tmp_path):
  run = runs.make_run_config(preset="tiny", steps=2, init_from=str(tmp_path / "no.keras"))
  with pytest.raises(RunError, match="--init_from=.*no such file"):
    loop.train(run, str(tmp_path / "run"))
  assert not (tmp_path / "run").exists()


def test_a_start_that_fails_leaves_a_new_model_dir_absent(tmp_path):
  run = runs.make_run_config(dataset="gm_notes", preset="tiny", steps=2,
                                 soundfont=str(tmp_path / "missing.sf2"))
  with pytest.raises(RunError, match="missing.sf2: no such SoundFont"):
    loop.train(run, str(tmp_path / "run"), data_dir=str(tmp_path / "tfds"))
  assert not (tmp_path / "run").exists()


def test_nan_guard_raises_instead_of_letting_a_checkpoint_be_saved():
  guard = loop.NaNGuard()
  model = keras.Sequential([keras.layers.Dense(1)])
  model.compile(optimizer="adam", loss="mse")
  model.build((None, 1))
  guard.set_model(model)
  guard.on_train_batch_end(0, {"loss": 0.5})
  with pytest.raises(DivergedError, match="loss became nan at step 0"):
    guard.on_train_batch_end(1, {"loss": float("nan")})


@pytest.fixture(scope="module")
def data_dir(tfds_dir):
  return tfds_dir


@pytest.mark.slow
def test_killed_run_resumes_where_it_stopped_and_matches_an_uninterrupted_run(
    tmp_path, data_dir, request, capsys):
  resumed_dir = str(tmp_path / "resumed")

  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
  process = subprocess.Popen(train_command(resumed_dir, data_dir), cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  metadata = os.path.join(resumed_dir, "backup", "training_metadata.json")
  deadline = time.time() + 600
  while not os.path.exists(metadata) and time.time() < deadline and process.poll() is None:
    time.sleep(0.05)
  process.send_signal(signal.SIGKILL)  # no chance to clean up, as a crash or preemption
  process.wait()
  assert not os.path.exists(os.path.join(resumed_dir, "model.keras")), "finished too early"

  resumed = run(train_command(resumed_dir, data_dir))
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  assert "resuming at step 15" in resumed.stdout

  # The uninterrupted reference: the shared run, trained by the same command. Asked
  # for only now, so that this test's trainings overlap the other worker's build of it.
  reference_dir = request.getfixturevalue("tiny_notes_run")

  a = keras.saving.load_model(os.path.join(reference_dir, "model.keras"))
  b = keras.saving.load_model(os.path.join(resumed_dir, "model.keras"))
  assert int(b.optimizer.iterations.numpy()) == int(a.optimizer.iterations.numpy()) == 30
  # The schedule was not restarted: both decayed by the same number of data epochs.
  assert float(b.optimizer.learning_rate.numpy()) == pytest.approx(
      float(a.optimizer.learning_rate.numpy()), rel=1e-7)
  for wa, wb in zip(a.weights, b.weights):
    np.testing.assert_allclose(wb.numpy(), wa.numpy(), atol=1e-6, err_msg=wa.path)

  # Completed: a rerun is a no-op (in-process: the same flags make the same RunConfig,
  # or the directory would refuse it).
  capsys.readouterr()
  loop.train(runs.make_run_config(dataset="gm_notes", dataset_config="small",
                                      preset="tiny", steps=30, checkpoint_every=15),
                 resumed_dir, data_dir=data_dir, verbose=0)
  assert "resuming at step 30" in capsys.readouterr().out
  # (Another configuration in this directory is refused: in-process, in
  # test_model_dir_with_another_run_is_refused_and_differences_named.)

  from tensorboard.backend.event_processing import event_accumulator
  events = event_accumulator.EventAccumulator(
      os.path.join(resumed_dir, "logs", "samples"),
      size_guidance={event_accumulator.IMAGES: 0, event_accumulator.AUDIO: 0,
                     event_accumulator.TENSORS: 0})
  events.Reload()
  tags = set(events.Tags()["tensors"])
  assert {"spectrogram/input", "spectrogram/target", "spectrogram/prediction",
          "prediction"} <= tags
  assert glob.glob(os.path.join(resumed_dir, "logs", "train", "events.*"))
  assert os.path.exists(os.path.join(resumed_dir, "styles.json"))


def free_port():
  import socket
  with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    return sock.getsockname()[1]


@pytest.mark.slow
def test_multi_worker_training_with_two_local_processes(tmp_path, data_dir):
  """Two workers on 127.0.0.1 (TF_CONFIG): global batch 8 = 2 replicas x 4; the
  workers stay in lockstep and end with the same weights; only the chief
  writes the run's files and TensorBoard logs."""
  import json
  cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
  model_dir = str(tmp_path / "run")
  processes = []
  for index in range(2):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT,
               TF_CONFIG=json.dumps({"cluster": cluster,
                                     "task": {"type": "worker", "index": index}}))
    command = [sys.executable, "train.py", "--dataset=gm_notes", "--dataset_config=small",
               "--preset=tiny", "--steps=6", "--checkpoint_every=6", "--batch_size=8",
               "--strategy=multi_worker", f"--model_dir={model_dir}", f"--data_dir={data_dir}"]
    processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
  outputs = [p.communicate(timeout=900)[0] for p in processes]
  for process, output in zip(processes, outputs):
    assert process.returncode == 0, output[-3000:]
    assert "global batch 8 over 2 replica(s)" in output
  chief = keras.saving.load_model(os.path.join(model_dir, "model.keras"))
  other = keras.saving.load_model(os.path.join(model_dir, "workers", "worker1", "model.keras"))
  assert int(chief.optimizer.iterations.numpy()) == int(other.optimizer.iterations.numpy()) == 6
  for a, b in zip(chief.weights, other.weights):
    np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
  assert sorted(os.listdir(os.path.join(model_dir, "workers"))) == ["worker1"]
  # TensorBoard logs are the chief's alone.
  assert os.path.isdir(os.path.join(model_dir, "logs", "samples"))
  assert not os.path.exists(os.path.join(model_dir, "workers", "worker1", "logs"))
  assert os.path.exists(os.path.join(model_dir, "run_config.json"))
  assert not os.path.exists(os.path.join(model_dir, "workers", "worker1", "run_config.json"))


def test_init_from_copies_every_matching_weight_of_a_finished_run(tiny_notes_run, capsys):
  """A model built here names its variables under the model's name, one loaded
  from model.keras does not: --init_from must match them anyway. A layer whose
  shape differs (another style vocabulary) keeps its fresh weights."""
  finished = keras.saving.load_model(os.path.join(tiny_notes_run, "model.keras"))
  config = runs.RunConfig.from_json(open(os.path.join(tiny_notes_run, "run_config.json")).read())
  from tf_transforms.model import transform_model
  same = transform_model.build_model(config.model, config.audio)
  loop._initialise_from(same, os.path.join(tiny_notes_run, "model.keras"))
  assert "kept fresh: none" in capsys.readouterr().out
  for mine, theirs in zip(same.weights, finished.weights):
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy(), err_msg=mine.path)
  other = transform_model.build_model(dataclasses.replace(config.model,
                                                 num_styles=config.model.num_styles + 1),
                             config.audio)
  loop._initialise_from(other, os.path.join(tiny_notes_run, "model.keras"))
  kept = capsys.readouterr().out.split("kept fresh: ")[1]
  assert "source_conditioning" in kept or "decoder/cell" in kept
  assert "conv_front_end/filterbank/kernel" not in kept


def test_validation_is_one_fixed_set_of_every_valid_pair_batched_by_length(tfds_dir):
  from tf_transforms.data import pipeline
  index = pipeline.load_index("tts_words", data_dir=tfds_dir, config="small")
  run = runs.make_run_config(dataset="tts_words", preset="tiny")
  valid, first = loop.validation_dataset(index, run, batch_size=4)

  def rows():
    return np.concatenate([np.stack([b["source_row"], b["target_row"]], 1) for b in valid])

  once, again = rows(), rows()
  np.testing.assert_array_equal(once, again)             # the same batches every checkpoint
  assert sorted(map(tuple, once)) == sorted(map(tuple, pipeline.sample_pairs(index, "valid",
                                                                         seed=run.seed)))
  assert int(valid.cardinality()) == -(-len(once) // 4)  # declared: Keras knows the end
  np.testing.assert_array_equal(first["source_row"], once[:len(first["source_row"]), 0])


def test_print_config_shows_what_the_run_stores_and_writes_nothing(tiny_notes_run, tfds_dir,
                                                                   tmp_path):
  """``train.py --print_config`` with the tiny run's flags prints the
  run_config.json that run wrote (every default resolved; num_styles comes
  from the data), starts no training and creates no directory."""
  import json
  model_dir = tmp_path / "never"
  shown = run_command(tiny_notes_command(str(model_dir), tfds_dir, "--print_config"))
  assert shown.returncode == 0, shown.stderr[-2000:]
  printed = json.loads(shown.stdout)
  stored = json.load(open(os.path.join(tiny_notes_run, "run_config.json")))
  printed["model"].pop("num_styles"), stored["model"].pop("num_styles")
  assert printed == stored
  assert '"auto"' not in shown.stdout
  assert not model_dir.exists()


def test_init_from_a_run_directory_means_its_model_keras_and_damaged_files_are_one_line(
    tiny_notes_run, tmp_path):
  """--init_from=<a finished run's directory> is its model.keras; a directory
  without one, a cut-off model.keras and a cut-off run_config.json are refused
  in one line naming the file (before 0.11: tracebacks, "File not found")."""
  assert run_files.resolve_init_from(tiny_notes_run) == os.path.join(tiny_notes_run,
                                                                      "model.keras")
  with pytest.raises(RunError, match="a directory without model.keras"):
    run_files.resolve_init_from(str(tmp_path))
  cut = tmp_path / "cut"
  cut.mkdir()
  for name in ("run_config.json", "styles.json", "model.keras"):
    data = open(os.path.join(tiny_notes_run, name), "rb").read()
    (cut / name).write_bytes(data[:len(data) // 2] if name == "model.keras" else data)
  with pytest.raises(RunError, match=r"model.keras: not a complete .keras file"):
    runs.load_run(str(cut))
  (cut / "model.keras").write_bytes(open(os.path.join(tiny_notes_run, "model.keras"),
                                         "rb").read())
  text = (cut / "run_config.json").read_text()
  (cut / "run_config.json").write_text(text[:len(text) // 2])
  with pytest.raises(RunError, match=r"run_config.json: not a readable run configuration"):
    runs.load_run(str(cut))


@pytest.mark.parametrize("tf_config, message", [
    (None, "set TF_CONFIG"),
    ("{not json", "TF_CONFIG is not JSON"),
    ('{"task": {"type": "worker", "index": 0}}', 'no "cluster"'),
    ('{"cluster": {"worker": ["localhost:1"]}}', 'no "task"'),
    ('{"cluster": {"worker": ["localhost:1"]}, "task": {"type": "chief", "index": 0}}',
     "'chief' is not in the cluster"),
    ('{"cluster": {"worker": ["localhost:1"]}, "task": {"type": "worker", "index": 3}}',
     "index 3 out of range for 1 worker"),
])
def test_a_malformed_tf_config_is_one_line(tf_config, message):
  with pytest.raises(RunError, match=message):
    run_files.check_tf_config(tf_config)
  run_files.check_tf_config('{"cluster": {"worker": ["a:1", "b:2"]}, '
                            '"task": {"type": "worker", "index": 1}}')


def test_a_symbolic_link_loop_as_model_dir_is_one_line(tmp_path):
  (tmp_path / "loop").symlink_to(tmp_path / "loop")
  with pytest.raises(RunError, match="broken or looping symbolic link"):
    run_files.check_writable_directory(str(tmp_path / "loop" / "run"), "--model_dir")


def test_sigterm_ends_training_in_one_line_saying_where_a_rerun_resumes(tfds_dir, tmp_path):
  """SIGTERM (as Ctrl-C) after the first checkpoint: train.py exits with one
  line naming the step a rerun of the same command resumes at, no traceback."""
  model_dir = str(tmp_path / "run")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
  process = subprocess.Popen(tiny_notes_command(model_dir, tfds_dir, "--steps=3000"), cwd=ROOT,
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
  metadata = os.path.join(model_dir, "backup", "training_metadata.json")
  deadline = time.time() + 600
  while not os.path.exists(metadata) and time.time() < deadline and process.poll() is None:
    time.sleep(0.05)
  process.send_signal(signal.SIGTERM)
  _, stderr = process.communicate(timeout=300)
  assert process.returncode == 130, stderr[-3000:]
  assert "Traceback" not in stderr
  assert re.search(r"train.py: interrupted; rerun the same command to resume at step \d+", stderr)
