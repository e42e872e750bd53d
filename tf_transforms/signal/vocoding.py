"""Vocoding: normalised log-mel or linear log-power back to a waveform.

``log-mel -> exp -> mel_to_linear -> sqrt -> griffin_lim -> de_emphasis``
(or, from a predicted linear spectrogram, ``exp -> sqrt -> griffin_lim ->
de_emphasis``). TFLite builtins only, as ``stft.py``: Griffin-Lim's initial
phase is an integer hash, not a random op.
"""

import dataclasses
import functools
import math

import numpy as np
import tensorflow as tf

from tf_transforms.core.configs import AudioConfig
from tf_transforms.signal import harmonic_combs, melspec, stft
from tf_transforms.signal.ops import runtime_constant


@functools.lru_cache(maxsize=None)
def _mel_inverse_constants(config: AudioConfig):
  matrix = melspec.mel_weight_matrix(config).astype(np.float64)  # [bins, mels]
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
  log-mel (and MCD) sees. On a synthetic vowel the KL fit recovers the mel
  far more closely than projected-gradient least squares or
  ``librosa.feature.inverse.mel_to_stft`` (L-BFGS-B NNLS); tests/test_audio.py
  checks this ordering. Sparse harmonic spectra converge slowest.

  ``prior`` multiplies the starting point. The updates are multiplicative and
  their correction is smooth within a band, so what the start has between
  bands' centres (a harmonic comb's peaks and valleys) survives the fit, which
  matches the mel all the same: ``harmonic_combs.harmonic_prior`` (a note's
  harmonics) lifts the pitch of low notes (docs/design.md, "Defaults and why").

  Args:
    mel_power: float32 mel power, shape ``[..., frames, num_mel_bins]``.
    prior: None, or float32 > 0 broadcastable to ``[..., frames, bins]``.
    unroll: write the steps into the graph one after another instead of a
      ``tf.while_loop`` (the same ops): LiteRT copies a loop's state between
      its subgraphs on every step, and this saves time (bench/tflite.py).

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
      ``mel_to_linear``; less LiteRT time: bench/tflite.py); ``iterations`` must be a
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
  imag = stft.without_edge_imag(imag)
  beta = momentum / (1.0 + momentum)
  # The loop stays on stft's padded time axis: the edge samples that
  # inverse_stft would trim and stft would re-pad with zeros are zeroed by a
  # mask instead, and the window envelope is computed once.
  num_frames = tf.shape(magnitude)[-2]
  half = config.frame_length // 2
  padded_length = (num_frames - 1) * config.frame_step + config.frame_length
  inside = tf.range(padded_length)
  inside = tf.logical_and(inside >= half, inside < padded_length - half)
  inverse_envelope = tf.where(inside, stft.inverse_envelope(num_frames, config), 0.0)
  if coarse_iterations:
    coarse = dataclasses.replace(config, fft_length=config.fft_length // 2)
    coarse_magnitude = magnitude[..., ::2]
    coarse_real, coarse_imag = _griffin_lim_loop(
        coarse_magnitude, real[..., ::2], imag[..., ::2], inverse_envelope, coarse,
        coarse_iterations, beta, unroll)
    estimate = stft.overlap_add_parts(coarse_magnitude * coarse_real, coarse_magnitude * coarse_imag,
                            inverse_envelope, coarse, edges_real=True)
    rebuilt = stft.stft_unpadded(estimate, config)
    real, imag = tf.math.real(rebuilt), tf.math.imag(rebuilt)
    inverse_modulus = tf.math.rsqrt(real * real + imag * imag + 1e-30)
    real, imag = real * inverse_modulus, imag * inverse_modulus
  real, imag = _griffin_lim_loop(magnitude, real, imag, inverse_envelope, config,
                                 iterations, beta, unroll)
  return stft.inverse_stft_parts(magnitude * real, magnitude * imag, config, length=length)


def _griffin_lim_loop(magnitude, real, imag, inverse_envelope, config: AudioConfig,
                      iterations, beta, unroll=False):
  """``iterations`` fast Griffin-Lim steps from the unit phase ``real + i imag``
  (momentum from zero); returns the final unit phase's parts."""

  def body(i, real, imag, rebuilt_real, rebuilt_imag):
    estimate = stft.overlap_add_parts(magnitude * real, magnitude * imag, inverse_envelope, config,
                            edges_real=True)
    rebuilt = stft.stft_unpadded(estimate, config)
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
  rebuilt = tf.abs(stft.stft(audio, config))
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
  return stft.de_emphasis(emphasised, config.pre_emphasis)


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
