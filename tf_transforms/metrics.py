"""Objective metrics: mel-cepstral distortion (standard and the paper's), CIs.

These run on the host in NumPy (evaluation is offline, per example, and needs
DTW). Inputs are natural-log mel power spectrograms ``[frames, num_mel_bins]``
as produced by ``audio.log_mel_spectrogram``.

Standard MCD (what this project reports as "MCD"):
  mel-cepstra ``c = DCT-II(log_mel, norm="ortho")`` over the mel axis,
  coefficients 1..24 (c0, the energy term, excluded); per frame
  ``(10 * sqrt(2) / ln 10) * ||c - c_hat||_2``; mean over frames. Equal-length
  inputs are compared frame by frame; otherwise frames are aligned by DTW
  (Euclidean distance on the same cepstra) and the mean is over the path.

The paper's eq. (3), reported separately and labelled as such:
  ``(10 / ln 10) * sqrt(2 * sum_t ||y_t - y_hat_t||_2)`` on the log-mel
  frames themselves (no DCT, a sum over frames rather than a mean, so it
  grows with clip length).
"""

import math

import librosa
import numpy as np
import scipy.fft
import scipy.stats

MCD_SCALE = 10.0 * math.sqrt(2.0) / math.log(10.0)
FIRST_COEFFICIENT = 1
LAST_COEFFICIENT = 24


def mel_cepstrum(log_mel) -> np.ndarray:
  """Mel-cepstra: orthonormal DCT-II of the log-mel over the mel axis.

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
  _, path = librosa.sequence.dtw(X=reference.T, Y=estimate.T, metric="euclidean")
  path = path[::-1]  # librosa returns the path end first.
  return np.linalg.norm(reference[path[:, 0]] - estimate[path[:, 1]], axis=-1)


def mel_cepstral_distortion(reference_log_mel, estimate_log_mel) -> float:
  """Standard MCD in dB (see module docstring). Lower is better.

  Args:
    reference_log_mel: natural-log mel power ``[frames, num_mel_bins]``.
    estimate_log_mel: same, possibly with a different frame count.

  Returns:
    MCD in dB (float).
  """
  reference, estimate = _check_pair(reference_log_mel, estimate_log_mel, "MCD")
  if reference.shape[1] <= LAST_COEFFICIENT:
    raise ValueError(f"MCD: needs more than {LAST_COEFFICIENT} mel bins. "
                     f"Received {reference.shape[1]}")
  span = slice(FIRST_COEFFICIENT, LAST_COEFFICIENT + 1)
  distances = _aligned_frame_distances(mel_cepstrum(reference)[:, span],
                                       mel_cepstrum(estimate)[:, span])
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
