"""MCD against the `mel-cepstral-distance` package, eq. (3) and CIs by hand.

How the reference package is configured to compute *our* definition:
its ``compare_mfccs(A, B, s=1, D=25, aligning=...)`` takes cepstra shaped
[coefficients, frames] and returns the mean over (aligned) frames of
``||A[1:25, t] - B[1:25, t]||_2``. We feed it our orthonormal-DCT cepstra of
the natural-log mel (its own front-end uses log10 energy and a
non-normalised DCT over only the first D bands, which is not the definition
we report), so coefficients 1..24 are compared, and we multiply by
10·√2/ln 10. Equal lengths: ``aligning="pad"`` (a no-op). Different lengths:
``aligning="dtw", dtw_radius=None`` (fastdtw with an unrestricted radius,
i.e. exact DTW on the Euclidean distance of the same coefficients).
"""

import math

import mel_cepstral_distance
import numpy as np
import pytest
import scipy.stats

from tests import signals
from tf_transforms import audio, metrics


def reference_mcd(reference_log_mel, estimate_log_mel, aligning):
  mcd, _ = mel_cepstral_distance.compare_mfccs(
      metrics.mel_cepstrum(reference_log_mel).T,
      metrics.mel_cepstrum(estimate_log_mel).T,
      s=1, D=25, aligning=aligning, dtw_radius=None)
  return 10.0 * math.sqrt(2.0) / math.log(10.0) * mcd


def test_standard_mcd_matches_reference_package_frame_by_frame():
  reference = audio.log_mel_spectrogram(signals.speech_like(seed=0)).numpy()
  estimate = audio.log_mel_spectrogram(signals.speech_like(seed=1) * 0.7
                                       + 0.05 * signals.harmonic_tone()).numpy()
  ours = metrics.mel_cepstral_distortion(reference, estimate)
  assert ours > 1.0  # a real difference, not a trivially zero case
  np.testing.assert_allclose(ours, reference_mcd(reference, estimate, "pad"), rtol=1e-9)


def test_standard_mcd_matches_reference_package_with_dtw(rng):
  reference = audio.log_mel_spectrogram(signals.speech_like(seconds=0.8)).numpy()
  stretched = audio.log_mel_spectrogram(signals.speech_like(seconds=1.0)).numpy()
  stretched = stretched + 0.1 * rng.standard_normal(stretched.shape)
  assert reference.shape[0] != stretched.shape[0]
  ours = metrics.mel_cepstral_distortion(reference, stretched)
  np.testing.assert_allclose(ours, reference_mcd(reference, stretched, "dtw"), rtol=1e-6)


def test_mel_cepstrum_is_the_orthonormal_dct_ii(rng):
  log_mel = rng.standard_normal((5, 80))
  n = np.arange(80)
  basis = np.cos(np.pi * np.outer(n, n + 0.5) / 80) * np.sqrt(2.0 / 80)
  basis[0] /= np.sqrt(2.0)
  np.testing.assert_allclose(metrics.mel_cepstrum(log_mel), log_mel @ basis.T, atol=1e-12)


def test_mcd_ignores_overall_gain_and_is_zero_on_identity(rng):
  log_mel = rng.standard_normal((30, 80))
  assert metrics.mel_cepstral_distortion(log_mel, log_mel) == 0.0
  # A gain change adds a constant to every band: only c0 moves, and c0 is excluded.
  assert metrics.mel_cepstral_distortion(log_mel, log_mel + 2.5) < 1e-9


def test_paper_eq3_by_hand():
  reference = np.zeros((2, 80))
  estimate = np.zeros((2, 80))
  estimate[0, 3] = 3.0   # ||frame 0|| = 3
  estimate[1, :2] = [3.0, 4.0]  # ||frame 1|| = 5
  expected = 10.0 / math.log(10.0) * math.sqrt(2.0 * (3.0 + 5.0))
  assert metrics.paper_mcd(reference, estimate) == pytest.approx(expected, rel=1e-12)


def test_paper_eq3_grows_with_length_the_standard_mcd_does_not(rng):
  a = rng.standard_normal((20, 80))
  b = a + 0.3 * rng.standard_normal((20, 80))
  twice_a, twice_b = np.concatenate([a, a]), np.concatenate([b, b])
  assert metrics.paper_mcd(twice_a, twice_b) == pytest.approx(
      math.sqrt(2) * metrics.paper_mcd(a, b), rel=1e-9)
  assert metrics.mel_cepstral_distortion(twice_a, twice_b) == pytest.approx(
      metrics.mel_cepstral_distortion(a, b), rel=1e-9)


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_confidence_interval_matches_scipy(rng, confidence):
  values = rng.normal(7.0, 1.5, 40)
  mean, half_width = metrics.mean_confidence_interval(values, confidence)
  low, high = scipy.stats.t.interval(confidence, len(values) - 1,
                                     loc=values.mean(), scale=scipy.stats.sem(values))
  assert mean == pytest.approx((low + high) / 2, rel=1e-12)
  assert half_width == pytest.approx((high - low) / 2, rel=1e-9)


@pytest.mark.parametrize("reference, estimate, message", [
    (np.zeros((5, 80)), np.zeros((5, 40)), "mel-bin counts differ"),
    (np.zeros(80), np.zeros((5, 80)), "shape"),
    (np.zeros((0, 80)), np.zeros((5, 80)), "shape"),
    (np.full((5, 80), np.nan), np.zeros((5, 80)), "NaN"),
    (np.zeros((5, 20)), np.zeros((5, 20)), "more than 24 mel bins"),
])
def test_mcd_rejects_bad_input_with_a_reason(reference, estimate, message):
  with pytest.raises(ValueError, match=message):
    metrics.mel_cepstral_distortion(reference, estimate)


def test_confidence_interval_rejects_bad_input():
  with pytest.raises(ValueError, match="at least 2"):
    metrics.mean_confidence_interval([1.0])
  with pytest.raises(ValueError, match="NaN"):
    metrics.mean_confidence_interval([1.0, np.nan])
