r"""Pitch judges for notes: pyin (the evaluation's) against faster trackers, on real notes.

The evaluation's pitch column costs one pyin call per clip (an HMM over a
5-cent grid, decoded by ``sparse_viterbi``). This prints, on the real
test-split recordings of gm_notes (the notes the evaluation judges) and on
the same notes after the vocoder (what outputs sound like): seconds per clip
and agreement with pyin on the "within 50 cents" decision, for pyin with
librosa's own dense Viterbi decoding (the same numbers, or sparse_viterbi is
wrong), pyin on a 10-cent grid, librosa's YIN (no HMM) and the median of
WORLD's DIO + StoneMask F0 (computed anyway for the MCD). Ratios in one run;
the machine may be shared.

Usage:
  python bench/pitch_judges.py [--clips=48]
"""

import contextlib
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import librosa  # noqa: E402
import numpy as np  # noqa: E402

from tf_transforms.core.configs import AudioConfig  # noqa: E402
from tf_transforms.data import pipeline
from tf_transforms.evaluation import metrics, pitch
from tf_transforms.evaluation import sparse_viterbi  # noqa: E402
from tf_transforms.evaluation.clip_analysis import at_least  # noqa: E402
from tf_transforms.signal import melspec, vocoding

flags.DEFINE_integer("clips", 48, "Test-split notes to judge (each also vocoded).")
FLAGS = flags.FLAGS


def pyin_cents(waveform, midi, resolution, dense=False):
  """pyin as pitch.median_f0_midi calls it; ``dense``: librosa's own Viterbi."""
  decoding = contextlib.nullcontext() if dense else sparse_viterbi.exact_fast_viterbi()
  with decoding:
    f0, voiced, probability = librosa.pyin(
        waveform, sr=16000, frame_length=2048, hop_length=256, resolution=resolution,
        fmin=librosa.midi_to_hz(midi - 13), fmax=librosa.midi_to_hz(midi + 13))
  good = voiced & (probability >= 0.5) & np.isfinite(f0)
  if good.mean() < pitch.MIN_VOICED:
    return math.nan
  return 100.0 * (float(np.median(librosa.hz_to_midi(f0[good]))) - midi)


def yin_cents(waveform, midi):
  f0 = librosa.yin(waveform, sr=16000, frame_length=2048, hop_length=256,
                   fmin=librosa.midi_to_hz(midi - 13), fmax=librosa.midi_to_hz(midi + 13))
  level = librosa.feature.rms(y=waveform, frame_length=2048, hop_length=256)[0]
  loud = level[:len(f0)] >= 0.1 * level.max()
  return 100.0 * (float(np.median(librosa.hz_to_midi(f0[loud]))) - midi)


def world_cents(waveform, midi):
  median = metrics.world_analysis(at_least(waveform), 16000).median_f0()
  return 100.0 * (float(librosa.hz_to_midi(median)) - midi) if math.isfinite(median) else math.nan


def main(argv):
  del argv
  index = pipeline.load_index("gm_notes")
  rows = pipeline.split_rows(index, "test")[::3][:FLAGS.clips]
  config = AudioConfig()
  import tensorflow as tf

  vocode = tf.function(lambda m: vocoding.log_mel_to_audio(m, config))
  features = index.features(config)
  clips = []
  for row in rows:
    real = index.audio(row)
    log_mel = melspec.denormalize_log_spectrogram(features[row][np.newaxis], config)
    clips.append(("real", real, int(index.content[row])))
    clips.append(("vocoded", vocode(log_mel).numpy()[0], int(index.content[row])))
  judges = {"pyin, 5-cent grid (the evaluation's)": lambda w, m: pyin_cents(w, m, 0.05),
            "pyin, 5-cent grid, librosa's dense Viterbi": lambda w, m: pyin_cents(w, m, 0.05,
                                                                                dense=True),
            "pyin, 10-cent grid": lambda w, m: pyin_cents(w, m, 0.1),
            "YIN (librosa), loud frames": yin_cents,
            "WORLD DIO + StoneMask median": world_cents}
  results = {}
  for name, judge in judges.items():
    started = time.perf_counter()
    cents = np.array([judge(np.asarray(w, np.float32), m) for _, w, m in clips])
    results[name] = (cents, (time.perf_counter() - started) / len(clips))
  reference, reference_time = results["pyin, 5-cent grid (the evaluation's)"]
  kinds = np.array([k for k, _, _ in clips])
  print(f"{len(rows)} test-split notes of gm_notes, each real and vocoded ({len(clips)} clips)")
  print("| judge | s per clip | vs pyin | within 50 cents (real / vocoded) | "
        "same decision as pyin | median abs. diff. cents |")
  print("| --- | ---: | ---: | ---: | ---: | ---: |")
  for name, (cents, seconds) in results.items():
    within = np.abs(cents) <= 50
    same = np.mean(within == (np.abs(reference) <= 50))
    both = np.isfinite(cents) & np.isfinite(reference)
    diff = float(np.median(np.abs(cents[both] - reference[both]))) if both.any() else math.nan
    print(f"| {name} | {seconds:.3f} | {reference_time / seconds:.1f}x | "
          f"{within[kinds == 'real'].mean():.0%} / {within[kinds == 'vocoded'].mean():.0%} | "
          f"{same:.0%} | {diff:.1f} |")


if __name__ == "__main__":
  app.run(main)
