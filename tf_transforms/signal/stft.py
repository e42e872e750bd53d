"""Framing of waveforms: pre-/de-emphasis and the centred STFT and its inverse.

Pure TensorFlow functions (tf.signal), batched over any leading dimensions;
eager, inside ``tf.function`` and under XLA. Every function converts to
TFLite with builtin ops only (the TFLite export runs this same code): no
complex multiplication or conjugate (power is ``re^2 + im^2``), no IRFFT
(``irfft_from_rfft`` uses one RFFT) and no dynamic-length FFT (de-emphasis is
a convolution).

Conventions (``core/configs.py`` says why):

* waveforms: float32 ``[..., samples]``, nominally in [-1, 1];
* STFTs: complex64 ``[..., frames, fft_length // 2 + 1]``, centred frames
  (frame ``t`` is centred on sample ``t * frame_step``), Hann window.
"""

import math

import numpy as np
import tensorflow as tf

from tf_transforms.core.configs import AudioConfig
from tf_transforms.signal.ops import runtime_constant

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
  return stft_unpadded(padded, config)


def stft_unpadded(signal, config: AudioConfig):
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
  return inverse_stft_parts(tf.math.real(stfts), tf.math.imag(stfts), config, length)


def inverse_stft_parts(real, imag, config: AudioConfig, length=None):
  """``inverse_stft`` of the STFT ``real + i imag`` (float32 parts)."""
  padded = overlap_add_parts(real, imag, inverse_envelope(tf.shape(real)[-2], config), config)
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


def inverse_envelope(num_frames, config: AudioConfig):
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


def irfft_from_rfft(real, imag, fft_length, num_samples, edges_real=False):
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
    imag = without_edge_imag(imag)
  plus, minus = real + imag, real - imag
  folded = tf.concat([plus, tf.reverse(minus[..., 1:half], [-1])], -1)    # [..., N]
  spectrum = tf.signal.rfft(folded, [fft_length])                          # [..., N/2+1]
  re, im = tf.math.real(spectrum), tf.math.imag(spectrum)
  if num_samples <= half + 1:                                              # n = 0..N/2
    return (re[..., :num_samples] + im[..., :num_samples]) * (1.0 / fft_length)
  samples = (re + im) * (1.0 / fft_length)
  mirrored = tf.reverse((re - im)[..., 1:half], [-1]) * (1.0 / fft_length)  # n > N/2
  return tf.concat([samples, mirrored], -1)[..., :num_samples]


def without_edge_imag(imag):
  """``imag`` with its first (DC) and last (Nyquist) bins set to 0."""
  return tf.concat([tf.zeros_like(imag[..., :1]), imag[..., 1:-1],
                    tf.zeros_like(imag[..., :1])], -1)


def power_spectrum(spectrum):
  """|X|^2 of a complex STFT as re^2 + im^2 (no complex multiply or conj)."""
  real, imag = tf.math.real(spectrum), tf.math.imag(spectrum)
  return real * real + imag * imag


def overlap_add_parts(real, imag, inverse_envelope, config: AudioConfig, edges_real=False):
  """Windowed overlap-add of inverse FFTs, on the padded time axis.

  Args:
    real, imag: float32 ``[..., frames, bins]``, an STFT's parts.
    inverse_envelope: from ``inverse_envelope``.
    edges_real: see ``irfft_from_rfft``.

  Returns:
    float32 ``[..., (frames - 1) * frame_step + frame_length]``.
  """
  window = tf.signal.hann_window(config.frame_length)
  frames = irfft_from_rfft(real, imag, config.fft_length, config.frame_length, edges_real) * window
  return overlap_and_add(frames, config.frame_step) * inverse_envelope
