"""Subprocess commands the end-to-end tests share."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_notes_command(model_dir, data_dir, *extra):
  """``train.py`` on gm_notes/small, tiny preset, 30 steps in two checkpointed
  chunks: the shared run (conftest.tiny_notes_run), and the kill-and-resume test's runs.
  Its vocoder starts from the note's harmonics (--mel_inverse_prior's default for
  notes), so the evaluation and export tests run that path (TFLite included)."""
  return [sys.executable, "train.py", "--dataset=gm_notes", "--dataset_config=small",
          "--preset=tiny", "--steps=30", "--checkpoint_every=15",
          f"--model_dir={model_dir}",
          f"--data_dir={data_dir}", *extra]


def run_command(command, timeout=900):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
  return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                        timeout=timeout)


def without_tensorflow(tmp_path):
  """An environment in which importing TensorFlow fails (a stand-in package
  first on the path): a command that refuses bad input *before* TensorFlow
  starts up still gives its own one-line error there."""
  fake = os.path.join(str(tmp_path), "no_tensorflow", "tensorflow")
  os.makedirs(fake, exist_ok=True)
  with open(os.path.join(fake, "__init__.py"), "w") as handle:
    handle.write("raise ImportError('TensorFlow was imported before the input was checked')\n")
  return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
              PYTHONPATH=os.pathsep.join([os.path.dirname(fake), ROOT]))
