"""The model-independent analyses the judges make of a clip, in parallel processes.

A clip's WORLD analysis (for the MCD and F0 measures), pyin's pitch (notes) and
the recogniser's word (words) depend on the waveform alone, and they are most of
an evaluation's time (pyin: ~1.6 s of CPU for a 4 s note). ``Analyser`` runs
them in worker processes, one per core, and returns exactly what one process
would (each analysis is deterministic and independent of the others).

TensorFlow-free: the workers are *spawned* (not forked from a process whose
TensorFlow runtime holds threads and locks) and import only NumPy, librosa,
pyworld and pocketsphinx.
"""

import concurrent.futures
import math
import multiprocessing
import os

import numpy as np

from tf_transforms.evaluation import metrics, pitch


def available_cpus() -> int:
  """CPUs this process may run on (its affinity, not the machine's count)."""
  try:
    return len(os.sched_getaffinity(0))
  except AttributeError:  # not Linux
    return os.cpu_count() or 1


def at_least(waveform, samples=metrics.WORLD_FFT_SIZE):
  """Zero-pads a clip shorter than the WORLD analysis window (a model that stops
  after a frame or two) so it is judged, as the near-silence it is."""
  waveform = np.asarray(waveform, np.float32)
  return np.pad(waveform, (0, max(0, samples - len(waveform))))


def analyse(waveform, sample_rate, kind, content, recognizer=None) -> dict:
  """One clip's model-independent judgements.

  Args:
    waveform: float [samples].
    sample_rate: Hz.
    kind: "pitch" (notes), "word" (words) or anything else ("world": neither).
    content: the clip's note (MIDI number) for "pitch"; unused otherwise.
    recognizer: a ``recognition.WordRecognizer``, for "word".

  Returns:
    {"mel_cepstrum": [frames, 25], "f0": [frames] Hz (WORLD), "pitch_cents":
    cents off ``content`` (nan: unvoiced or not notes), "word": what the
    recogniser heard ("" for nothing or not words)}.
  """
  waveform = np.asarray(waveform, np.float32)
  analysis = metrics.world_analysis(at_least(waveform), sample_rate)
  out = {"mel_cepstrum": analysis.mel_cepstrum, "f0": analysis.f0,
         "pitch_cents": math.nan, "word": ""}
  if kind == "pitch":
    out["pitch_cents"] = pitch.cents_off_note(waveform, sample_rate, float(content))
  elif kind == "word":
    out["word"] = recognizer.recognize(waveform, sample_rate)
  return out


_WORKER = {}  # per worker process: its own recogniser


def _die_with_parent():
  """Asks Linux to end this worker when its parent dies (prctl
  PR_SET_PDEATHSIG), so that a killed evaluate.py leaves no worker behind;
  elsewhere, a no-op."""
  try:
    import ctypes
    import signal
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG = 1
    if os.getppid() == 1:  # the parent died before prctl took effect
      os._exit(1)
  except (OSError, AttributeError):
    pass


def _start_worker(kind, words):
  _die_with_parent()
  if kind == "word":
    from tf_transforms.evaluation.recognition import WordRecognizer
    _WORKER["recognizer"] = WordRecognizer(words)


def _analyse_in_worker(clip):
  waveform, sample_rate, kind, content = clip
  return analyse(waveform, sample_rate, kind, content, _WORKER.get("recognizer"))


class Analyser:
  """``analyse`` over many clips, in ``processes`` worker processes.

  Args:
    kind: as ``analyse``.
    recognizer: the ``recognition.WordRecognizer`` for words (used in this
      process; each worker builds its own over the same ``vocabulary``).
    processes: worker processes; None: one per available CPU; 1: none, all in
      this process. The pool starts at the first ``map`` of two or more clips
      and lives until ``close``.
  """

  def __init__(self, kind, recognizer=None, processes=None):
    if processes is not None and processes < 1:
      raise ValueError(f"processes must be at least 1, not {processes}")
    self.kind = kind
    self.recognizer = recognizer
    self.processes = available_cpus() if processes is None else processes
    self._pool = None

  def map(self, clips, sample_rate, kind=None) -> list:
    """[(waveform, content)] -> [``analyse`` dict], in order; ``kind`` (default:
    the analyser's) "world" for the WORLD analysis alone."""
    kind = self.kind if kind is None else kind
    jobs = [(np.asarray(w, np.float32), sample_rate, kind, c) for w, c in clips]
    if self.processes == 1 or len(jobs) < 2:
      return [analyse(w, r, k, c, self.recognizer) for w, r, k, c in jobs]
    if self._pool is None:
      pitch.compile_kernels()  # the workers then read numba's cache, never write it at once
      words = list(self.recognizer.vocabulary) if self.recognizer else None
      self._pool = concurrent.futures.ProcessPoolExecutor(
          max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
          initializer=_start_worker, initargs=(self.kind, words))
    return list(self._pool.map(_analyse_in_worker, jobs))

  def close(self):
    if self._pool is not None:
      self._pool.shutdown()
      self._pool = None
