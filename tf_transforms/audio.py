"""Audio front-end as pure TensorFlow functions (tf.signal), batched.

Every function here works eagerly, inside ``tf.function`` and under XLA
(``jit_compile=True``), on any number of leading batch dimensions. Layers and
data pipelines call these; nothing here holds state.

Everything here also converts to TFLite with builtin ops only (the TFLite
export runs this same code): no complex multiplication or conjugate (power is
``re^2 + im^2``), no IRFFT (``_irfft`` uses one RFFT), no random ops
(Griffin-Lim's initial phase is an integer hash) and no dynamic-length FFT
(de-emphasis is a convolution).

Conventions (see ``configs.py`` for why):

* waveforms: float32 ``[..., samples]``, nominally in [-1, 1];
* STFTs: complex64 ``[..., frames, fft_length // 2 + 1]``, centred frames
  (frame ``t`` is centred on sample ``t * frame_step``), Hann window;
* mel spectrograms: float32 ``[..., frames, num_mel_bins]`` in power units;
* log-mel: natural log of mel power floored at ``config.log_floor``.

The feature path is ``waveform -> pre_emphasis -> stft -> |.|^2 -> mel -> log``
and its inverse (vocoding) is
``log-mel -> exp -> mel_to_linear -> sqrt -> griffin_lim -> de_emphasis``
(or, from a predicted linear spectrogram, ``exp -> sqrt -> griffin_lim -> de_emphasis``).
"""

import dataclasses
import functools
import math

import numpy as np
import tensorflow as tf

from tf_transforms.configs import AudioConfig
from tf_transforms.ops import runtime_constant

# Impulse-response tail dropped by de_emphasis, relative to its first tap.
_DE_EMPHASIS_TOLERANCE = 1e-9
# de_emphasis' block length in samples (its matrix is [B, B]).
_DE_EMPHASIS_BLOCK = 256


def pre_emphasis(audio, coefficient: float):
  """First-order high-pass ``y[n] = x[n] - a * x[n-1]`` with ``x[-1] = 0``.

  Same as ``scipy.signal.lfilter([1, -a], [1], x)``.

  Args:
    audio: float32 waveform, shape ``[..., samples]``.
    coefficient: ``a`` in [0, 1).

  Returns:
    float32 tensor of the same shape.
  """
  audio = tf.convert_to_tensor(audio, tf.float32)
  if coefficient == 0:
    return audio
  previous = tf.concat([tf.zeros_like(audio[..., :1]), audio[..., :-1]], -1)
  return audio - coefficient * previous


def de_emphasis(audio, coefficient: float):
  """Inverse of ``pre_emphasis``: the IIR ``y[n] = x[n] + a * y[n-1]``.

  A sample-by-sample recursion is slow in a graph, so the signal is cut into
  blocks of ``_DE_EMPHASIS_BLOCK`` samples and filtered in two parts:

  * within each block, from a zero state: one matrix product with the
    constant lower-triangular matrix ``L[i, o] = a^(o - i)`` (``o >= i``);
  * the state each block inherits, ``s_j`` (the true last output of block
    j): ``s_j = z_j + a^B s_{j-1}``, with ``z_j`` the last output of block j
    from a zero state, unrolled to the K terms whose weight ``a^(mB)`` is
    above ``_DE_EMPHASIS_TOLERANCE`` (K = 3 for a = 0.97), and added to
    block j + 1 as ``a^(o + 1) s_j``.

  Every op is a TFLite builtin (a matrix product, pads, adds); the matrix is
  a ``runtime_constant``, so that TFLite's dynamic-range quantisation leaves
  it float. The impulse response is exact up to lags of K blocks. Matches
  ``scipy.signal.lfilter([1], [1, -a], x)`` to float32 precision.

  Args:
    audio: float32 waveform, shape ``[..., samples]``.
    coefficient: ``a`` in [0, 1).

  Returns:
    float32 tensor of the same shape.
  """
  audio = tf.convert_to_tensor(audio, tf.float32)
  if coefficient == 0:
    return audio
  if not 0.0 < coefficient < 1.0:
    raise ValueError(f"de_emphasis coefficient must be in [0, 1). "
                     f"Received coefficient={coefficient}")
  block = _DE_EMPHASIS_BLOCK
  lag = np.arange(block)[np.newaxis, :] - np.arange(block)[:, np.newaxis]      # o - i
  within = np.where(lag >= 0, float(coefficient) ** np.maximum(lag, 0), 0.0)  # [B, B]
  carried = float(coefficient) ** np.arange(1, block + 1)                     # a^(o+1)
  terms = max(1, int(math.ceil(math.log(_DE_EMPHASIS_TOLERANCE) /
                               (block * math.log(coefficient)))))
  shape = tf.shape(audio)
  samples = shape[-1]
  num_blocks = (samples + block - 1) // block
  flat = tf.reshape(audio, tf.stack([-1, samples]))
  flat = tf.pad(flat, tf.stack([[0, 0], [0, num_blocks * block - samples]]))
  blocks = tf.reshape(flat, tf.stack([-1, num_blocks, block]))                # [M, J, B]
  zero_state = tf.tensordot(blocks, runtime_constant(within, blocks), 1)      # [M, J, B]
  last = zero_state[:, :, block - 1]                                         # z_j, [M, J]
  # (tf.slice, not [:, :J]: TFLite's STRIDED_SLICE takes no dynamic bound here.)
  first_blocks = lambda x: tf.slice(x, [0, 0], tf.stack([-1, num_blocks]))
  state = last
  for m in range(1, terms):                                                  # s_j
    state += float(coefficient) ** (m * block) * first_blocks(tf.pad(last, [[0, 0], [m, 0]]))
  inherited = first_blocks(tf.pad(state, [[0, 0], [1, 0]]))                 # s_{j-1}
  filtered = zero_state + tf.expand_dims(inherited, -1) * tf.constant(carried, tf.float32)
  filtered = tf.reshape(filtered, tf.stack([-1, num_blocks * block]))
  return tf.reshape(tf.slice(filtered, [0, 0], tf.stack([-1, samples])), shape)


def stft(audio, config: AudioConfig):
  """Centred short-time Fourier transform.

  The waveform is padded with ``frame_length // 2`` zeros on both sides, so a
  clip of ``n`` samples gives ``1 + n // frame_step`` frames. Magnitudes equal
  ``librosa.stft(n_fft=fft_length, hop_length=frame_step,
  win_length=frame_length, center=True, pad_mode="constant")``; the phase
  reference differs (frame start instead of FFT-frame start), which
  ``inverse_stft`` undoes.

  Args:
    audio: float32 waveform, shape ``[..., samples]``.
    config: frame_length, frame_step, fft_length are used.

  Returns:
    complex64 tensor, shape ``[..., frames, fft_length // 2 + 1]``.
  """
  audio = tf.convert_to_tensor(audio, tf.float32)
  half = config.frame_length // 2
  rank = audio.shape.rank
  padded = tf.pad(audio, [[0, 0]] * (rank - 1) + [[half, half]])
  return _stft_unpadded(padded, config)


def _stft_unpadded(signal, config: AudioConfig):
  """``tf.signal.stft`` (Hann window, no end padding) of an already padded signal."""
  return tf.signal.stft(signal, config.frame_length, config.frame_step, config.fft_length,
                        window_fn=tf.signal.hann_window, pad_end=False)


def inverse_stft(stfts, config: AudioConfig, length=None):
  """Least-squares inverse of ``stft`` (overlap-add normalised by the window).

  Each sample is divided by the sum of squared windows that actually cover
  it, so the inverse is exact up to the clip edges (``tf.signal.inverse_stft``
  assumes full overlap everywhere and is not, near the edges).

  Args:
    stfts: complex64, shape ``[..., frames, fft_length // 2 + 1]``.
    config: frame_length, frame_step, fft_length are used.
    length: samples to return (trim or zero-pad); default
      ``(frames - 1) * frame_step``, as librosa.

  Returns:
    float32 waveform, shape ``[..., samples]``.
  """
  stfts = tf.convert_to_tensor(stfts, tf.complex64)
  return _inverse_stft_parts(tf.math.real(stfts), tf.math.imag(stfts), config, length)


def _inverse_stft_parts(real, imag, config: AudioConfig, length=None):
  """``inverse_stft`` of the STFT ``real + i imag`` (float32 parts)."""
  padded = _overlap_add(real, imag, _inverse_envelope(tf.shape(real)[-2], config), config)
  half = config.frame_length // 2
  if length is None:
    length = (tf.shape(real)[-2] - 1) * config.frame_step
  signal = padded[..., half:half + length]
  missing = length - tf.shape(signal)[-1]
  rank = signal.shape.rank
  return tf.pad(signal, [[0, 0]] * (rank - 1) + [[0, missing]])


def overlap_and_add(frames, frame_step):
  """``tf.signal.overlap_and_add`` in TFLite builtin ops.

  When ``frame_step`` divides the frame length L (ours: 800 = 4 x 200), each
  frame is cut into R = L / frame_step blocks and block r of frame t lands on
  output block t + r: R padded adds. (TF's version slices with an ellipsis,
  which TFLite's STRIDED_SLICE lacks.) Other sizes use TF's version.

  Args:
    frames: float32 ``[..., frames, L]``.

  Returns:
    float32 ``[..., (frames - 1) * frame_step + L]``.
  """
  length = frames.shape[-1]
  if length is None or length % frame_step:
    return tf.signal.overlap_and_add(frames, frame_step)
  ratio = length // frame_step
  shape = tf.shape(frames)
  blocks = tf.reshape(frames, tf.stack([-1, shape[-2], ratio, frame_step]))  # [M, T, R, step]
  total = 0.0
  for r in range(ratio):
    total += tf.pad(blocks[:, :, r, :], [[0, 0], [r, ratio - 1 - r], [0, 0]])
  return tf.reshape(total, tf.concat([shape[:-2], [-1]], 0))


def _inverse_envelope(num_frames, config: AudioConfig):
  """1 / (sum of squared windows covering each sample), 0 where none does.

  Returns:
    float32 ``[(num_frames - 1) * frame_step + frame_length]``: the padded
    (centred) time axis of ``stft``.
  """
  window = tf.signal.hann_window(config.frame_length)
  envelope = overlap_and_add(
      tf.tile(tf.square(window)[tf.newaxis], tf.stack([num_frames, 1])), config.frame_step)
  return tf.where(envelope > 1e-10, 1.0 / tf.maximum(envelope, 1e-10),
                  tf.zeros_like(envelope))


def _irfft(real, imag, fft_length, num_samples, edges_real=False):
  """The first ``num_samples`` of ``irfft(complex(real, imag), [fft_length])``.

  Computed with one *forward* real FFT (TFLite has RFFT2D but no inverse):
  the Hermitian spectrum X = a + ib is folded into the real sequence
  ``c_k = Re X_k + Im X_k`` (k <= N/2), ``c_{N-k} = Re X_k - Im X_k``, whose
  DFT C has ``N x[n] = Re C[n] + Im C[n]`` and ``N x[N-n] = Re C[n] - Im C[n]``
  (a discrete Hartley transform). Like irfft, the imaginary parts of the DC
  and Nyquist bins are ignored.

  Args:
    real, imag: float32 ``[..., fft_length // 2 + 1]``.
    fft_length: even FFT size N.
    num_samples: samples to return, at most N.
    edges_real: the caller guarantees ``imag`` is 0 at DC and Nyquist (as
      an RFFT's output is), so they are not zeroed again (Griffin-Lim's loop).

  Returns:
    float32 ``[..., num_samples]``.
  """
  half = fft_length // 2
  if not edges_real:
    imag = _without_edge_imag(imag)
  plus, minus = real + imag, real - imag
  folded = tf.concat([plus, tf.reverse(minus[..., 1:half], [-1])], -1)    # [..., N]
  spectrum = tf.signal.rfft(folded, [fft_length])                          # [..., N/2+1]
  re, im = tf.math.real(spectrum), tf.math.imag(spectrum)
  if num_samples <= half + 1:                                              # n = 0..N/2
    return (re[..., :num_samples] + im[..., :num_samples]) * (1.0 / fft_length)
  samples = (re + im) * (1.0 / fft_length)
  mirrored = tf.reverse((re - im)[..., 1:half], [-1]) * (1.0 / fft_length)  # n > N/2
  return tf.concat([samples, mirrored], -1)[..., :num_samples]


def _without_edge_imag(imag):
  """``imag`` with its first (DC) and last (Nyquist) bins set to 0."""
  return tf.concat([tf.zeros_like(imag[..., :1]), imag[..., 1:-1],
                    tf.zeros_like(imag[..., :1])], -1)


def _power(spectrum):
  """|X|^2 of a complex STFT as re^2 + im^2 (no complex multiply or conj)."""
  real, imag = tf.math.real(spectrum), tf.math.imag(spectrum)
  return real * real + imag * imag


def _overlap_add(real, imag, inverse_envelope, config: AudioConfig, edges_real=False):
  """Windowed overlap-add of inverse FFTs, on the padded time axis.

  Args:
    real, imag: float32 ``[..., frames, bins]``, an STFT's parts.
    inverse_envelope: from ``_inverse_envelope``.
    edges_real: see ``_irfft``.

  Returns:
    float32 ``[..., (frames - 1) * frame_step + frame_length]``.
  """
  window = tf.signal.hann_window(config.frame_length)
  frames = _irfft(real, imag, config.fft_length, config.frame_length, edges_real) * window
  return overlap_and_add(frames, config.frame_step) * inverse_envelope


@functools.lru_cache(maxsize=None)
def mel_weight_matrix(config: AudioConfig) -> np.ndarray:
  """Slaney-style mel filter bank (librosa's ``filters.mel`` default).

  Triangles are spaced evenly on Slaney's mel scale (linear below 1 kHz,
  logarithmic above) and area-normalised (``norm="slaney"``).

  Returns:
    float32 NumPy array ``[fft_length // 2 + 1, num_mel_bins]``, so that
    ``mel = power_spectrogram @ matrix`` (tf.signal's orientation).
  """
  num_bins = config.num_spectrogram_bins
  fft_freqs = np.linspace(0.0, config.sample_rate / 2, num_bins)
  hz_edges = mel_to_hz(mel_band_edges(config))
  widths = np.diff(hz_edges)
  ramps = hz_edges[:, np.newaxis] - fft_freqs[np.newaxis, :]
  rising = -ramps[:-2] / widths[:-1, np.newaxis]
  falling = ramps[2:] / widths[1:, np.newaxis]
  weights = np.maximum(0.0, np.minimum(rising, falling))  # [mels, bins]
  weights *= (2.0 / (hz_edges[2:] - hz_edges[:-2]))[:, np.newaxis]
  return weights.T.astype(np.float32)


def mel_band_edges(config: AudioConfig) -> np.ndarray:
  """The filter bank's ``num_mel_bins + 2`` edges in Slaney mels, float64,
  evenly spaced: band k rises from edge k, peaks at edge k + 1 (its centre)
  and falls to edge k + 2."""
  return np.linspace(hz_to_mel(config.lower_edge_hertz), hz_to_mel(config.nyquist_upper_edge),
                     config.num_mel_bins + 2)


_MEL_F_SP = 200.0 / 3  # Hz per mel below the break frequency.
_MEL_BREAK_HZ = 1000.0
_MEL_BREAK = _MEL_BREAK_HZ / _MEL_F_SP
_MEL_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(frequencies):
  """Slaney mel scale: linear below 1 kHz, logarithmic above. NumPy."""
  frequencies = np.asarray(frequencies, np.float64)
  linear = frequencies / _MEL_F_SP
  logarithmic = _MEL_BREAK + np.log(
      np.maximum(frequencies, _MEL_BREAK_HZ) / _MEL_BREAK_HZ) / _MEL_LOG_STEP
  return np.where(frequencies >= _MEL_BREAK_HZ, logarithmic, linear)


def hz_to_mel_tensor(frequencies):
  """``hz_to_mel`` in the graph: a float32 tensor of Hz to Slaney mels."""
  linear = frequencies / _MEL_F_SP
  logarithmic = _MEL_BREAK + tf.math.log(
      tf.maximum(frequencies, _MEL_BREAK_HZ) / _MEL_BREAK_HZ) / _MEL_LOG_STEP
  return tf.where(frequencies >= _MEL_BREAK_HZ, logarithmic, linear)


def mel_to_hz(mels):
  """Inverse of ``hz_to_mel``. NumPy."""
  mels = np.asarray(mels, np.float64)
  linear = mels * _MEL_F_SP
  logarithmic = _MEL_BREAK_HZ * np.exp(
      _MEL_LOG_STEP * (np.maximum(mels, _MEL_BREAK) - _MEL_BREAK))
  return np.where(mels >= _MEL_BREAK, logarithmic, linear)


def mel_spectrogram(audio, config: AudioConfig):
  """Mel power spectrogram of a pre-emphasised waveform.

  Args:
    audio: float32 waveform, shape ``[..., samples]``.

  Returns:
    float32 mel power, shape ``[..., 1 + samples // frame_step, num_mel_bins]``.
  """
  emphasised = pre_emphasis(audio, config.pre_emphasis)
  power = _power(stft(emphasised, config))
  return tf.tensordot(power, runtime_constant(mel_weight_matrix(config), power), 1)


def log_mel_spectrogram(audio, config: AudioConfig):
  """Natural-log mel power, floored at ``config.log_floor``; the model's input.

  Args:
    audio: float32 waveform, shape ``[..., samples]``.

  Returns:
    float32, shape ``[..., 1 + samples // frame_step, num_mel_bins]``.
  """
  return tf.math.log(tf.maximum(mel_spectrogram(audio, config), config.log_floor))


def normalize_log_spectrogram(log_power, config: AudioConfig):
  """Affine map of a log-power spectrogram (mel or linear):
  ``log(log_floor) -> -1``, ``log(ref_power) -> +1``, nothing clipped."""
  low, high = config.log_range
  return (tf.convert_to_tensor(log_power, tf.float32) - low) * (2.0 / (high - low)) - 1.0


def denormalize_log_spectrogram(normalized, config: AudioConfig):
  """Exact inverse of ``normalize_log_spectrogram``."""
  low, high = config.log_range
  return (tf.convert_to_tensor(normalized, tf.float32) + 1.0) * ((high - low) / 2.0) + low


def log_linear_spectrogram(audio, config: AudioConfig):
  """Natural-log linear STFT power of the pre-emphasised waveform, floored at
  ``config.log_floor``: the post-net's target.

  Args:
    audio: float32 waveform ``[..., samples]``.

  Returns:
    float32 ``[..., 1 + samples // frame_step, fft_length // 2 + 1]``.
  """
  power = _power(stft(pre_emphasis(audio, config.pre_emphasis), config))
  return tf.math.log(tf.maximum(power, config.log_floor))


@functools.lru_cache(maxsize=None)
def _mel_inverse_constants(config: AudioConfig):
  matrix = mel_weight_matrix(config).astype(np.float64)  # [bins, mels]
  pseudo_inverse = np.linalg.pinv(matrix)                # [mels, bins]
  coverage = matrix.sum(axis=1)                          # [bins]
  inverse_coverage = np.where(coverage > 0, 1.0 / np.maximum(coverage, 1e-30), 0.0)
  return (matrix.astype(np.float32), pseudo_inverse.astype(np.float32),
          inverse_coverage.astype(np.float32))


def mel_to_linear(mel_power, config: AudioConfig, unroll=False, prior=None):
  """Non-negative inverse of the mel filter bank (mel power -> linear power).

  The system is under-determined (80 bands, 1025 bins). We solve it as
  non-negative KL-divergence matching, ``min_x KL(mel || x @ M), x >= 0``,
  with accelerated Richardson-Lucy multiplicative updates
  ``x <- x * (((mel / (x @ M)) @ M^T) / (1 @ M^T)) ** 1.5``, started from the
  pseudo-inverse (minimum-norm) solution clipped to be positive, for
  ``config.mel_inverse_iters`` steps. The exponent 1.5 (plain RL is 1)
  roughly halves the steps needed on every signal measured; 2 diverges.

  Why not least squares: a squared-error fit is dominated by the loudest
  bands and leaves quiet bands with large *relative* errors, which is what a
  log-mel (and MCD) sees. Measured on a synthetic vowel, the mel of the
  recovered linear spectrogram differs from the input by an MCD of 0.42 dB
  after 30 plain RL steps, against 10.6 dB for 30 projected-gradient
  least-squares steps and 27 dB for ``librosa.feature.inverse.mel_to_stft``
  (L-BFGS-B NNLS); tests/test_audio.py checks this ordering. Sparse harmonic
  spectra converge slowest (a decaying 220 Hz tone: 4.6 dB after 50 steps).

  ``prior`` multiplies the starting point. The updates are multiplicative and
  their correction is smooth within a band, so what the start has between
  bands' centres (a harmonic comb's peaks and valleys) survives the fit, which
  matches the mel all the same: ``harmonic_combs.harmonic_prior`` (a note's
  harmonics) lifts the pitch of low notes (docs/results.md, "A harmonic prior
  in the mel inverse").

  Args:
    mel_power: float32 mel power, shape ``[..., frames, num_mel_bins]``.
    prior: None, or float32 > 0 broadcastable to ``[..., frames, bins]``.
    unroll: write the steps into the graph one after another instead of a
      ``tf.while_loop`` (the same ops): LiteRT copies a loop's state between
      its subgraphs on every step, and this saves 25% of its time here.

  Returns:
    float32 linear power, shape ``[..., frames, fft_length // 2 + 1]``; zero
    for bins no mel filter covers.
  """
  matrix, pseudo_inverse, inverse_coverage = _mel_inverse_constants(config)
  mel_power = tf.maximum(tf.convert_to_tensor(mel_power, tf.float32), 1e-30)
  # (max(., 1e-12), not relu(.) + 1e-12: TFLite fuses a ReLU into a matmul
  # whose weights are computed at run time and then gets it wrong.)
  power = tf.maximum(
      tf.tensordot(mel_power, runtime_constant(pseudo_inverse, mel_power), 1), 1e-12)
  if prior is not None:
    power = power * prior
  matrix, transposed = (runtime_constant(m, mel_power) for m in (matrix, matrix.T))

  def body(i, x):
    ratio = mel_power / tf.maximum(tf.tensordot(x, matrix, 1), 1e-30)  # [..., frames, mels]
    correction = tf.tensordot(ratio, transposed, 1) * inverse_coverage
    return i + 1, x * correction * tf.sqrt(correction)  # x * correction ** 1.5

  power, = _loop(body, (power,), config.mel_inverse_iters, unroll)
  return power


def _loop(body, state, iterations, unroll):
  """``iterations`` steps of ``body(i, *state) -> (i + 1, *state)`` from the
  tuple ``state``; returns the final state (without the counter). A
  ``tf.while_loop``, or with ``unroll`` the steps written out one after
  another (``iterations`` must then be a Python int)."""
  if unroll:
    for i in range(int(iterations)):
      state = body(i, *state)[1:]
    return state
  return tf.while_loop(lambda i, *_: i < iterations, body, (tf.constant(0),) + state)[1:]


_HASH_PRIME = 46337  # the largest prime whose square fits in int32


def hashed_phase(num_frames, num_bins, seed=0):
  """Deterministic pseudo-random phases in [0, 2 pi), float32 ``[frames, bins]``.

  Griffin-Lim's random initialisation without a random-number op (TFLite has
  none as a builtin, and a stateful one would make exports nondeterministic):
  ``n = 1031 t + 7919 k + 104729 seed (mod p)``, then two rounds of
  ``n <- n^3 + c (mod p)`` with the prime p = 46337, all in exact int32
  arithmetic, so TF, XLA and TFLite give the same phases. Cubing is a
  bijection mod p (3 does not divide p - 1), so uniform stays uniform, and
  it is not affine: affine steps alone would give a linear phase ramp, i.e.
  a coherent time shift, not a random phase.
  """
  p = _HASH_PRIME
  t = tf.range(num_frames)[:, tf.newaxis] % p
  k = tf.range(num_bins)[tf.newaxis, :] % p
  n = (t * 1031 + k * 7919 + (104729 * int(seed)) % p) % p
  for constant in (12345, 54321):
    n = ((n * n) % p * n + constant) % p
  return tf.cast(n, tf.float32) * (2.0 * math.pi / p)


def griffin_lim(magnitude, config: AudioConfig, *,
                iterations=None, momentum=None, init="random", seed=0,
                length=None, coarse_iterations=0, unroll=False):
  """Fast Griffin-Lim phase reconstruction (Perraudin et al., 2013).

  The same algorithm as ``librosa.griffinlim``: with ``rebuilt`` the STFT of
  the current estimate, each iteration sets
  ``angles = rebuilt - momentum / (1 + momentum) * previous_rebuilt`` and
  normalises it to unit modulus. ``momentum=0`` is classic Griffin-Lim.
  Runs as a ``tf.while_loop``; compile the caller with ``jit_compile=True``
  for speed (see bench/frontend.py).

  ``coarse_iterations`` first runs that many iterations on the half-size FFT
  grid (``fft_length // 2``, every second bin of ``magnitude``), which
  describes a frame exactly when ``frame_length <= fft_length // 2`` (ours:
  800 samples, 1024 points) at about half the cost of a full-grid
  iteration; the estimate's full-grid phase then starts the ``iterations``
  full-grid ones (momentum restarts). 28 coarse + 6 full reach the spectral
  convergence of 32 full ones at 0.75x the time in LiteRT
  (bench/griffin_lim_grids.py; docs/export.md, "Speed").

  Args:
    magnitude: float32 linear STFT magnitude ``[..., frames, fft_length//2+1]``.
    config: STFT settings; ``griffin_lim_iters`` / ``griffin_lim_momentum``
      are the defaults for ``iterations`` / ``momentum``.
    iterations: number of full-grid iterations (Python int or scalar tensor).
    momentum: in [0, 1).
    init: "random" (pseudo-random uniform phase, as librosa's default; from
      ``hashed_phase``, so the same in TF and TFLite) or "zeros" (zero
      phase, as librosa's ``init=None``).
    seed: integer seed for ``init="random"``; same seed, same audio.
    length: samples to return; default ``(frames - 1) * frame_step``.
    coarse_iterations: half-grid iterations run first (Python int >= 0).
    unroll: the iterations written out instead of a ``tf.while_loop`` (see
      ``mel_to_linear``; 12% less LiteRT time here); ``iterations`` must be a
      Python int.

  Returns:
    float32 waveform, shape ``[..., samples]``.
  """
  iterations = config.griffin_lim_iters if iterations is None else iterations
  momentum = config.griffin_lim_momentum if momentum is None else momentum
  if init not in ("random", "zeros"):
    raise ValueError(f"griffin_lim init must be 'random' or 'zeros'. "
                     f"Received init={init!r}")
  coarse_iterations = int(coarse_iterations)
  if coarse_iterations < 0:
    raise ValueError(f"coarse_iterations must be >= 0. Received {coarse_iterations}")
  if coarse_iterations and (config.fft_length % 4 or
                            config.frame_length > config.fft_length // 2):
    raise ValueError(
        f"coarse_iterations needs frames of at most half the FFT (frame_length "
        f"{config.frame_length}, fft_length {config.fft_length}, a multiple of 4)")
  magnitude = tf.convert_to_tensor(magnitude, tf.float32)
  if init == "random":
    phase = hashed_phase(tf.shape(magnitude)[-2], magnitude.shape[-1], seed)
    real = tf.zeros_like(magnitude) + tf.cos(phase)
    imag = tf.zeros_like(magnitude) + tf.sin(phase)
  else:
    real, imag = tf.ones_like(magnitude), tf.zeros_like(magnitude)
  # Real at DC and Nyquist from the start, as every rebuilt STFT is: the
  # loop's inverse FFTs can then skip zeroing them (the same result).
  imag = _without_edge_imag(imag)
  beta = momentum / (1.0 + momentum)
  # The loop stays on stft's padded time axis: the edge samples that
  # inverse_stft would trim and stft would re-pad with zeros are zeroed by a
  # mask instead, and the window envelope is computed once.
  num_frames = tf.shape(magnitude)[-2]
  half = config.frame_length // 2
  padded_length = (num_frames - 1) * config.frame_step + config.frame_length
  inside = tf.range(padded_length)
  inside = tf.logical_and(inside >= half, inside < padded_length - half)
  inverse_envelope = tf.where(inside, _inverse_envelope(num_frames, config), 0.0)
  if coarse_iterations:
    coarse = dataclasses.replace(config, fft_length=config.fft_length // 2)
    coarse_magnitude = magnitude[..., ::2]
    coarse_real, coarse_imag = _griffin_lim_loop(
        coarse_magnitude, real[..., ::2], imag[..., ::2], inverse_envelope, coarse,
        coarse_iterations, beta, unroll)
    estimate = _overlap_add(coarse_magnitude * coarse_real, coarse_magnitude * coarse_imag,
                            inverse_envelope, coarse, edges_real=True)
    rebuilt = _stft_unpadded(estimate, config)
    real, imag = tf.math.real(rebuilt), tf.math.imag(rebuilt)
    inverse_modulus = tf.math.rsqrt(real * real + imag * imag + 1e-30)
    real, imag = real * inverse_modulus, imag * inverse_modulus
  real, imag = _griffin_lim_loop(magnitude, real, imag, inverse_envelope, config,
                                 iterations, beta, unroll)
  return _inverse_stft_parts(magnitude * real, magnitude * imag, config, length=length)


def _griffin_lim_loop(magnitude, real, imag, inverse_envelope, config: AudioConfig,
                      iterations, beta, unroll=False):
  """``iterations`` fast Griffin-Lim steps from the unit phase ``real + i imag``
  (momentum from zero); returns the final unit phase's parts."""

  def body(i, real, imag, rebuilt_real, rebuilt_imag):
    estimate = _overlap_add(magnitude * real, magnitude * imag, inverse_envelope, config,
                            edges_real=True)
    rebuilt = _stft_unpadded(estimate, config)
    new_real, new_imag = tf.math.real(rebuilt), tf.math.imag(rebuilt)
    real = new_real - beta * rebuilt_real
    imag = new_imag - beta * rebuilt_imag
    inverse_modulus = tf.math.rsqrt(real * real + imag * imag + 1e-30)
    return i + 1, real * inverse_modulus, imag * inverse_modulus, new_real, new_imag

  real, imag, _, _ = _loop(body, (real, imag, tf.zeros_like(real), tf.zeros_like(imag)),
                           iterations, unroll)
  return real, imag


def spectral_convergence(magnitude, audio, config: AudioConfig):
  """``||S - |STFT(audio)|||_F / ||S||_F`` per example (0 is perfect).

  Args:
    magnitude: target linear magnitude ``[..., frames, bins]``.
    audio: waveform ``[..., samples]`` whose STFT has the same frame count.

  Returns:
    float32, shape ``[...]``.
  """
  magnitude = tf.convert_to_tensor(magnitude, tf.float32)
  rebuilt = tf.abs(stft(audio, config))
  return (tf.norm(magnitude - rebuilt, axis=[-2, -1]) /
          tf.maximum(tf.norm(magnitude, axis=[-2, -1]), 1e-12))


def linear_power_to_audio(power, config: AudioConfig, *,
                          iterations=None, seed=0, length=None, coarse_iterations=0,
                          unroll=False):
  """Vocode linear STFT power of a pre-emphasised signal: sqrt -> Griffin-Lim
  -> de-emphasis. ``iterations``, ``coarse_iterations``, ``unroll``: see
  ``griffin_lim``.

  Args:
    power: float32 ``[..., frames, fft_length // 2 + 1]``.

  Returns:
    float32 waveform ``[..., samples]``.
  """
  emphasised = griffin_lim(tf.sqrt(tf.maximum(power, 0.0)), config, iterations=iterations,
                           seed=seed, length=length, coarse_iterations=coarse_iterations,
                           unroll=unroll)
  return de_emphasis(emphasised, config.pre_emphasis)


def log_mel_to_audio(log_mel, config: AudioConfig, *,
                     iterations=None, seed=0, length=None, coarse_iterations=0,
                     unroll=False):
  """Vocode a log-mel spectrogram: mel -> linear (``mel_to_linear``) -> audio.
  ``unroll`` applies to both loops (``mel_to_linear``, ``griffin_lim``). With
  ``config.mel_inverse_prior="harmonic"`` the mel inverse starts from the
  harmonics of the note the log-mel shows (``harmonic_combs.harmonic_prior``).

  Args:
    log_mel: float32 natural-log mel power ``[..., frames, num_mel_bins]``.

  Returns:
    float32 waveform ``[..., samples]``.
  """
  log_mel = tf.convert_to_tensor(log_mel, tf.float32)
  prior = None
  if config.mel_inverse_prior == "harmonic":
    # (imported here: harmonic_combs renders its bank through this module)
    from tf_transforms import harmonic_combs  # pylint: disable=import-outside-toplevel
    prior = harmonic_combs.harmonic_prior(log_mel, config)
  power = mel_to_linear(tf.exp(log_mel), config, unroll, prior)
  return linear_power_to_audio(power, config, iterations=iterations, seed=seed,
                               length=length, coarse_iterations=coarse_iterations,
                               unroll=unroll)


def log_linear_to_audio(log_power, config: AudioConfig, *,
                        iterations=None, seed=0, length=None, coarse_iterations=0,
                        unroll=False):
  """Vocode a natural-log linear power spectrogram (the post-net's output).

  Args:
    log_power: float32 ``[..., frames, fft_length // 2 + 1]``.

  Returns:
    float32 waveform ``[..., samples]``.
  """
  return linear_power_to_audio(tf.exp(tf.convert_to_tensor(log_power, tf.float32)), config,
                               iterations=iterations, seed=seed, length=length,
                               coarse_iterations=coarse_iterations, unroll=unroll)
