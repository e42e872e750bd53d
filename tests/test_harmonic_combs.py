"""Generated harmonic combs and the ``harmonic_comb`` head: the combs against
librosa's front-end, the comb choice against the pitch of synthetic tones,
the head's formula against NumPy / scipy, saving and loading."""

import keras
import librosa
import numpy as np
import pytest
import scipy.signal
import tensorflow as tf

from tests import signals
from tests.head_reference import dct_curve, dct_smooth, project_random
from tf_transforms.core.configs import AudioConfig, ModelConfig
from tf_transforms.model import transform_model
from tf_transforms.model.heads import HarmonicCombHead, HarmonicLevelsHead, comb_chooser, make_head
from tf_transforms.signal import harmonic_combs, melspec

CONFIG = AudioConfig()


def librosa_log_mel(waveform, config):
  """The front-end by librosa: pre-emphasis, centred zero-padded STFT (Hann),
  Slaney mel power, floored natural log, normalised."""
  emphasised = np.append(waveform[:1], waveform[1:] - config.pre_emphasis * waveform[:-1])
  power = np.abs(librosa.stft(emphasised.astype(np.float64), n_fft=config.fft_length,
                              hop_length=config.frame_step, win_length=config.frame_length,
                              window="hann", center=True, pad_mode="constant")) ** 2
  mel = librosa.filters.mel(sr=config.sample_rate, n_fft=config.fft_length,
                            n_mels=config.num_mel_bins) @ power
  low, high = config.log_range
  return ((np.log(np.maximum(mel, config.log_floor)) - low) * 2 / (high - low) - 1).T


def test_a_comb_is_the_middle_frame_of_its_rendering_through_librosas_front_end():
  """comb_log_mel passes only the samples its middle frame reads through the
  front-end; the frame equals librosa's middle frame of the whole rendering
  (scaled as comb_log_mel scales it: to PEAK over the samples the frame reads)."""
  midi = np.array([30.0, 47.3, 60.0, 71.9, 90.0])
  start, stop = harmonic_combs.middle_frame_span(CONFIG)
  waveforms = harmonic_combs.comb_waveforms(midi, CONFIG).astype(np.float64)
  combs = harmonic_combs.comb_log_mel(midi, CONFIG)
  for waveform, comb in zip(waveforms, combs):
    waveform = harmonic_combs.PEAK * waveform / np.abs(waveform[start:stop]).max()
    reference = librosa_log_mel(waveform, CONFIG)
    np.testing.assert_allclose(comb, reference[len(reference) // 2], atol=2e-3)


def test_a_combs_fine_structure_peaks_at_its_harmonics():
  """At 220 Hz (MIDI 57) the harmonics below 1 kHz are resolved by the mel
  bands (librosa's Slaney centres): the fine structure is positive at the
  band nearest each harmonic and negative at the band midway between two."""
  head = make_head(ModelConfig(output_head="harmonic_comb"), CONFIG)
  fine = head.bank.combs.numpy()[np.argmin(np.abs(head.bank.midi - 57.0))]
  centres = librosa.mel_frequencies(CONFIG.num_mel_bins + 2, fmin=0.0, fmax=8000.0)[1:-1]
  for harmonic in (1, 2, 3, 4):
    assert fine[np.argmin(np.abs(centres - 220.0 * harmonic))] > 0.05, harmonic
    assert fine[np.argmin(np.abs(centres - 220.0 * (harmonic + 0.5)))] < -0.05, harmonic


def test_each_bank_comb_is_chosen_for_itself():
  """From MIDI 36 (C2, gm_notes' lowest) up, every comb of the bank is chosen
  within 50 cents of itself. Below, its harmonics lie under the lowest
  bands' resolution, and the prior on the fundamental's band moves some
  combs (MIDI 30-36) by up to 8 semitones; 95% are still chosen exactly."""
  head = make_head(ModelConfig(output_head="harmonic_comb"), CONFIG)
  combs = harmonic_combs.bank_log_mel(CONFIG)
  source = np.repeat(combs[:, None], 3, axis=1)                            # [P, 3, F]
  chosen = head.choose_combs(source, np.full(len(combs), 3)).numpy()
  cents = 100 * (head.bank.midi[chosen] - head.bank.midi)
  assert np.all(np.abs(cents[head.bank.midi >= 36]) < 50)
  assert np.mean(chosen == np.arange(len(combs))) >= 0.95


def test_the_chosen_comb_has_the_pitch_of_a_harmonic_tone(rng):
  """Tones of known F0 (MIDI 45-84, off the bank's grid) with random partial
  levels, the fundamental sometimes weak: the chosen comb is within 50 cents
  of the F0 for at least 85% of them. (Log-mel bands resolve harmonics only
  at low frequencies, so a tone with weak odd partials can pass for its
  octave: an error the bound allows, measured on gm_notes in docs/results.md.)"""
  head = make_head(ModelConfig(output_head="harmonic_comb"), CONFIG)
  t = np.arange(8000) / CONFIG.sample_rate
  midi = rng.uniform(45, 84, 40)
  log_mels = []
  for f0 in harmonic_combs.midi_to_hz(midi):
    harmonics = np.arange(1, int(8000 / f0) + 1)
    levels = rng.uniform(0.05, 1.0, len(harmonics)) / np.sqrt(harmonics)
    tone = (levels[:, None] * np.sin(2 * np.pi * f0 * harmonics[:, None] * t +
                                     rng.uniform(0, 2 * np.pi, (len(harmonics), 1)))).sum(0)
    log_mels.append(librosa_log_mel(0.3 * tone / np.abs(tone).max(), CONFIG))
  source = np.stack(log_mels).astype(np.float32)
  chosen = head.choose_combs(source, np.full(len(midi), source.shape[1])).numpy()
  cents = 100 * (head.bank.midi[chosen] - midi)
  assert np.mean(np.abs(cents) < 50) >= 0.85, np.round(cents)


def test_harmonic_comb_head_sets_the_levels_of_the_chosen_comb(rng):
  """Against NumPy, scipy's DCT and librosa's mel filters: the comb is the
  bank entry whose fine structure has the largest cosine with the source's,
  summed over its valid frames, plus FUNDAMENTAL_WEIGHT times that fine
  structure in the band that weights the comb's fundamental most;
  y_t = max(x_i S + o_t B + 4^tanh(g_t B) * comb, -1)."""
  bins, r, k = 12, 2, 4
  head = HarmonicCombHead(bins, r, k, time_reduction=2,
                          audio_config=AudioConfig(num_mel_bins=bins))
  frames = rng.standard_normal((2, 8, bins)).astype(np.float32)
  lengths = np.array([8, 5])
  out, features, weights, kernel, bias = project_random(head, rng, frames, lengths)

  def curve(coefficients):
    return dct_curve(coefficients, bins)

  def smooth(v):
    return dct_smooth(v, k)

  combs = harmonic_combs.bank_log_mel(AudioConfig(num_mel_bins=bins))
  bank = np.stack([comb - smooth(comb) for comb in combs])
  filters = librosa.filters.mel(sr=16000, n_fft=2048, n_mels=bins)                # [F, 1025]
  f0 = 440.0 * 2 ** ((head.bank.midi - 69) / 12)
  fundamental = np.argmax(filters[:, np.round(f0 * 2048 / 16000).astype(int)], axis=0)
  gains = []
  for b in range(2):
    valid = frames[b, :lengths[b]]
    fine = sum(frame - smooth(frame) for frame in valid)
    chosen = np.argmax(bank @ fine / np.linalg.norm(bank, axis=1) +
                       harmonic_combs.FUNDAMENTAL_WEIGHT * fine[fundamental])
    assert int(head.choose_combs(frames, lengths)[b]) == chosen
    padded = np.concatenate([valid, np.zeros((8 - lengths[b], bins))])
    means = [padded[2 * j:2 * j + 2][:max(0, min(2, lengths[b] - 2 * j))] for j in range(4)]
    blocks = np.stack([smooth(m.mean(0)) if len(m) else np.zeros(bins) for m in means])
    params = (features[b] @ kernel + bias).reshape(4, r, 2 * k)
    for i in range(4):
      for j in range(r):
        gain = 4.0 ** np.tanh(curve(params[i, j, k:]))
        gains.append(gain)
        expected = np.maximum(weights[b, i] @ blocks + curve(params[i, j, :k]) +
                              gain * bank[chosen], -1.0)
        np.testing.assert_allclose(out[b, i, j], expected, atol=1e-5)
  gains = np.concatenate(gains)
  assert gains.min() < 0.4 and gains.max() > 2.5   # the weights above use the range


def test_harmonic_comb_head_needs_the_runs_audio_config():
  config = ModelConfig(output_head="harmonic_comb", num_mel_bins=12)
  with pytest.raises(ValueError, match="pass audio_config"):
    make_head(config)
  with pytest.raises(ValueError, match="audio_config.num_mel_bins=80 differs"):
    make_head(config, AudioConfig())
  with pytest.raises(ValueError, match="audio_config must be the run's AudioConfig"):
    HarmonicCombHead(12, 2)


@pytest.mark.parametrize("head", ["harmonic_comb", "harmonic_levels"])
def test_a_harmonic_comb_model_saves_and_loads_with_its_front_end(rng, tmp_path, head):
  audio_config = AudioConfig(num_mel_bins=12, fft_length=1024)
  config = ModelConfig(output_head=head, num_mel_bins=12, num_styles=4,
                       conv_filters=16, encoder_units=16, decoder_units=32,
                       attention_units=16, prenet_units=16, max_decoder_steps=10)
  model = transform_model.build_model(config, audio_config)
  for weight in model.decoder.head.weights:
    weight.assign(0.1 * rng.standard_normal(weight.shape))
  path = str(tmp_path / "comb.keras")
  model.save(path)
  loaded = keras.saving.load_model(path, safe_mode=True)
  assert loaded.audio_config == audio_config
  source = rng.standard_normal((2, 9, 12)).astype(np.float32)
  args = (source, np.array([9, 6]), np.array([0, 1]), np.array([2, 3]))
  expected = model.generate(*args, num_frames=8)["frames"]
  np.testing.assert_allclose(loaded.generate(*args, num_frames=8)["frames"], expected, atol=1e-6)
  np.testing.assert_allclose(loaded.decoder.head.bank.combs, model.decoder.head.bank.combs)
  assert np.abs(expected).max() > 0 and tf.reduce_all(tf.math.is_finite(expected))


# ---------------------------------------------------------------- per-harmonic levels


@pytest.mark.parametrize("midi", [42.0, 57.3, 70.0])
def test_band_shares_split_each_bands_power_among_the_harmonics(midi):
  """harmonic_band_shares against each harmonic rendered alone (a sinusoid),
  pre-emphasised, Hann-windowed and through librosa's mel filters: the share
  of every band holding at least 1% of the loudest band's power within 0.006
  (the shares keep each harmonic's main lobe only)."""
  config, harmonics = CONFIG, 16
  f0 = float(harmonic_combs.midi_to_hz(midi))
  t = np.arange(config.frame_length + 1) / config.sample_rate
  window = scipy.signal.get_window("hann", config.frame_length, fftbins=True)
  filters = librosa.filters.mel(sr=config.sample_rate, n_fft=config.fft_length,
                                n_mels=config.num_mel_bins)                # [F, bins]
  rows = np.zeros((harmonics + 1, config.num_mel_bins))
  for k in range(1, int(config.sample_rate / 2 / f0) + 1):
    tone = np.sin(2 * np.pi * k * f0 * t + 0.7 * k)
    frame = (tone[1:] - config.pre_emphasis * tone[:-1]) * window
    rows[min(k, harmonics + 1) - 1] += filters @ np.abs(np.fft.rfft(frame, config.fft_length)) ** 2
  total = rows.sum(0)
  loud = total > 0.01 * total.max()
  shares = harmonic_combs.harmonic_band_shares(config, harmonics)
  ours = shares[np.argmin(np.abs(harmonic_combs.bank_midi() - midi))]
  assert ours.shape == (harmonics + 1, config.num_mel_bins)
  np.testing.assert_allclose(ours.sum(0), 1.0, atol=1e-5)
  np.testing.assert_allclose(ours[:, loud], (rows / total)[:, loud], atol=0.006)
  assert loud.sum() >= 20 and (ours[0] > 0.9).sum() >= 2   # the fundamental fills bands of its own


def test_harmonic_levels_head_puts_each_harmonics_level_on_its_bands(rng):
  """Against NumPy and scipy's DCT: harmonic_comb's output plus
  λ log([e^l, 1] @ shares[chosen]) before the floor, l = L tanh(.), with the
  chosen comb's harmonic_band_shares; with the level weights at zero it is
  harmonic_comb's output exactly."""
  bins, r, k = 12, 2, 4
  audio_config = AudioConfig(num_mel_bins=bins)
  head = HarmonicLevelsHead(bins, r, k, time_reduction=2, audio_config=audio_config)
  comb = HarmonicCombHead(bins, r, k, time_reduction=2, audio_config=audio_config)
  frames = rng.standard_normal((2, 8, bins)).astype(np.float32)
  lengths = np.array([8, 5])
  out, features, weights, kernel, bias = project_random(head, rng, frames, lengths)
  h = comb_chooser.NUM_HARMONICS
  assert kernel.shape[-1] == r * (2 * k + h)
  low, high = audio_config.log_range
  shares = harmonic_combs.harmonic_band_shares(audio_config, h)
  chosen = head.choose_combs(frames, lengths).numpy()
  prepared = comb.prepare(frames, lengths, num_frames=8)
  comb.build(features.shape)
  per_step = np.reshape(np.arange(r * (2 * k + h)), (r, 2 * k + h))
  curves = per_step[:, :2 * k].ravel()
  comb.kernel.assign(kernel[:, curves])
  comb.bias.assign(bias[curves])
  comb_out = np.asarray(comb.project(features, weights, prepared)).reshape(2, 4, r, bins)
  levels = []
  for b in range(2):
    params = (features[b] @ kernel + bias).reshape(4, r, 2 * k + h)
    for i in range(4):
      for j in range(r):
        level = HarmonicLevelsHead.MAX_LEVEL_NATS * np.tanh(params[i, j, 2 * k:])
        levels.append(level)
        band = np.log(np.append(np.exp(level), 1.0) @ shares[chosen[b]]) * 2 / (high - low)
        floored = comb_out[b, i, j] <= -1.0 + 1e-6
        # harmonic_comb's output before its floor, where it is not floored
        expected = np.maximum(comb_out[b, i, j] + band, -1.0)
        np.testing.assert_allclose(out[b, i, j][~floored], expected[~floored], atol=1e-4)
  assert np.ptp(np.concatenate(levels)) > 5.0       # the weights above use the range
  head.kernel.assign(np.zeros_like(kernel))
  head.bias.assign(np.zeros_like(bias))
  comb.kernel.assign(np.zeros_like(kernel[:, curves]))
  comb.bias.assign(np.zeros_like(bias[curves]))
  np.testing.assert_array_equal(head.project(features, weights, head.prepare(frames, lengths, 8)),
                                comb.project(features, weights, prepared))


# ---------------------------------------------------------------- the vocoder's harmonic prior


def test_hann_response_is_the_windows_spectrum():
  """hann_response against the magnitude of a zero-padded FFT of scipy's
  periodic Hann window (the STFT's), at offsets in the window's own bins,
  within 1e-3 over the main lobe; zero outside it."""
  length, oversample = 800, 64
  window = scipy.signal.get_window("hann", length, fftbins=True)
  spectrum = np.abs(np.fft.rfft(window, length * oversample))
  spectrum /= spectrum[0]
  offsets = np.arange(0, 3 * oversample) / oversample                # 0 .. 3 window bins
  ours = harmonic_combs.hann_response(tf.constant(offsets, tf.float32)).numpy()
  lobe = offsets < 2.0
  np.testing.assert_allclose(ours[lobe], spectrum[:len(offsets)][lobe], atol=1e-3)
  assert np.all(ours[~lobe] == 0.0)
  np.testing.assert_allclose(harmonic_combs.hann_response(tf.constant(-offsets[:90], tf.float32)),
                             ours[:90])


@pytest.mark.parametrize("midi", [39.0, 45.3, 60.0])
def test_harmonic_pattern_peaks_where_a_rendered_comb_has_its_harmonics(midi):
  """The pattern against the power spectrum of a rendered comb
  (``comb_waveforms``) by NumPy's FFT of one Hann-windowed frame: the same
  peaks, to a bin, and log-spectra that agree (correlation > 0.97)."""
  config = CONFIG
  waveform = harmonic_combs.comb_waveforms([midi], config)[0].astype(np.float64)
  window = scipy.signal.get_window("hann", config.frame_length, fftbins=True)
  middle = len(waveform) // 2
  frame = waveform[middle - config.frame_length // 2:middle + config.frame_length // 2]
  power = np.abs(np.fft.rfft(frame * window, config.fft_length)) ** 2
  power /= power.max()
  pattern = harmonic_combs.harmonic_pattern(harmonic_combs.midi_to_hz(midi), config,
                                            floor=0.0).numpy()

  def peaks(p):
    return np.flatnonzero((p[1:-1] > p[:-2]) & (p[1:-1] > p[2:]) & (p[1:-1] > 0.3)) + 1

  expected = peaks(power)
  assert len(peaks(pattern)) == len(expected) > 10
  assert np.abs(peaks(pattern) - expected).max() <= 1
  assert np.corrcoef(np.log(power + 1e-3), np.log(pattern + 1e-3))[0, 1] > 0.97


def test_harmonic_prior_is_the_pattern_of_the_comb_the_head_would_choose():
  """The vocoder's pitch is the harmonic_comb head's choice (one scorer for
  both): for notes at three pitches, the prior peaks at the chosen comb's
  harmonics, and that comb is within 50 cents of the note."""
  config = AudioConfig(mel_inverse_prior="harmonic")
  head = make_head(ModelConfig(output_head="harmonic_comb"), config)
  for midi in (45.0, 57.0, 69.0):
    tone = signals.harmonic_tone(f0=float(harmonic_combs.midi_to_hz(midi)))
    log_mel = melspec.log_mel_spectrogram(tone, config)[None]
    normalised = melspec.normalize_log_spectrogram(log_mel, config)
    chosen = int(head.choose_combs(normalised, [log_mel.shape[1]])[0])
    assert abs(head.bank.midi[chosen] - midi) <= 0.5, (midi, head.bank.midi[chosen])
    prior = harmonic_combs.harmonic_prior(log_mel, config).numpy()[0, 0]
    expected = harmonic_combs.harmonic_pattern(
        harmonic_combs.midi_to_hz(head.bank.midi[chosen]), config).numpy()
    np.testing.assert_allclose(prior, expected, rtol=1e-6)
