"""evaluate.py's measurements: pitch, style classifier, summaries, the whole command."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from tests import signals
from tf_transforms import data, evaluation, metrics
from tf_transforms.configs import AudioConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("midi, detune_cents", [(48, 0.0), (60, 30.0), (69, -20.0), (76, 0.0)])
def test_median_f0_measures_pitch_within_8_cents(midi, detune_cents):
  """pyin's grid is 5 cents here; the criterion evaluated is 50 cents."""
  frequency = 440.0 * 2 ** ((midi + detune_cents / 100.0 - 69) / 12)
  tone = signals.harmonic_tone(f0=frequency, seconds=1.0)
  measured = evaluation.median_f0_midi(tone, 16000, midi)
  assert abs(100.0 * (measured - midi) - detune_cents) < 8.0


def test_median_f0_is_nan_for_noise(rng):
  noise = 0.1 * rng.standard_normal(16000).astype(np.float32)
  assert math.isnan(evaluation.median_f0_midi(noise, 16000, 60))


def test_summary_matches_the_metric_helpers():
  records = [{"mcd": m, "paper_mcd": 2 * m, "audio_mcd": m + 1, "style_recognised": s,
              "pitch_cents": c, "content": k}
             for m, s, c, k in [(5.0, True, 10.0, 60), (7.0, False, -80.0, 60),
                                (6.0, True, 49.0, 66)]]
  summary = evaluation.summarize(records)
  mean, half = metrics.mean_confidence_interval([5.0, 7.0, 6.0])
  assert summary["mcd"] == {"mean": mean, "ci95": half, "n": 3}
  assert summary["style_recognised"] == pytest.approx(2 / 3)
  assert summary["pitch_within_50_cents"] == pytest.approx(2 / 3)
  assert summary["pitch_median_abs_cents"] == 49.0
  assert summary["pitch_within_50_cents_by_content"] == {"60": 0.5, "66": 1.0}
  table = evaluation.table_2([("ours (x)", summary)])
  assert "| ours (x) | 6.00 ± " in table and "| 67% | 67% | 3 |" in table
  assert "| ours (x) | 50% | 100% | 67% |" in evaluation.pitch_table([("ours (x)", summary)])
  for record, cents in zip(records, [float("nan"), 20.0, -1200.0]):
    record["real_target_pitch_cents"] = cents
  real = evaluation.pitch_summary(records, "real_target_pitch_cents")
  assert real["pitch_within_50_cents_by_content"] == {"60": 0.5, "66": 0.0}
  assert real["pitch_median_abs_cents"] == 610.0


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
  return data.load_index("gm_notes", data_dir=str(tmp_path_factory.mktemp("tfds")),
                         config="small")


def test_style_classifier_recognises_real_instruments(notes):
  _, accuracy = evaluation.train_style_classifier(notes, AudioConfig())
  assert accuracy >= 0.9  # 4 instruments, unseen pitches, after the vocoding path


@pytest.mark.slow
def test_evaluate_command_end_to_end(tmp_path):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
  data_dir, model_dir, output_dir = (str(tmp_path / n) for n in ("tfds", "run", "out"))

  def run(*args):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)

  trained = run("train.py", "--dataset_config=small", "--preset=tiny", "--steps=20",
                "--checkpoint_every=20", f"--model_dir={model_dir}", f"--data_dir={data_dir}")
  assert trained.returncode == 0, trained.stderr[-3000:]
  command = ["evaluate.py", f"--model_dir={model_dir}", f"--data_dir={data_dir}",
             f"--output_dir={output_dir}"]
  evaluated = run(*command)
  assert evaluated.returncode == 0, evaluated.stderr[-3000:]
  results = json.load(open(os.path.join(output_dir, "results.json")))
  baseline = results["copy_baseline"]
  # The source is the same note on another instrument: its pitch is the target's.
  assert baseline["pitch_within_50_cents"] >= 0.9
  # The true targets through the vocoder: an exact log-mel, audio a few dB off
  # (examples/resynthesize.py measures ~5 dB on a vowel), pitch kept.
  # The real target recordings: the pitch measurement's own ceiling.
  assert results["real_target_pitch"]["pitch_within_50_cents"] >= 0.9
  assert "| real target audio (no vocoder) |" in open(os.path.join(output_dir, "pitch.md")).read()
  ceiling = results["vocoded_target"]
  assert ceiling["mcd"]["mean"] == 0.0 and 0.0 < ceiling["audio_mcd"]["mean"] < 20.0
  assert ceiling["pitch_within_50_cents"] >= 0.75
  assert "| vocoded true target (ceiling) | 0.00 ± 0.00 |" in open(
      os.path.join(output_dir, "table2.md")).read()
  summary = results["runs"]["run"]["summary"]
  assert summary["pairs"] == baseline["pairs"] > 0
  for key in ("mcd", "paper_mcd", "audio_mcd"):
    assert math.isfinite(summary[key]["mean"])
  for name in ("table2.md", "pitch.md", "figure2_run.png", "figure3_run.png",
               "run/example0_prediction.wav"):
    assert os.path.getsize(os.path.join(output_dir, name)) > 0
  again = run(*command)
  assert again.returncode != 0 and "already exists" in again.stderr
