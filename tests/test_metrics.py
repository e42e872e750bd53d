"""The field's MCD against SPTK, eq. (3) and CIs by hand, the log-mel diagnostic
against the `mel-cepstral-distance` package.

The standard MCD (``metrics.standard_mcd``) is checked piece by piece against
Debian's SPTK command-line tools (``sptk freqt``, ``mgc2sp``, ``cdist``; float32
I/O, hence tolerances of ~1e-5 relative), its DTW against a naive dynamic
programme, and as a whole on hand-checked cases.

How the reference package is configured to compute the *log-mel diagnostic*:
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
import shutil
import subprocess
import tempfile

import mel_cepstral_distance
import numpy as np
import pytest
import scipy.stats

from tests import signals
from tf_transforms.core.configs import AudioConfig
from tf_transforms.evaluation import metrics
from tf_transforms.signal import melspec

PAPER = AudioConfig()  # the paper's front-end


def reference_mcd(reference_log_mel, estimate_log_mel, aligning):
  mcd, _ = mel_cepstral_distance.compare_mfccs(
      metrics.log_mel_cepstrum(reference_log_mel).T,
      metrics.log_mel_cepstrum(estimate_log_mel).T,
      s=1, D=25, aligning=aligning, dtw_radius=None)
  return 10.0 * math.sqrt(2.0) / math.log(10.0) * mcd


def test_standard_mcd_matches_reference_package_frame_by_frame():
  reference = melspec.log_mel_spectrogram(signals.speech_like(seed=0), PAPER).numpy()
  estimate = melspec.log_mel_spectrogram(signals.speech_like(seed=1) * 0.7
                                       + 0.05 * signals.harmonic_tone(), PAPER).numpy()
  ours = metrics.log_mel_cepstral_distance(reference, estimate)
  assert ours > 1.0  # a real difference, not a trivially zero case
  np.testing.assert_allclose(ours, reference_mcd(reference, estimate, "pad"), rtol=1e-9)


def test_standard_mcd_matches_reference_package_with_dtw(rng):
  reference = melspec.log_mel_spectrogram(signals.speech_like(seconds=0.8), PAPER).numpy()
  stretched = melspec.log_mel_spectrogram(signals.speech_like(seconds=1.0), PAPER).numpy()
  stretched = stretched + 0.1 * rng.standard_normal(stretched.shape)
  assert reference.shape[0] != stretched.shape[0]
  ours = metrics.log_mel_cepstral_distance(reference, stretched)
  np.testing.assert_allclose(ours, reference_mcd(reference, stretched, "dtw"), rtol=1e-6)


def test_mel_cepstrum_is_the_orthonormal_dct_ii(rng):
  log_mel = rng.standard_normal((5, 80))
  n = np.arange(80)
  basis = np.cos(np.pi * np.outer(n, n + 0.5) / 80) * np.sqrt(2.0 / 80)
  basis[0] /= np.sqrt(2.0)
  np.testing.assert_allclose(metrics.log_mel_cepstrum(log_mel), log_mel @ basis.T, atol=1e-12)


def test_mcd_ignores_overall_gain_and_is_zero_on_identity(rng):
  log_mel = rng.standard_normal((30, 80))
  assert metrics.log_mel_cepstral_distance(log_mel, log_mel) == 0.0
  # A gain change adds a constant to every band: only c0 moves, and c0 is excluded.
  assert metrics.log_mel_cepstral_distance(log_mel, log_mel + 2.5) < 1e-9


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
  assert metrics.log_mel_cepstral_distance(twice_a, twice_b) == pytest.approx(
      metrics.log_mel_cepstral_distance(a, b), rel=1e-9)


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
    metrics.log_mel_cepstral_distance(reference, estimate)


def test_confidence_interval_rejects_bad_input():
  with pytest.raises(ValueError, match="at least 2"):
    metrics.mean_confidence_interval([1.0])
  with pytest.raises(ValueError, match="NaN"):
    metrics.mean_confidence_interval([1.0, np.nan])


# --- the field's MCD (WORLD + sp2mc), against SPTK --------------------------------------

def sptk(*arguments, data, outputs):
  """Runs an SPTK command on float32 ``data``; returns float64 [-1, outputs]."""
  assert shutil.which("sptk"), "Debian's sptk package: bash scripts/setup.sh installs it"
  result = subprocess.run(["sptk", *arguments], input=np.asarray(data, np.float32).tobytes(),
                          capture_output=True, check=True)
  return np.frombuffer(result.stdout, np.float32).astype(np.float64).reshape(-1, outputs)


@pytest.mark.parametrize("alpha", [0.42, 0.0, 0.31])
def test_frequency_warping_matches_sptk_freqt(rng, alpha):
  cepstrum = rng.standard_normal((4, 1024)) * np.exp(-np.arange(1024) / 40.0)
  expected = sptk("freqt", "-m", "1023", "-M", "24", "-a", "0", "-A", str(alpha),
                  data=cepstrum, outputs=25)
  ours = cepstrum @ metrics.frequency_warping_matrix(1024, 24, alpha)
  np.testing.assert_allclose(ours, expected, atol=2e-5 * np.abs(expected).max())


def test_sp2mc_recovers_the_mel_cepstrum_sptk_made_a_power_spectrum_from(rng):
  """SPTK ``mgc2sp -o 3``: mel-cepstrum -> |H|^2. ``sp2mc`` must give the same
  coefficients back (so the MCD is on SPTK's scale, not twice it)."""
  mel_cepstrum = rng.standard_normal((6, 25)) * 0.8 / (1.0 + np.arange(25))
  power = sptk("mgc2sp", "-a", "0.42", "-g", "0", "-m", "24", "-l", "1024", "-o", "3",
               data=mel_cepstrum, outputs=513)
  np.testing.assert_allclose(metrics.sp2mc(power, 24, 0.42), mel_cepstrum, atol=1e-5)
  amplitude = np.sqrt(power)  # an amplitude envelope halves every coefficient
  np.testing.assert_allclose(metrics.sp2mc(amplitude, 24, 0.42), mel_cepstrum / 2, atol=1e-5)


def test_mcd_on_aligned_frames_matches_sptk_cdist(rng):
  reference = rng.standard_normal((12, 25))
  estimate = reference + 0.2 * rng.standard_normal((12, 25))
  estimate[:, 0] += 3.0  # c0 (energy) is excluded by both
  ours = metrics.mcd_from_cepstra(reference[:, 1:], estimate[:, 1:])
  path = metrics.exact_dtw_path(reference[:, 1:], estimate[:, 1:])
  aligned_reference, aligned_estimate = reference[path[:, 0]], estimate[path[:, 1]]
  with tempfile.NamedTemporaryFile(suffix=".bin") as handle:
    aligned_reference.astype(np.float32).tofile(handle.name)
    expected = sptk("cdist", "-m", "24", "-o", "0", handle.name, data=aligned_estimate,
                    outputs=1)
  assert ours == pytest.approx(float(expected[0, 0]), rel=1e-5)


def naive_dtw_cost(a, b):
  """Textbook DTW (steps (1,0), (0,1), (1,1)), Euclidean local cost: total cost."""
  cost = np.full((len(a) + 1, len(b) + 1), np.inf)
  cost[0, 0] = 0.0
  for i in range(1, len(a) + 1):
    for j in range(1, len(b) + 1):
      cost[i, j] = np.linalg.norm(a[i - 1] - b[j - 1]) + min(
          cost[i - 1, j], cost[i, j - 1], cost[i - 1, j - 1])
  return cost[-1, -1]


def test_dtw_path_is_optimal_by_a_naive_dynamic_programme(rng):
  a = rng.standard_normal((9, 24))
  b = np.repeat(a, 2, axis=0)[:15] + 0.05 * rng.standard_normal((15, 24))
  path = metrics.exact_dtw_path(a, b)
  assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (len(a) - 1, len(b) - 1)
  assert np.all(np.diff(path, axis=0) >= 0)
  ours = np.linalg.norm(a[path[:, 0]] - b[path[:, 1]], axis=-1).sum()
  assert ours == pytest.approx(naive_dtw_cost(a, b), rel=1e-9)


def test_mcd_by_hand_a_known_cepstral_offset():
  reference = np.zeros((7, 24))
  assert metrics.mcd_from_cepstra(reference, reference) == 0.0
  estimate = reference.copy()
  estimate[:, 2] = 0.5  # c3 off by 0.5 in every frame
  expected = 10.0 / math.log(10.0) * math.sqrt(2.0 * 0.5 ** 2)  # 3.07 dB
  assert metrics.mcd_from_cepstra(reference, estimate) == pytest.approx(expected, rel=1e-12)


def test_standard_mcd_on_audio_zero_on_identity_blind_to_gain_and_sees_timbre():
  vowel = signals.speech_like(seconds=1.0, seed=0)
  analysed = metrics.world_analysis(vowel, 16000)
  assert analysed.voiced.mean() > 0.5
  assert metrics.standard_mcd(analysed, analysed) == 0.0
  quieter = metrics.world_analysis(0.3 * vowel, 16000)
  assert metrics.standard_mcd(analysed, quieter) < 0.05  # gain only moves c0
  tone = metrics.world_analysis(signals.harmonic_tone(f0=220.0, seconds=1.0), 16000)
  assert metrics.standard_mcd(analysed, tone) > 3.0


def test_harvest_and_dio_give_close_mcds():
  """The F0 estimator only picks voiced frames and steers CheapTrick."""
  a = signals.speech_like(seconds=1.0, seed=0)
  b = signals.speech_like(seconds=1.0, seed=3) * 0.7 + 0.1 * signals.harmonic_tone()
  by = {method: metrics.standard_mcd(metrics.world_analysis(a, 16000, method),
                                     metrics.world_analysis(b, 16000, method))
        for method in ("dio", "harvest")}
  assert by["dio"] == pytest.approx(by["harvest"], rel=0.15)


def test_unvoiced_signal_falls_back_to_its_non_silent_frames():
  speech = metrics.world_analysis(signals.speech_like(), 16000)
  unvoiced = metrics.WorldAnalysis(speech.mel_cepstrum, np.zeros_like(speech.f0))
  frames, voiced = unvoiced.mcd_frames()
  level_db = 20.0 / math.log(10.0) * speech.mel_cepstrum[:, 0]
  assert not voiced and len(frames) == np.sum(level_db >= level_db.max() - 40.0)
  assert 0 < len(frames) < len(speech.f0)  # the silent ends are left out
  assert math.isfinite(metrics.standard_mcd(speech, unvoiced))
  assert speech.mcd_frames()[1] and len(speech.mcd_frames()[0]) == speech.voiced.sum()


@pytest.mark.parametrize("waveform, message", [
    (np.zeros(100), "at least 1024 samples"), (np.full(4000, np.nan), "NaN")])
def test_world_analysis_rejects_bad_input(waveform, message):
  with pytest.raises(ValueError, match=message):
    metrics.world_analysis(waveform, 16000)


@pytest.mark.parametrize("successes, trials", [(8, 10), (0, 12), (143, 143), (57, 143)])
def test_share_interval_is_scipys_wilson_interval(successes, trials):
  low, high = metrics.share_confidence_interval(successes, trials)
  expected = scipy.stats.binomtest(successes, trials).proportion_ci(0.95, method="wilson")
  assert low == pytest.approx(expected.low, abs=1e-9)
  assert high == pytest.approx(expected.high, abs=1e-9)
