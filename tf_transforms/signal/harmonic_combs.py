"""Generated harmonic combs: what a note at a given pitch looks like through
the front-end, whatever the instrument.

A comb is equal-amplitude harmonics of one fundamental (random, seeded
phases) up to Nyquist, rendered as a waveform and passed through the model's
own front-end (``melspec.log_mel_spectrogram``, normalised); its middle frame
is the comb. Its fine structure (the comb minus its smooth part, see
``model/heads/source.py``) puts a harmonic wherever the pitch puts one,
including where a given source instrument has none: the comb heads build
their output on it (``scripts/head_oracles.py`` measures what that can reach).

The same choice gives the vocoder its pitch: with
``AudioConfig.mel_inverse_prior="harmonic"`` (``train.py
--mel_inverse_prior=harmonic``, notes only), ``harmonic_prior``
chooses the comb that best matches the log-mel being vocoded, and the mel
inverse starts from a linear spectrum with that comb's harmonics
(``vocoding.mel_to_linear``'s ``prior``), where 80 mel bands cannot say where the
harmonics of a low note are.
"""

import functools

import numpy as np
import tensorflow as tf

from tf_transforms.core.configs import AudioConfig
from tf_transforms.signal import melspec
from tf_transforms.signal.ops import dct_basis, runtime_constant

SECONDS = 0.3    # rendered length: several frames of steady state around the middle one
PEAK = 0.1       # peak amplitude of the rendered comb
# The bank the harmonic_comb head chooses from: MIDI 24-96 (C1-C7, 32.7 Hz -
# 2.1 kHz; gm_notes plays 36-84) in 10-cent steps (721 combs).
BANK_LOWEST_MIDI, BANK_HIGHEST_MIDI, BANK_CENTS = 24.0, 96.0, 10.0
# The prior of ``comb_scorer`` on the fundamental's band: a comb an octave or a
# twelfth below the note fits the source's harmonics too, but puts its
# fundamental where the source has no peak. Chosen on gm_notes' training notes;
# every bank comb from MIDI 36 up is chosen within 50 cents of itself
# (tests/test_harmonic_combs.py).
FUNDAMENTAL_WEIGHT = 0.5
# DCT coefficients of the smooth part the vocoder's choice removes (the
# ``harmonic_comb`` head's default ``envelope_coefficients``).
PRIOR_COEFFICIENTS = 12
# The harmonic prior's level between harmonics, relative to a harmonic's peak
# (chosen on gm_notes' validation pairs).
PRIOR_FLOOR = 1e-3


def midi_to_hz(midi):
  return 440.0 * 2.0 ** ((np.asarray(midi, np.float64) - 69.0) / 12.0)


def comb_waveforms(midi, config: AudioConfig, seed=0, span=None) -> np.ndarray:
  """float32 ``[P, samples]``: the combs' waveforms, one per MIDI number in
  ``midi`` (``[P]``, fractional allowed), samples ``span = (start, stop)`` of
  a ``SECONDS`` rendering (default: all of it), each scaled to peak ``PEAK``
  over those samples."""
  midi = np.atleast_1d(np.asarray(midi, np.float64))
  t = np.arange(*(span or (0, int(SECONDS * config.sample_rate)))) / config.sample_rate
  waveforms = np.zeros([len(midi), len(t)], np.float64)
  for row, f0 in enumerate(midi_to_hz(midi)):
    harmonics = np.arange(1, int(config.sample_rate / 2 / f0) + 1)
    phases = np.random.default_rng(seed).uniform(0, 2 * np.pi, len(harmonics))
    signal = np.cos(2 * np.pi * f0 * harmonics[:, None] * t + phases[:, None]).sum(0)
    waveforms[row] = PEAK * signal / np.abs(signal).max()
  return waveforms.astype(np.float32)


def _middle_frame(config: AudioConfig) -> tuple[int, int]:
  """The middle frame of a ``SECONDS`` rendering: its centre sample, and how
  many frames precede it in ``middle_frame_span``."""
  centre = (config.num_frames(int(SECONDS * config.sample_rate)) // 2) * config.frame_step
  return centre, -(-(config.frame_length // 2 + 1) // config.frame_step)


def middle_frame_span(config: AudioConfig) -> tuple[int, int]:
  """The samples of a ``SECONDS`` rendering that its middle frame reads (the
  centred window, and one sample before it for pre-emphasis), rounded out
  to whole hops before the middle: ``(start, stop)``."""
  centre, lead = _middle_frame(config)
  return centre - lead * config.frame_step, centre + config.frame_length // 2 + 1


def _middle_log_mel(waveforms, config: AudioConfig) -> np.ndarray:
  """The normalised log-mel middle frame [P, F] of ``middle_frame_span``'s samples [P, n]."""
  with tf.init_scope():  # eager even when called while a graph is traced
    log_mel = melspec.normalize_log_spectrogram(
        melspec.log_mel_spectrogram(tf.constant(waveforms), config), config).numpy()
  return log_mel[:, _middle_frame(config)[1]]


def comb_log_mel(midi, config: AudioConfig, seed=0) -> np.ndarray:
  """float32 ``[P, num_mel_bins]``: each comb's normalised log-mel frame,
  through ``config``'s front-end: the middle frame of a ``SECONDS``
  rendering, computed from the samples it reads (``middle_frame_span``),
  scaled to peak ``PEAK`` over them."""
  span = middle_frame_span(config)
  return _middle_log_mel(comb_waveforms(midi, config, seed, span), config)


def bank_midi() -> np.ndarray:
  """float64 ``[P]``: the MIDI numbers of the bank's combs."""
  steps = int(round((BANK_HIGHEST_MIDI - BANK_LOWEST_MIDI) * 100 / BANK_CENTS))
  return BANK_LOWEST_MIDI + np.arange(steps + 1) * BANK_CENTS / 100


@functools.lru_cache(maxsize=4)
def bank_log_mel(config: AudioConfig) -> np.ndarray:
  """float32 ``[P, num_mel_bins]``: ``comb_log_mel`` of every ``bank_midi()``
  pitch (kept per process, read-only)."""
  span = middle_frame_span(config)
  combs = _middle_log_mel(_bank_waveforms(config.sample_rate, span), config)
  combs.setflags(write=False)
  return combs


@functools.lru_cache(maxsize=4)
def _bank_waveforms(sample_rate, span):
  """``comb_waveforms`` of the bank (~1 s on one core), shared by the
  front-end configurations with the same sampling and framing (read-only)."""
  waveforms = comb_waveforms(bank_midi(), AudioConfig(sample_rate=sample_rate), span=span)
  waveforms.setflags(write=False)
  return waveforms


def fine_projection(num_coefficients, num_mel_bins) -> np.ndarray:
  """float32 ``[F, F]``: ``v @ P`` is v without its smooth part (the first
  ``num_coefficients`` DCT-II coefficients over the F bands): its fine
  structure."""
  basis = dct_basis(num_coefficients, num_mel_bins)
  return (np.eye(num_mel_bins, dtype=np.float32) - basis.T @ basis).astype(np.float32)


@functools.lru_cache(maxsize=8)
def comb_scorer(config: AudioConfig, num_coefficients: int) -> tuple:
  """The bank's fine structures and the matrix that scores them against a
  clip, for the front-end ``config`` and a smooth part of
  ``num_coefficients`` DCT coefficients:

    f = sum_t (s_t P)                        (P: ``fine_projection``)
    score_q = <f, c_q> / |c_q| + FUNDAMENTAL_WEIGHT f[b_q]

  with c_q comb q's fine structure and b_q the band its fundamental falls in
  (the mel filter weighting its FFT bin most). Both terms are linear in the
  summed frames, so ``score = (sum_t s_t) @ scorer``.

  Returns:
    (fine ``[P, F]``, scorer ``[F, P]``), float32, read-only.
  """
  projection = fine_projection(num_coefficients, config.num_mel_bins)
  fine = bank_log_mel(config) @ projection
  unit = fine / np.maximum(np.linalg.norm(fine, axis=1, keepdims=True), 1e-6)
  fft_bins = np.round(midi_to_hz(bank_midi()) * config.fft_length /
                      config.sample_rate).astype(int)
  fundamental = np.argmax(melspec.mel_weight_matrix(config)[fft_bins], axis=1)  # [P]
  scorer = projection @ (unit.T + FUNDAMENTAL_WEIGHT *
                         np.eye(config.num_mel_bins)[:, fundamental])
  fine, scorer = fine.astype(np.float32), scorer.astype(np.float32)
  for array in (fine, scorer):
    array.setflags(write=False)
  return fine, scorer


@functools.lru_cache(maxsize=8)
def harmonic_band_shares(config: AudioConfig, num_harmonics: int) -> np.ndarray:
  """How each mel band of each bank comb splits among its harmonics.

  For bank pitch q, float32 ``[P, H + 1, F]``: the share of band m's power
  that harmonic k (1..H, row k - 1) contributes, the last row for every
  harmonic above H together. A harmonic's power per FFT bin is the Hann main
  lobe's (``harmonic_pattern`` without floor) times the pre-emphasis' gain
  there; each band sums it through the mel filters. Shares sum to 1 per band;
  a band no harmonic reaches belongs to the last row. So with per-harmonic
  power gains ``g`` ``[H]``, ``log([g, 1] @ shares[q])`` is what they do to
  the comb's log-mel band by band (exactly, where one harmonic fills a band),
  and ``g = 1`` changes nothing (``heads.HarmonicLevelsHead``).
  """
  bins_hz = (np.arange(config.num_spectrogram_bins) * config.sample_rate /
             config.fft_length)                                             # [K]
  f0 = midi_to_hz(bank_midi())[:, None]                                      # [P, 1]
  # harmonic_pattern's lobes (floor 0), in float64 up to the window's response
  harmonic = np.maximum(np.round(bins_hz / f0), 1.0)                         # [P, K]
  offset = (bins_hz - harmonic * f0) * (config.frame_length / config.sample_rate)
  lobe = np.square(hann_response(tf.constant(offset, tf.float32)).numpy().astype(np.float64))
  a = config.pre_emphasis
  power = lobe * (1.0 + a * a - 2.0 * a * np.cos(2.0 * np.pi * bins_hz / config.sample_rate))
  row = np.minimum(harmonic, num_harmonics + 1).astype(int) - 1              # [P, K]
  matrix = melspec.mel_weight_matrix(config).astype(np.float64)                 # [K, F]
  bands = np.stack([(power * (row == k)) @ matrix
                    for k in range(num_harmonics + 1)], axis=1)              # [P, H+1, F]
  total = bands.sum(axis=1, keepdims=True)                                   # [P, 1, F]
  empty = total <= 1e-12 * total.max()
  shares = np.where(empty, 0.0, bands / np.maximum(total, 1e-30))
  shares[:, -1:][empty] = 1.0
  shares = shares.astype(np.float32)
  shares.setflags(write=False)
  return shares


def choose(frames, scorer):
  """Per clip, the bank index (int32 ``[...]``) of the comb that best matches
  normalised log-mel ``frames`` ``[..., T, F]`` (frames that should not count
  set to 0), by ``comb_scorer``'s ``scorer``: one matmul and an argmax."""
  total = tf.reduce_sum(frames, axis=-2)                                     # [..., F]
  scores = tf.tensordot(total, runtime_constant(scorer, total), 1)            # [..., P]
  return tf.argmax(scores, axis=-1, output_type=tf.int32)


def hann_response(offset_bins):
  """Magnitude of the periodic Hann window's spectrum, 1 at 0, at offsets in
  units of the window's own bins (``sample_rate / frame_length`` Hz):
  ``|sinc(x) / (1 - x^2)|``; zero from x = 2 on (the main lobe's edge)."""
  x = tf.abs(offset_bins)
  near_one = tf.abs(1.0 - x * x) < 1e-4
  safe = tf.where(near_one, 0.5 * tf.ones_like(x), x)
  sinc = tf.where(x < 1e-6, tf.ones_like(x),
                  tf.sin(np.pi * safe) / (np.pi * tf.maximum(safe, 1e-6)))
  response = tf.where(near_one, 0.5 * tf.ones_like(x), sinc / (1.0 - safe * safe))
  return tf.where(x < 2.0, tf.abs(response), tf.zeros_like(x))


def harmonic_pattern(f0_hz, config: AudioConfig, floor=PRIOR_FLOOR):
  """The linear power pattern of a harmonic tone at ``f0_hz`` (float32
  ``[...]``) through ``config``'s STFT: per FFT bin, the Hann main lobe's power
  at the bin's distance from the nearest harmonic, plus ``floor``: float32
  ``[..., fft_length // 2 + 1]``, peaks 1 (+ floor) on the harmonics.
  Neighbouring harmonics' lobes are not summed: a harmonic only needs its own
  main lobe to be where a pitch tracker looks."""
  f0 = tf.expand_dims(tf.convert_to_tensor(f0_hz, tf.float32), -1)          # [..., 1]
  bins_hz = tf.constant(np.arange(config.num_spectrogram_bins, dtype=np.float32) *
                        np.float32(config.sample_rate / config.fft_length))  # [K]
  harmonic = tf.maximum(tf.round(bins_hz / f0), 1.0)
  offset = (bins_hz - harmonic * f0) * (config.frame_length / config.sample_rate)
  return tf.square(hann_response(offset)) + floor


def harmonic_prior(log_mel, config: AudioConfig):
  """``vocoding.mel_to_linear``'s ``prior`` for natural-log mel ``log_mel``
  ``[..., T, F]`` holding one note per clip: the ``harmonic_pattern`` of the
  bank comb ``choose`` picks from the clip itself, ``[..., 1, bins]``."""
  _, scorer = comb_scorer(config, PRIOR_COEFFICIENTS)
  chosen = choose(melspec.normalize_log_spectrogram(log_mel, config), scorer)   # [...]
  # A table of MIDI numbers, not of Hz: TFLite's float16 variant stores it in
  # float16, which is 3 cents off at worst in MIDI numbers but up to 1 Hz at
  # the top of a table in Hz, times every harmonic (with a table in Hz the
  # export test's float16 vocoding error exceeded its bound).
  midi = tf.gather(tf.constant(bank_midi().astype(np.float32)), chosen)
  f0 = 440.0 * tf.pow(2.0, (midi - 69.0) / 12.0)
  return tf.expand_dims(harmonic_pattern(f0, config), -2)
