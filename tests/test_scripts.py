"""The top-level scripts parse their flags; the front-end demo runs end to end."""

import os
import subprocess
import sys

import numpy as np
import pytest

from tests.commands import without_tensorflow
from tf_transforms.signal import audio_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, env=None):
  env = env or dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
  return subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("script, flag", [("train.py", "--dataset"),
                                          ("evaluate.py", "--model_dir")])
def test_scripts_parse_flags(script, flag):
  result = run(script, "--helpshort")  # absl's help exits 1 by design
  assert flag in result.stdout, result.stderr
  bad = run(script, "--dataset=not_a_dataset")
  assert bad.returncode != 0 and "not_a_dataset" in bad.stderr


@pytest.mark.parametrize("script, arguments, flag", [
    ("train.py", ["--steps=-5"], "--steps"), ("train.py", ["--steps=0"], "--steps"),
    ("train.py", ["--epochs=-1"], "--epochs"), ("train.py", ["--epochs=0"], "--epochs"),
    ("train.py", ["--checkpoint_every=0"], "--checkpoint_every"),
    ("train.py", ["--checkpoint_every=-1"], "--checkpoint_every"),
    ("train.py", ["--batch_size=0"], "--batch_size"),
    ("train.py", ["--batch_size=-1"], "--batch_size"),
    ("train.py", ["--learning_rate=0"], "--learning_rate"),
    ("train.py", ["--context_ms=-12.5"], "--context_ms"),
    ("evaluate.py", ["--model_dir=x", "--max_pairs=0"], "--max_pairs"),
    ("export.py", ["--model_dir=x", "--max_seconds=-1"], "--max_seconds"),
    ("export.py", ["--model_dir=x", "--max_seconds=1000000"], "--max_seconds must be in (0, 600]"),
    ("export.py", ["--model_dir=x", "--version=-3"], "--version"),
    ("export.py", ["--model_dir=x", "--griffin_lim_iters=0"], "--griffin_lim_iters"),
    ("export.py", ["--model_dir=x", "--griffin_lim_coarse_iters=-1"],
     "--griffin_lim_coarse_iters"),
])
def test_out_of_range_numbers_are_refused_before_anything_is_written(tmp_path, script,
                                                                     arguments, flag):
  model_dir = tmp_path / "run"
  extra = [f"--model_dir={model_dir}"] if script == "train.py" else []
  result = run(script, *arguments, *extra)
  assert result.returncode != 0
  assert flag in result.stderr and "Traceback" not in result.stderr, result.stderr
  assert not model_dir.exists()


def test_evaluate_without_a_model_dir_says_what_is_missing():
  result = run("evaluate.py")
  assert result.returncode != 0 and "give at least one --model_dir" in result.stderr
  assert "Traceback" not in result.stderr


def test_evaluate_on_an_unfinished_run_names_the_missing_files(tmp_path):
  (tmp_path / "run_config.json").write_text("{}")
  result = run("evaluate.py", f"--model_dir={tmp_path}")
  assert result.returncode != 0
  assert "missing model.keras, styles.json" in result.stderr
  assert "Traceback" not in result.stderr
  # The traceback is still there for whoever asks (bugs are reported with it).
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT, TF_TRANSFORMS_TRACEBACK="1")
  traced = subprocess.run([sys.executable, "evaluate.py", f"--model_dir={tmp_path}"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
  assert traced.returncode != 0 and "Traceback" in traced.stderr


def test_warm_cache_needs_a_started_run_and_says_so_before_tensorflow(tmp_path):
  env = without_tensorflow(tmp_path)
  result = run("evaluate.py", "--warm_cache", f"--model_dir={tmp_path / 'nothing'}", env=env)
  assert result.returncode != 0 and "Traceback" not in result.stderr
  assert "no run_config.json -- --warm_cache needs a run train.py has started" in result.stderr
  both = run("evaluate.py", "--warm_cache", "--model_dir=a", "--model_dir=b", env=env)
  assert both.returncode != 0 and "give exactly one --model_dir" in both.stderr


@pytest.mark.slow
def test_resynthesis_demo_writes_audio_and_refuses_to_overwrite(tmp_path):
  output = str(tmp_path / "out.wav")
  result = run("examples/resynthesize.py", f"--output={output}")
  assert result.returncode == 0, result.stderr
  assert "MCD (WORLD envelope -> sp2mc" in result.stdout
  mcd = float(result.stdout.split("ESPnet1 mcd_calculate.py)):")[1].split()[0])
  assert 0.0 < mcd < 8.0  # the vocoder round trip: 3.3 dB when measured
  waveform = audio_files.read_audio(output)
  assert len(waveform) == 24000 and np.abs(waveform).max() > 0.05
  # Refused before TensorFlow starts (importing it fails here), in one line.
  again = run("examples/resynthesize.py", f"--output={output}", env=without_tensorflow(tmp_path))
  assert again.returncode != 0 and "Traceback" not in again.stderr, again.stderr[-2000:]
  assert f"--output={output}: already exists; pass --overwrite" in again.stderr


@pytest.mark.parametrize("script, flag", [("train.py", "--model_dir"),
                                          ("export.py", "--export_dir"),
                                          ("evaluate.py", "--output_dir")])
def test_an_output_location_that_cannot_be_written_is_refused_in_one_line(tmp_path, script,
                                                                          flag):
  blocker = tmp_path / "a_file"
  blocker.write_text("not a directory")
  location = blocker / "inside"
  arguments = {"train.py": [f"--model_dir={location}", "--steps=1"],
               "export.py": [f"--model_dir={tmp_path}", f"--export_dir={location}"],
               "evaluate.py": [f"--model_dir={tmp_path}", f"--output_dir={location}"]}[script]
  result = run(script, *arguments, env=without_tensorflow(tmp_path))  # refused before it
  assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
  if script == "evaluate.py":  # the run is checked first: this one is not finished
    assert "missing model.keras" in result.stderr
  else:
    assert f"{flag}={location}: {blocker} is not a writable directory" in result.stderr


def test_main_job_stops_with_a_failed_training_and_leaves_nothing_running(tmp_path):
  """scripts/main.sh exits with the training's failure (here a bad flag it
  passes on) without evaluating, and its judges' warm-up does not outlive it."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", STEPS="2")
  result = subprocess.run(["bash", "scripts/main.sh", "--frame_loss=cubic"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
  assert result.returncode != 0
  assert "--frame_loss" in result.stderr and "Traceback" not in result.stderr
  assert "wrote outputs/main" not in result.stdout
  left = subprocess.run(["pgrep", "-f", "evaluate.py --warm_cache --model_dir=runs/main_ours"],
                        capture_output=True)  # main.sh's own (another test warms elsewhere)
  assert left.returncode == 1, left.stdout  # no such process
