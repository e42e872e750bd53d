"""Pitch of notes: pyin's median f0, in MIDI numbers and cents off a note.

The judge of "same pitch on another instrument" (librosa's pyin: the model is
never trained against it). Its Viterbi decoding runs ``sparse_viterbi.decode``:
the same result, bit for bit, in a fraction of the time.
"""

import functools
import math

import librosa
import numpy as np

from tf_transforms.evaluation import sparse_viterbi

MIN_VOICED = 0.25


def median_f0_midi(waveform, sample_rate, expected_midi):
  """Median pyin f0 (as a MIDI number) over voiced frames, or nan if unvoiced.

  Searches one octave either side of ``expected_midi`` on a 5-cent grid.
  A frame counts as voiced when pyin's voiced probability is at least 0.5
  (its HMM labels about half of white-noise frames "voiced" at probability
  0.01); fewer than ``MIN_VOICED`` voiced frames means no pitch (nan).

  Args:
    waveform: float [samples].
    sample_rate: Hz.
    expected_midi: the note the clip should have (MIDI number).
  """
  with sparse_viterbi.exact_fast_viterbi():
    f0, voiced, probability = librosa.pyin(
        np.asarray(waveform, np.float32), sr=sample_rate, frame_length=2048, hop_length=256,
        resolution=0.05, fmin=librosa.midi_to_hz(expected_midi - 13),
        fmax=librosa.midi_to_hz(expected_midi + 13))
  good = voiced & (probability >= 0.5) & np.isfinite(f0)
  if good.mean() < MIN_VOICED:
    return math.nan
  return float(np.median(librosa.hz_to_midi(f0[good])))


def cents_off_note(waveform, sample_rate, midi):
  """Cents from MIDI note ``midi`` to the waveform's median f0 (nan: unvoiced)."""
  return 100.0 * (median_f0_midi(waveform, sample_rate, midi) - midi)


@functools.cache
def compile_kernels() -> None:
  """Compiles, or loads from numba's on-disk cache, the numba kernels pitch
  tracking runs (librosa's pyin helpers, ``sparse_viterbi``'s), once per
  process.

  Numba writes its cache without a lock. Processes that compile the same
  kernel at the same moment on a fresh install can leave an entry that
  crashes every later process that loads it (seen in CI: a segmentation
  fault in ``librosa.util.localmin`` in every pyin, until the cache was
  deleted). So a process that is about to start several pitch-tracking
  processes calls this first: they then only read the cache.
  """
  t = np.arange(4096) / 16000
  tone = sum(np.sin(2 * np.pi * 261.63 * h * t) / h for h in range(1, 6))
  median_f0_midi(tone.astype(np.float32), 16000, 60)
