"""The top-level scripts parse their flags; the front-end demo runs end to end."""

import os
import subprocess
import sys

import numpy as np
import pytest

from tf_transforms import io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
  return subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("script, flag", [("train.py", "--dataset"),
                                          ("evaluate.py", "--model_dir")])
def test_scripts_parse_flags(script, flag):
  result = run(script, "--helpshort")  # absl's help exits 1 by design
  assert flag in result.stdout, result.stderr
  not_yet = run(script)
  assert not_yet.returncode != 0 and "issue #5" in not_yet.stderr
  bad = run(script, "--dataset=not_a_dataset")
  assert bad.returncode != 0 and "not_a_dataset" in bad.stderr


@pytest.mark.slow
def test_resynthesis_demo_writes_audio_and_refuses_to_overwrite(tmp_path):
  output = str(tmp_path / "out.wav")
  result = run("examples/resynthesize.py", f"--output={output}")
  assert result.returncode == 0, result.stderr
  assert "standard MCD" in result.stdout
  mcd = float(result.stdout.split("standard MCD (coefs 1-24, dB):")[1].split()[0])
  assert 0.0 < mcd < 8.0
  waveform = io.read_audio(output)
  assert len(waveform) == 24000 and np.abs(waveform).max() > 0.05
  again = run("examples/resynthesize.py", f"--output={output}")
  assert again.returncode != 0 and "already exists" in again.stderr
