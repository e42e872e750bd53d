"""Objective metrics: the field's MCD, the paper's eq. (3), confidence intervals.

These run on the host in NumPy (evaluation is offline, per example, and needs
DTW).

**MCD** (``standard_mcd``, the headline number of every table) follows
ESPnet1's ``utils/mcd_calculate.py``, the convention seq2seq voice-conversion
papers report (about 6-7 dB) and the paper's Table 2 uses (6.49 / 10.35 dB):

  1. audio at 16 kHz, scaled to int16 range, 70 Hz low-cut FIR (255 taps);
  2. WORLD: F0 every 5 ms, CheapTrick spectral envelope (1024-point FFT) --
     a *power* envelope;
  3. ``sp2mc``: cepstrum of the ln power envelope (c0 halved), warped by SPTK's ``freqt``
     to a mel-cepstrum of order 24 with all-pass constant alpha = 0.42;
  4. frames: the voiced frames of each signal (WORLD F0 > 0), as ESPnet1;
     a signal with fewer than ``MIN_MCD_FRAMES`` voiced frames (noise, a
     whisper) falls back to its non-silent frames (envelope energy within
     ``SILENCE_DB`` of its loudest frame), and the fallback is recorded;
  5. exact DTW (Euclidean on c1..c24) between the two frame sequences;
  6. per aligned frame ``(10 / ln 10) * sqrt(2 * sum_{d=1}^{24} (c_d - c^_d)^2)``
     (c0, the energy, excluded), mean over the path.

Scale: ``sp2mc`` of a *power* envelope returns the minimum-phase mel-cepstrum
of ln amplitude, SPTK's own convention (``mgc2sp -o 3`` of a mel-cepstrum
gives a power spectrum that ``sp2mc`` turns back into the same coefficients;
tests/test_metrics.py), so this is on the scale of SPTK ``mcep`` / ESPnet2 --
no factor of 2 from "ln power". Feeding ``sp2mc`` an *amplitude* envelope
halves every coefficient, and hence the MCD. Deviations from ESPnet1, each measured (docs/evaluation.md): F0 by
DIO + StoneMask rather than Harvest (``F0_METHOD``; ~70x faster), exact DTW
rather than fastdtw, c0 excluded, one F0 search range for notes and speech.

**The paper's eq. (3)** (``paper_mcd``), reported beside it and labelled as
the paper's: ``(10 / ln 10) * sqrt(2 * sum_t ||y_t - y^_t||_2)`` on the
80-band natural-log mel frames themselves (no cepstrum; a sum over frames, so
it grows with clip length).

``log_mel_cepstral_distance`` is a project diagnostic (the vocoder tests and
benches use it), *not* MCD: an orthonormal DCT over 80 mel bands puts it ~9x
above the field's scale.
"""

import dataclasses
import functools
import math

import librosa
import numpy as np
import scipy.fft
import scipy.signal
import scipy.stats

MCD_SCALE = 10.0 * math.sqrt(2.0) / math.log(10.0)  # dB per unit cepstral distance
FIRST_COEFFICIENT = 1    # c0 (energy) excluded
LAST_COEFFICIENT = 24    # the mel-cepstrum's order

# The standard MCD's analysis (module docstring); one home for its settings.
MCD_ORDER = 24
MCD_ALPHA = 0.42            # all-pass constant for 16 kHz
WORLD_FFT_SIZE = 1024
WORLD_FRAME_MS = 5.0
F0_RANGE_HZ = (60.0, 1100.0)  # speech and notes up to MIDI 85
F0_METHOD = "dio"           # "dio" (DIO + StoneMask) or "harvest" (ESPnet1's)
MIN_MCD_FRAMES = 5
SILENCE_DB = 40.0
MCD_CONVENTION = ("WORLD envelope -> sp2mc, order 24, alpha 0.42, c1-c24, "
                  "voiced frames, DTW (ESPnet1 mcd_calculate.py)")


@functools.lru_cache(maxsize=8)
def frequency_warping_matrix(input_length: int, order: int, alpha: float) -> np.ndarray:
  """SPTK's ``freqt`` (frequency transformation of a cepstrum) as a matrix.

  ``freqt`` is linear in its input, so warping is ``c @ W``. The recursion is
  SPTK's (``freqt.c``): the input coefficients are fed from the last to the
  first, ``c2[0] = c1[i] + a g[0]``, ``c2[1] = (1 - a^2) g[0] + a g[1]``,
  ``c2[j] = g[j-1] + a (g[j] - c2[j-1])``, with ``g`` the previous ``c2``.

  Args:
    input_length: number of input cepstral coefficients (SPTK's m1 + 1).
    order: order of the warped output (SPTK's m2).
    alpha: all-pass constant of the output (input unwarped).

  Returns:
    float64 [input_length, order + 1].
  """
  beta = 1.0 - alpha * alpha
  identity = np.eye(input_length)
  warped = np.zeros((order + 1, input_length))  # [output coefficient, impulse]
  for i in range(input_length - 1, -1, -1):
    previous = warped.copy()
    warped[0] = identity[i] + alpha * previous[0]
    if order >= 1:
      warped[1] = beta * previous[0] + alpha * previous[1]
    for j in range(2, order + 1):
      warped[j] = previous[j - 1] + alpha * (previous[j] - warped[j - 1])
  return warped.T


def sp2mc(power_spectrum, order: int = MCD_ORDER, alpha: float = MCD_ALPHA) -> np.ndarray:
  """Mel-cepstrum of a power spectral envelope (pysptk's ``sp2mc``).

  ``c = irfft(ln |X|^2)``, ``c[0] /= 2``, then ``freqt`` over all of ``c`` to
  order ``order`` at ``alpha``. For ``|X|^2 = |H|^2`` this returns the
  mel-cepstrum of ``ln |H|`` (SPTK's convention; see the module docstring).

  Args:
    power_spectrum: float [frames, fft_size // 2 + 1], positive.

  Returns:
    float64 [frames, order + 1]; column 0 is c0.
  """
  power_spectrum = np.asarray(power_spectrum, np.float64)
  if power_spectrum.ndim != 2 or power_spectrum.shape[-1] < 2:
    raise ValueError(f"sp2mc: power_spectrum must be [frames, bins >= 2]. "
                     f"Received shape {power_spectrum.shape}")
  if not np.all(power_spectrum > 0.0):
    raise ValueError("sp2mc: power_spectrum must be positive and finite")
  cepstrum = np.fft.irfft(np.log(power_spectrum), axis=-1)  # [frames, fft_size]
  cepstrum[:, 0] /= 2.0
  return cepstrum @ frequency_warping_matrix(cepstrum.shape[-1], order, float(alpha))


@dataclasses.dataclass(frozen=True)
class WorldAnalysis:
  """What the standard MCD (and the F0 measures) need from one signal.

  Attributes:
    mel_cepstrum: float64 [frames, MCD_ORDER + 1], mel-cepstrum per 5 ms
      frame (``sp2mc`` of the power envelope; column 0 is c0).
    f0: float64 [frames], Hz; 0 where unvoiced.
  """

  mel_cepstrum: np.ndarray
  f0: np.ndarray

  @property
  def voiced(self) -> np.ndarray:
    return self.f0 > 0.0

  def median_f0(self) -> float:
    """Median F0 in Hz over voiced frames; nan when none is voiced."""
    return float(np.median(self.f0[self.voiced])) if self.voiced.any() else math.nan

  def mcd_frames(self):
    """(c1..c24 of the frames the MCD compares [n, 24], True if they are voiced
    frames; False if the non-silent fallback was used)."""
    cepstra = self.mel_cepstrum[:, FIRST_COEFFICIENT:LAST_COEFFICIENT + 1]
    if self.voiced.sum() >= MIN_MCD_FRAMES:
      return cepstra[self.voiced], True
    # c0 is the frame's mean ln amplitude (warped): 20 / ln 10 * c0 is its level in dB.
    level_db = 20.0 / math.log(10.0) * self.mel_cepstrum[:, 0]
    return cepstra[level_db >= level_db.max() - SILENCE_DB], False


def _low_cut(waveform, sample_rate, cutoff_hz=70.0, taps=255):
  """ESPnet1's low-cut filter: a 255-tap FIR high-pass at 70 Hz."""
  fir = scipy.signal.firwin(taps, cutoff_hz / (sample_rate // 2), pass_zero=False)
  return scipy.signal.lfilter(fir, 1.0, waveform)


def world_analysis(waveform, sample_rate: int, f0_method: str = F0_METHOD) -> WorldAnalysis:
  """WORLD F0 and CheapTrick envelope -> ``WorldAnalysis`` (module docstring).

  Args:
    waveform: float [samples] in [-1, 1].
    sample_rate: Hz.
    f0_method: "dio" (DIO refined by StoneMask) or "harvest".
  """
  import pyworld  # the pyworld-prebuilt wheel; imported here, evaluation-only
  waveform = np.asarray(waveform, np.float64).ravel()
  if waveform.size < WORLD_FFT_SIZE:
    raise ValueError(f"world_analysis: need at least {WORLD_FFT_SIZE} samples. "
                     f"Received {waveform.size}")
  if not np.all(np.isfinite(waveform)):
    raise ValueError("world_analysis: waveform contains NaN or Inf")
  x = np.ascontiguousarray(_low_cut(waveform * np.iinfo(np.int16).max, sample_rate))
  floor, ceiling = F0_RANGE_HZ
  if f0_method == "harvest":
    f0, times = pyworld.harvest(x, sample_rate, f0_floor=floor, f0_ceil=ceiling,
                                frame_period=WORLD_FRAME_MS)
  elif f0_method == "dio":
    f0, times = pyworld.dio(x, sample_rate, f0_floor=floor, f0_ceil=ceiling,
                            frame_period=WORLD_FRAME_MS)
    f0 = pyworld.stonemask(x, f0, times, sample_rate)
  else:
    raise ValueError(f"f0_method must be 'dio' or 'harvest'. Received {f0_method!r}")
  envelope = pyworld.cheaptrick(x, f0, times, sample_rate, fft_size=WORLD_FFT_SIZE)
  envelope = np.maximum(envelope, np.finfo(np.float64).tiny)  # digital silence
  return WorldAnalysis(sp2mc(envelope), np.asarray(f0, np.float64))


def exact_dtw_path(reference, estimate) -> np.ndarray:
  """Exact DTW (Euclidean) between [n, d] and [m, d]: int [path length, 2], start first."""
  _, path = librosa.sequence.dtw(X=reference.T, Y=estimate.T, metric="euclidean")
  return path[::-1]  # librosa returns the path end first.


def mcd_from_cepstra(reference, estimate) -> float:
  """MCD in dB between two mel-cepstrum sequences (c1..c24 only, [frames, 24]),
  DTW-aligned. ``(10/ln10) sqrt(2 sum_d (c_d - c^_d)^2)``, mean over the path."""
  reference = np.asarray(reference, np.float64)
  estimate = np.asarray(estimate, np.float64)
  if reference.ndim != 2 or estimate.ndim != 2 or reference.shape[1] != estimate.shape[1]:
    raise ValueError(f"mcd_from_cepstra: need [frames, d] arrays with equal d. Received "
                     f"{reference.shape} and {estimate.shape}")
  if not (len(reference) and len(estimate)):
    raise ValueError("mcd_from_cepstra: no frames to compare")
  path = exact_dtw_path(reference, estimate)
  distances = np.linalg.norm(reference[path[:, 0]] - estimate[path[:, 1]], axis=-1)
  return float(MCD_SCALE * distances.mean())


def standard_mcd(reference: WorldAnalysis, estimate: WorldAnalysis) -> float:
  """The field's MCD in dB (module docstring) between two analysed signals."""
  return mcd_from_cepstra(reference.mcd_frames()[0], estimate.mcd_frames()[0])


def log_mel_cepstrum(log_mel) -> np.ndarray:
  """Orthonormal DCT-II of the 80-band log-mel over the mel axis (diagnostic only).

  Args:
    log_mel: natural-log mel power ``[frames, num_mel_bins]``.

  Returns:
    float64 ``[frames, num_mel_bins]``; column k is coefficient c_k.
  """
  return scipy.fft.dct(np.asarray(log_mel, np.float64), type=2, norm="ortho", axis=-1)


def _check_pair(reference, estimate, name):
  reference = np.asarray(reference, np.float64)
  estimate = np.asarray(estimate, np.float64)
  for label, value in (("reference", reference), ("estimate", estimate)):
    if value.ndim != 2 or value.shape[0] == 0:
      raise ValueError(f"{name}: {label} must have shape [frames > 0, mel_bins]. "
                       f"Received shape {value.shape}")
    if not np.all(np.isfinite(value)):
      raise ValueError(f"{name}: {label} contains NaN or Inf")
  if reference.shape[1] != estimate.shape[1]:
    raise ValueError(f"{name}: mel-bin counts differ. Received reference "
                     f"{reference.shape}, estimate {estimate.shape}")
  return reference, estimate


def _aligned_frame_distances(reference, estimate):
  """Per-frame Euclidean distances, DTW-aligned when frame counts differ."""
  if reference.shape[0] == estimate.shape[0]:
    return np.linalg.norm(reference - estimate, axis=-1)
  path = exact_dtw_path(reference, estimate)
  return np.linalg.norm(reference[path[:, 0]] - estimate[path[:, 1]], axis=-1)


def log_mel_cepstral_distance(reference_log_mel, estimate_log_mel) -> float:
  """80-band log-mel cepstral distance in dB: a project diagnostic, NOT MCD.

  ``(10 sqrt(2) / ln 10) * ||C_1..24 - C^_1..24||`` per frame with ``C`` the
  orthonormal DCT-II of the natural-log mel power, mean over frames (DTW when
  frame counts differ). Used by the vocoder tests and benches to compare two
  renderings of the same clip; about 9x the field's MCD (``standard_mcd``).

  Args:
    reference_log_mel: natural-log mel power ``[frames, num_mel_bins]``.
    estimate_log_mel: same, possibly with a different frame count.

  Returns:
    MCD in dB (float).
  """
  reference, estimate = _check_pair(reference_log_mel, estimate_log_mel,
                                    "log-mel cepstral distance")
  if reference.shape[1] <= LAST_COEFFICIENT:
    raise ValueError(f"log-mel cepstral distance: needs more than {LAST_COEFFICIENT} mel bins. "
                     f"Received {reference.shape[1]}")
  span = slice(FIRST_COEFFICIENT, LAST_COEFFICIENT + 1)
  distances = _aligned_frame_distances(log_mel_cepstrum(reference)[:, span],
                                       log_mel_cepstrum(estimate)[:, span])
  return float(MCD_SCALE * distances.mean())


def paper_mcd(reference_log_mel, estimate_log_mel) -> float:
  """The paper's eq. (3), as written: ``10/ln10 * sqrt(2 * sum_t ||y_t - ŷ_t||)``.

  Not comparable with the standard MCD: no cepstral transform, and a sum over
  frames (it grows with length). Frames are DTW-aligned when counts differ.

  Args:
    reference_log_mel: natural-log mel power ``[frames, num_mel_bins]``.
    estimate_log_mel: same, possibly with a different frame count.
  """
  reference, estimate = _check_pair(reference_log_mel, estimate_log_mel,
                                    "paper MCD eq. (3)")
  distances = _aligned_frame_distances(reference, estimate)
  return float(10.0 / math.log(10.0) * math.sqrt(2.0 * distances.sum()))


def mean_confidence_interval(values, confidence: float = 0.95):
  """Mean and half-width of its Student-t confidence interval.

  The paper reports "mean ± 95% CI"; this is that ± value.

  Args:
    values: 1-D sample of per-example scores (at least 2, all finite).
    confidence: coverage in (0, 1).

  Returns:
    (mean, half_width) as floats.
  """
  values = np.asarray(values, np.float64).ravel()
  if values.size < 2:
    raise ValueError(f"mean_confidence_interval: need at least 2 values. "
                     f"Received {values.size}")
  if not np.all(np.isfinite(values)):
    raise ValueError("mean_confidence_interval: values contain NaN or Inf")
  if not 0.0 < confidence < 1.0:
    raise ValueError(f"confidence must be in (0, 1). Received {confidence}")
  mean = float(values.mean())
  sem = float(values.std(ddof=1) / math.sqrt(values.size))
  return mean, float(scipy.stats.t.ppf(0.5 + confidence / 2.0, values.size - 1) * sem)


def share_confidence_interval(successes: int, trials: int, confidence: float = 0.95):
  """Wilson score interval (low, high) for a share ``successes / trials``.

  Better than mean ± t·sem for shares near 0 or 1 (it stays inside [0, 1]).
  ``trials == 0`` gives (nan, nan).
  """
  if trials < 0 or not 0 <= successes <= max(trials, 0):
    raise ValueError(f"share_confidence_interval: need 0 <= successes <= trials. "
                     f"Received successes={successes}, trials={trials}")
  if trials == 0:
    return math.nan, math.nan
  z = scipy.stats.norm.ppf(0.5 + confidence / 2.0)
  p = successes / trials
  centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
  half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials ** 2))
  return max(0.0, centre - half), min(1.0, centre + half)
