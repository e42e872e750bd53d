"""The tf.signal front-end against librosa / scipy references.

Conventions compared: librosa's STFT with ``center=True,
pad_mode="constant"`` (zero padding of n_fft // 2 = 1024) and a Hann window of
800 samples centred in the 2048-point frame; ours pads 400 zeros and frames
800 samples, which selects the same samples under the same window, so the
magnitudes must agree (the phases differ by a linear term).
"""

import librosa
import numpy as np
import pytest
import scipy.signal
import scipy.stats
import tensorflow as tf

from tests import signals
from tf_transforms.core.configs import AudioConfig
from tf_transforms.evaluation import metrics
from tf_transforms.signal import harmonic_combs, melspec, stft, vocoding

CONFIG = AudioConfig()  # the paper's front-end
LIBROSA_STFT = dict(n_fft=2048, hop_length=200, win_length=800, window="hann",
                    center=True, pad_mode="constant")


def librosa_magnitude(x):
  return np.abs(librosa.stft(x, **LIBROSA_STFT)).T  # [frames, bins]


# ---------------------------------------------------------------- emphasis


def test_pre_emphasis_matches_scipy_lfilter(rng):
  x = rng.standard_normal((2, 3, 5000)).astype(np.float32)
  expected = scipy.signal.lfilter([1.0, -0.97], [1.0], x, axis=-1)
  np.testing.assert_allclose(stft.pre_emphasis(x, 0.97), expected, atol=1e-6)


@pytest.mark.parametrize("coefficient, shape", [
    (0.97, (2, 48000)), (0.5, (2, 48000)), (0.995, (2, 48000)),  # 0.995: 17 blocks of state
    (0.97, (3001,)), (0.97, (2, 2, 1000)), (0.97, (1, 255))])     # ranks; partial, single block
def test_de_emphasis_matches_scipy_lfilter(rng, coefficient, shape):
  x = rng.standard_normal(shape).astype(np.float32)
  expected = scipy.signal.lfilter([1.0], [1.0, -coefficient], x, axis=-1)
  # Relative to the output's scale (float32 FFT round-off).
  np.testing.assert_allclose(stft.de_emphasis(x, coefficient), expected,
                             atol=2e-6 * np.abs(expected).max())


def test_de_emphasis_inverts_pre_emphasis_in_graph_with_dynamic_shape(rng):
  x = rng.uniform(-1, 1, (3, 12345)).astype(np.float32)
  round_trip = tf.function(
      lambda a: stft.de_emphasis(stft.pre_emphasis(a, 0.97), 0.97),
      input_signature=[tf.TensorSpec([None, None], tf.float32)])
  np.testing.assert_allclose(round_trip(x), x, atol=1e-5)


def test_de_emphasis_compiles_with_xla(rng):
  x = rng.uniform(-1, 1, (2, 4000)).astype(np.float32)
  compiled = tf.function(lambda a: stft.de_emphasis(a, 0.97), jit_compile=True)
  np.testing.assert_allclose(compiled(x), stft.de_emphasis(x, 0.97), atol=1e-5)


# ---------------------------------------------------------------- STFT


@pytest.mark.parametrize("num_samples", [16000, 16123, 799, 1])
def test_stft_magnitude_matches_librosa(rng, num_samples):
  x = rng.uniform(-1, 1, num_samples).astype(np.float32)
  ours = np.abs(stft.stft(x, CONFIG).numpy())
  reference = librosa_magnitude(x)
  assert ours.shape == reference.shape == (1 + num_samples // 200, 1025)
  np.testing.assert_allclose(ours, reference, atol=1e-5 * reference.max())


def test_inverse_stft_is_exact_including_edges(rng):
  x = rng.uniform(-1, 1, (2, 16000)).astype(np.float32)
  y = stft.inverse_stft(stft.stft(x, CONFIG), CONFIG, length=16000)
  np.testing.assert_allclose(y, x, atol=1e-5)


def test_inverse_stft_default_length_matches_librosa(rng):
  x = rng.uniform(-1, 1, 16123).astype(np.float32)
  spectrum = librosa.stft(x, **LIBROSA_STFT)
  reference = librosa.istft(spectrum, hop_length=200, win_length=800, n_fft=2048)
  ours = stft.inverse_stft(stft.stft(x, CONFIG), CONFIG).numpy()
  assert ours.shape == reference.shape
  np.testing.assert_allclose(ours, reference, atol=1e-5)


# ---------------------------------------------------------------- mel


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(num_mel_bins=40, lower_edge_hertz=50.0, upper_edge_hertz=7600.0),
    dict(sample_rate=22050, fft_length=1024, frame_length=1024, frame_step=256),
])
def test_mel_filter_bank_matches_librosa(kwargs):
  config = AudioConfig(**kwargs)
  reference = librosa.filters.mel(
      sr=config.sample_rate, n_fft=config.fft_length, n_mels=config.num_mel_bins,
      fmin=config.lower_edge_hertz, fmax=config.nyquist_upper_edge)
  ours = melspec.mel_weight_matrix(config)
  assert ours.shape == (config.num_spectrogram_bins, config.num_mel_bins)
  np.testing.assert_allclose(ours, reference.T, atol=1e-7)


def test_mel_scale_round_trip_and_librosa_agreement():
  hz = np.array([0.0, 100.0, 999.0, 1000.0, 1001.0, 4000.0, 8000.0])
  np.testing.assert_allclose(melspec.hz_to_mel(hz), librosa.hz_to_mel(hz), rtol=1e-12)
  np.testing.assert_allclose(melspec.mel_to_hz(melspec.hz_to_mel(hz)), hz, atol=1e-9)
  np.testing.assert_allclose(melspec.hz_to_mel_tensor(tf.constant(hz, tf.float32)),
                             librosa.hz_to_mel(hz), rtol=1e-5)


@pytest.mark.parametrize("make", [signals.speech_like, signals.harmonic_tone])
def test_log_mel_matches_librosa(make):
  x = make()
  emphasised = scipy.signal.lfilter([1.0, -0.97], [1.0], x).astype(np.float32)
  mel = librosa.feature.melspectrogram(y=emphasised, sr=16000, n_mels=80,
                                       power=2.0, **LIBROSA_STFT).T
  expected = np.log(np.maximum(mel, CONFIG.log_floor))
  ours = melspec.log_mel_spectrogram(x, CONFIG).numpy()
  assert ours.shape == expected.shape == (81, 80)
  np.testing.assert_allclose(ours, expected, atol=1e-3)  # natural-log units


def test_log_mel_graph_with_dynamic_batch_and_length_matches_eager(rng):
  x = rng.uniform(-0.5, 0.5, (3, 4321)).astype(np.float32)
  graph = tf.function(lambda a: melspec.log_mel_spectrogram(a, CONFIG),
                      input_signature=[tf.TensorSpec([None, None], tf.float32)])
  np.testing.assert_allclose(graph(x), melspec.log_mel_spectrogram(x, CONFIG), atol=1e-5)
  compiled = tf.function(lambda a: melspec.log_mel_spectrogram(a, CONFIG), jit_compile=True)
  np.testing.assert_allclose(compiled(x), melspec.log_mel_spectrogram(x, CONFIG), atol=1e-3)


def test_silence_gives_the_floor_not_nan():
  log_mel = melspec.log_mel_spectrogram(np.zeros(4000, np.float32), CONFIG).numpy()
  assert np.all(np.isfinite(log_mel))
  np.testing.assert_allclose(log_mel, np.log(CONFIG.log_floor), rtol=1e-6)


def test_normalisation_maps_floor_and_reference_and_inverts(rng):
  low, high = CONFIG.log_range
  np.testing.assert_allclose(melspec.normalize_log_spectrogram([low, high], CONFIG), [-1.0, 1.0], atol=1e-6)
  x = rng.uniform(-15, 12, (4, 80)).astype(np.float32)
  np.testing.assert_allclose(melspec.denormalize_log_spectrogram(melspec.normalize_log_spectrogram(x, CONFIG), CONFIG),
                             x, atol=1e-5)


# ---------------------------------------------------------------- mel inverse


@pytest.mark.parametrize("make, bound_db", [(signals.speech_like, 0.5),
                                            (signals.harmonic_tone, 6.0)])
def test_mel_to_linear_beats_librosa_nnls_in_log_mel_error(make, bound_db):
  """Both recover linear power from mel power; we compare how well the mel of
  the recovered spectrogram matches the input, in the log domain (MCD)."""
  log_mel = melspec.log_mel_spectrogram(make(), CONFIG).numpy()
  mel = np.exp(log_mel)
  matrix = melspec.mel_weight_matrix(CONFIG)

  def mel_error(power):
    return metrics.log_mel_cepstral_distance(
        log_mel, np.log(np.maximum(power @ matrix, CONFIG.log_floor)))

  ours = vocoding.mel_to_linear(mel, CONFIG).numpy()
  assert ours.shape == (log_mel.shape[0], 1025) and np.all(ours >= 0)
  reference = librosa.feature.inverse.mel_to_stft(
      mel.T, sr=16000, n_fft=2048, power=1.0).T  # power=1: the NNLS solution
  assert mel_error(ours) < bound_db
  assert mel_error(ours) < mel_error(reference)


def voiced_share(waveform, midi):
  """The share of frames librosa's pyin calls voiced (probability >= 0.5)
  within 50 cents of ``midi``: the evaluation's pitch judge, frame by frame."""
  f0, voiced, probability = librosa.pyin(
      waveform, sr=16000, frame_length=2048, hop_length=256,
      fmin=librosa.midi_to_hz(midi - 13), fmax=librosa.midi_to_hz(midi + 13))
  near = np.abs(librosa.hz_to_midi(np.nan_to_num(f0, nan=1.0)) - midi) <= 0.5
  return float(np.mean(voiced & (probability >= 0.5) & near))


def bright_note(midi, seconds=1.0):
  """A bright low note: every harmonic to Nyquist at 1/sqrt(k), spread phases,
  decaying (a low brass or bowed note's many strong partials)."""
  f0 = librosa.midi_to_hz(midi)
  t = np.arange(int(seconds * 16000)) / 16000
  signal = sum(np.cos(2 * np.pi * f0 * k * t + 0.7 * k * k) / np.sqrt(k)
               for k in range(1, int(8000 / f0)))
  return (0.3 * signal / np.abs(signal).max() * np.exp(-1.5 * t)).astype(np.float32)


@pytest.mark.parametrize("midi", [43.0, 50.0])
def test_a_harmonic_prior_keeps_the_mel_and_renders_a_low_notes_pitch(midi):
  """A low note's upper harmonics share mel bands, and the mel inverse
  started from a smooth spectrum renders them as noise: pyin finds the note in
  few frames of the vocoded clip. Started from the note's harmonics
  (mel_inverse_prior="harmonic") it finds it in most, and the recovered
  linear power still matches the mel (log-mel error within 1 dB of the plain
  fit's, below 6 dB)."""
  tone = bright_note(midi)
  harmonic = AudioConfig(mel_inverse_prior="harmonic")
  log_mel = melspec.log_mel_spectrogram(tone, CONFIG)
  matrix = melspec.mel_weight_matrix(CONFIG)

  def mel_error(config):
    prior = harmonic_combs.harmonic_prior(log_mel, config) if config is harmonic else None
    power = vocoding.mel_to_linear(tf.exp(log_mel), config, prior=prior).numpy()
    return metrics.log_mel_cepstral_distance(
        log_mel.numpy(), np.log(np.maximum(power @ matrix, CONFIG.log_floor)))

  assert mel_error(harmonic) < min(mel_error(CONFIG) + 1.0, 6.0)
  plain, with_prior = (voiced_share(vocoding.log_mel_to_audio(log_mel, config).numpy(), midi)
                       for config in (CONFIG, harmonic))
  assert voiced_share(tone, midi) > 0.8  # the judge hears the note itself
  assert with_prior > 0.6 and with_prior > plain + 0.3, (plain, with_prior)


def test_an_unknown_mel_inverse_prior_is_refused():
  with pytest.raises(ValueError, match="mel_inverse_prior must be one of"):
    AudioConfig(mel_inverse_prior="harmonics")


# ---------------------------------------------------------------- Griffin-Lim


def librosa_griffin_lim(magnitude, init, iterations=32, seed=0):
  return librosa.griffinlim(magnitude.T, n_iter=iterations, momentum=0.99,
                            init=init, random_state=seed, hop_length=200,
                            win_length=800, n_fft=2048, pad_mode="constant")


@pytest.mark.parametrize("make", [signals.speech_like, signals.harmonic_tone])
def test_griffin_lim_converges_as_well_as_librosa(make):
  magnitude = librosa_magnitude(make())
  # Same deterministic start (zero phase): the same algorithm must reach the
  # same spectral convergence up to float32 round-off.
  ours = vocoding.griffin_lim(magnitude, CONFIG, init="zeros", iterations=32)
  theirs = librosa_griffin_lim(magnitude, init=None)
  ours_sc = float(vocoding.spectral_convergence(magnitude, ours, CONFIG))
  theirs_sc = float(vocoding.spectral_convergence(magnitude, theirs.astype(np.float32), CONFIG))
  assert ours_sc <= theirs_sc * 1.02 + 1e-3
  # Random starts: one draw varies by +-30% between seeds (24 seeds each give
  # equal means: 0.0630 vs 0.0630 on the tone), so compare means over 12
  # fixed seeds each, allowing 10%.
  # Traced once, the seed a tensor (eager, the while_loop runs op by op: 5x slower).
  random_start = tf.function(lambda m, seed: vocoding.spectral_convergence(
      m, vocoding.griffin_lim(m, CONFIG, seed=seed), CONFIG))
  ours_random = np.mean([float(random_start(magnitude, tf.constant(seed)))
                         for seed in range(12)])
  theirs_random = np.mean([float(vocoding.spectral_convergence(
      magnitude, librosa_griffin_lim(magnitude, "random", seed=seed).astype(np.float32), CONFIG))
                           for seed in range(12)])
  assert ours_random <= 1.10 * theirs_random


def test_griffin_lim_improves_with_iterations_and_is_batched():
  magnitude = np.stack([librosa_magnitude(signals.speech_like(seed=s)) for s in (0, 1)])
  few = vocoding.spectral_convergence(magnitude, vocoding.griffin_lim(magnitude, CONFIG, iterations=2), CONFIG)
  many = vocoding.spectral_convergence(magnitude, vocoding.griffin_lim(magnitude, CONFIG, iterations=40), CONFIG)
  assert np.all(many.numpy() < 0.5 * few.numpy())
  single = vocoding.griffin_lim(magnitude[1], CONFIG, iterations=5, init="zeros")
  batched = vocoding.griffin_lim(magnitude, CONFIG, iterations=5, init="zeros")[1]
  np.testing.assert_allclose(batched, single, atol=1e-4)


def test_griffin_lim_is_deterministic_per_seed_and_compiles_with_xla():
  magnitude = librosa_magnitude(signals.harmonic_tone(seconds=0.5))
  first = vocoding.griffin_lim(magnitude, CONFIG, iterations=8, seed=3)
  np.testing.assert_array_equal(first, vocoding.griffin_lim(magnitude, CONFIG, iterations=8, seed=3))
  compiled = tf.function(lambda m: vocoding.griffin_lim(m, CONFIG, iterations=8, init="zeros"),
                         jit_compile=True)
  eager = vocoding.griffin_lim(magnitude, CONFIG, iterations=8, init="zeros")
  np.testing.assert_allclose(vocoding.spectral_convergence(magnitude, compiled(magnitude), CONFIG),
                             vocoding.spectral_convergence(magnitude, eager, CONFIG), atol=1e-3)


def mel_inverse_magnitude(x):
  """What the vocoder is given: the mel inverse of a clip's log-mel."""
  log_mel = melspec.log_mel_spectrogram(x, CONFIG)
  return np.sqrt(vocoding.mel_to_linear(tf.exp(log_mel), CONFIG).numpy())


@pytest.mark.parametrize("make", [signals.speech_like, signals.harmonic_tone])
def test_griffin_lim_on_two_grids_converges_as_well_as_the_full_grid(make):
  """export.py's vocoder (28 half-grid + 6 full-grid iterations) against
  evaluate.py's (32 full-grid) and librosa's 32 iterations, on what the
  vocoder is given (a mel inverse), means over 6 random starts each. Half-grid
  iterations that were wrong (other bins, or a grid that aliases the frame)
  would leave it far behind; 24 full-grid iterations, its cost in LiteRT
  (bench/griffin_lim_grids.py), do worse."""
  magnitude = mel_inverse_magnitude(make())
  converge = tf.function(lambda m, seed, coarse, full: vocoding.spectral_convergence(
      m, vocoding.griffin_lim(m, CONFIG, seed=seed, iterations=full, coarse_iterations=coarse),
      CONFIG), reduce_retracing=True)
  mean = lambda coarse, full: np.mean([float(converge(magnitude, tf.constant(seed), coarse, full))
                                       for seed in range(6)])
  two_grids, full_grid, same_cost = mean(28, 6), mean(0, 32), mean(0, 24)
  theirs = np.mean([float(vocoding.spectral_convergence(
      magnitude, librosa_griffin_lim(magnitude, "random", seed=seed).astype(np.float32), CONFIG))
                    for seed in range(6)])
  assert two_grids <= 1.02 * full_grid
  assert two_grids <= 1.05 * theirs
  assert two_grids < same_cost


def test_griffin_lim_needs_frames_of_at_most_half_the_fft_for_two_grids():
  with pytest.raises(ValueError, match="frame_length 800, fft_length 1024"):
    vocoding.griffin_lim(np.ones((3, 513), np.float32), AudioConfig(fft_length=1024),
                      coarse_iterations=2)
  with pytest.raises(ValueError, match="coarse_iterations must be >= 0"):
    vocoding.griffin_lim(np.ones((3, 1025), np.float32), CONFIG, coarse_iterations=-1)


def test_unrolled_loops_compute_what_the_while_loops_do():
  """export.py writes the vocoder's loops out (unroll=True) for LiteRT; the
  same ops give the same audio as evaluate.py's loops up to float32
  round-off, which TF's graph optimiser leaves different in the two graphs
  and the momentum iterations amplify: measured 4e-7 to 6e-7 of the peak
  after 4 + 3 iterations (checked here), up to 4e-4 after the exports' 28 + 6."""
  for make in (signals.speech_like, signals.harmonic_tone):
    log_mel = melspec.log_mel_spectrogram(make(), CONFIG)
    vocode = lambda x, unroll: vocoding.log_mel_to_audio(x, CONFIG, iterations=3,
                                                      coarse_iterations=4, unroll=unroll)
    looped = tf.function(lambda x: vocode(x, False))(log_mel)
    unrolled = tf.function(lambda x: vocode(x, True))(log_mel)
    np.testing.assert_allclose(unrolled, looped, atol=1e-5 * np.abs(looped).max())


def test_griffin_lim_rejects_unknown_init():
  with pytest.raises(ValueError, match="init"):
    vocoding.griffin_lim(np.ones((3, 1025), np.float32), CONFIG, init="bogus")


def test_log_mel_to_audio_resynthesises_recognisably():
  x = signals.speech_like(seconds=1.0)
  log_mel = melspec.log_mel_spectrogram(x, CONFIG)
  y = vocoding.log_mel_to_audio(log_mel, CONFIG, length=len(x)).numpy()
  assert y.shape == x.shape and np.all(np.isfinite(y))
  resynthesis_mcd = metrics.log_mel_cepstral_distance(
      log_mel.numpy(), melspec.log_mel_spectrogram(y, CONFIG).numpy())
  other_mcd = metrics.log_mel_cepstral_distance(
      log_mel.numpy(), melspec.log_mel_spectrogram(signals.harmonic_tone(), CONFIG).numpy())
  assert resynthesis_mcd < 7.0
  assert resynthesis_mcd < 0.5 * other_mcd


# ---------------------------------------------------------------- config


@pytest.mark.parametrize("kwargs, message", [
    (dict(fft_length=512), "fft_length must be >= frame_length"),
    (dict(frame_step=0), "frame_step"),
    (dict(pre_emphasis=1.0), "pre_emphasis"),
    (dict(upper_edge_hertz=9000.0), "upper_edge_hertz"),
    (dict(log_floor=0.0), "log_floor"),
])
def test_config_rejects_bad_values_and_names_them(kwargs, message):
  with pytest.raises(ValueError, match=message):
    AudioConfig(**kwargs)


def test_log_linear_spectrogram_matches_librosa_and_vocodes_back():
  x = signals.harmonic_tone(seconds=0.5)
  emphasised = scipy.signal.lfilter([1.0, -0.97], [1.0], x).astype(np.float32)
  expected = np.log(np.maximum(librosa_magnitude(emphasised) ** 2, CONFIG.log_floor))
  ours = melspec.log_linear_spectrogram(x, CONFIG).numpy()
  assert ours.shape == expected.shape == (41, 1025)
  np.testing.assert_allclose(ours, expected, atol=1e-3)
  y = vocoding.log_linear_to_audio(ours, CONFIG, iterations=64, length=len(x)).numpy()
  mcd = metrics.log_mel_cepstral_distance(melspec.log_mel_spectrogram(x, CONFIG).numpy(),
                                        melspec.log_mel_spectrogram(y, CONFIG).numpy())
  assert mcd < 4.0  # the true linear spectrogram, 64 Griffin-Lim iterations


# ---------------------------------------------------------------- builtin-op forms


@pytest.mark.parametrize("fft_length,num_samples", [(2048, 800), (2048, 2048), (16, 11)])
def test_irfft_by_forward_rfft_matches_numpy(rng, fft_length, num_samples):
  bins = fft_length // 2 + 1
  spectrum = (rng.standard_normal((3, 4, bins)) + 1j * rng.standard_normal((3, 4, bins)))
  # numpy's irfft, like ours, ignores the imaginary parts of DC and Nyquist.
  expected = np.fft.irfft(spectrum, fft_length)[..., :num_samples]
  ours = stft.irfft_from_rfft(spectrum.real.astype(np.float32), spectrum.imag.astype(np.float32),
                      fft_length, num_samples)
  np.testing.assert_allclose(ours, expected, atol=1e-5 * np.abs(expected).max())


def test_hashed_phase_is_uniform_and_incoherent():
  phase = vocoding.hashed_phase(400, 1025, seed=0).numpy()
  assert phase.shape == (400, 1025)
  assert phase.min() >= 0.0 and phase.max() < 2 * np.pi

  def distance_from_uniform(values):  # Kolmogorov-Smirnov statistic
    return scipy.stats.kstest(values.ravel() / (2 * np.pi), "uniform").statistic

  # The law of the phases is within 1% of uniform, and so are the phase
  # steps between neighbouring bins and frames (a linear ramp, the failure
  # of affine hashes, has a constant step: a distance near 1).
  assert distance_from_uniform(phase) < 0.01
  for axis in (0, 1):
    assert distance_from_uniform(np.mod(np.diff(phase, axis=axis), 2 * np.pi)) < 0.01
  # The mean phasor over a frame's bins is as small as for random phases.
  resultant = np.abs(np.exp(1j * phase).mean(axis=1))
  assert resultant.mean() < 3 / np.sqrt(1025)
  assert not np.array_equal(phase, vocoding.hashed_phase(400, 1025, seed=1).numpy())


def test_dsp_converts_to_tflite_builtins_and_matches(rng):
  """The TFLite export runs these functions: log-mel and Griffin-Lim must be
  builtin-only and agree with TF (batch 1, any length)."""
  from ai_edge_litert.interpreter import Interpreter

  def roundtrip(waveform):
    log_mel = melspec.log_mel_spectrogram(waveform, CONFIG)
    return {"log_mel": log_mel,
            "audio": vocoding.log_mel_to_audio(log_mel, CONFIG, iterations=4,
                                            length=tf.shape(waveform)[1])}

  module = tf.Module()
  module.roundtrip = tf.function(roundtrip)
  function = module.roundtrip.get_concrete_function(
      tf.TensorSpec([1, None], tf.float32, name="waveform"))
  converter = tf.lite.TFLiteConverter.from_concrete_functions([function], module)
  converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
  interpreter = Interpreter(model_content=converter.convert())
  for seconds in (0.5, 1.3):
    x = signals.speech_like(seconds=seconds)[None].astype(np.float32)
    runner = interpreter.get_signature_runner()
    got = runner(waveform=x)
    want = roundtrip(tf.constant(x))
    np.testing.assert_allclose(got["log_mel"], want["log_mel"], atol=2e-3)
    assert got["audio"].shape == x.shape
    np.testing.assert_allclose(got["audio"], want["audio"],
                               atol=1e-3 * np.abs(want["audio"]).max())


@pytest.mark.parametrize("length,step", [(800, 200), (6, 4)])
def test_overlap_and_add_matches_tf_signal(rng, length, step):
  frames = rng.standard_normal((2, 3, 7, length)).astype(np.float32)
  np.testing.assert_allclose(stft.overlap_and_add(frames, step),
                             tf.signal.overlap_and_add(frames, step), atol=1e-5)
