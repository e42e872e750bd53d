"""Subprocess commands the end-to-end tests share."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_notes_command(model_dir, data_dir, *extra):
  """``train.py`` on gm_notes/small, tiny preset, 30 steps in two checkpointed
  chunks: the shared run (conftest.tiny_notes_run), and the kill-and-resume test's runs."""
  return [sys.executable, "train.py", "--dataset=gm_notes", "--dataset_config=small",
          "--preset=tiny", "--steps=30", "--checkpoint_every=15", f"--model_dir={model_dir}",
          f"--data_dir={data_dir}", *extra]


def run_command(command, timeout=900):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
  return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                        timeout=timeout)
