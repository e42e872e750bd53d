"""Heads for words that carry the source's envelope: ``source_envelope``, ``source_warp``
(notation of ``source_filter.py``).

``direct`` must regenerate a word's formant movements from the attention's
context, which the decoder learns slowly; ``source_filter`` copies the source
speaker's pitch. Here the source's smooth envelope, carried along the
alignment, brings the content, and the decoder predicts a residual: the target
speaker's harmonics (its pitch) and a correction of the envelope (its timbre).
"""

import numpy as np
import tensorflow as tf

from tf_transforms.model.heads.base import (attend, register_head, run_audio_config,
                                            stored_audio_config)
from tf_transforms.model.heads.source import SourceHead
from tf_transforms.signal import melspec


@register_head("source_envelope")
class SourceEnvelopeHead(SourceHead):
  """The attended source's smooth envelope plus everything else predicted::

    y_t = x_i BᵀB + d_t,    d_t = Dense([s_i, c_i])

  Zero-initialised, it starts as the attended envelope. Requires attention.
  """

  def prepare(self, source, source_length, num_frames):
    """``blocks`` [B, T_enc, F]: each encoder step's mean source frame, smoothed."""
    del num_frames
    return {"blocks": self.source.blocks(*self.valid_frames(source, source_length))}

  def project(self, features, weights, prepared, step=None):
    envelope = attend(weights, prepared["blocks"])                          # [..., F]
    residual = self.linear(features)                                        # [..., r * F]
    return residual + tf.concat([envelope] * self.reduction_factor, axis=-1)


def band_positions(hz, audio_config):
  """Fractional mel-band index of frequencies ``hz`` (a float32 tensor, Hz)
  for ``audio_config``'s filter bank: band k's centre maps to k, and the
  scale between centres is Slaney's mel (``melspec.hz_to_mel``), in-graph."""
  edges = melspec.mel_band_edges(audio_config)
  return (melspec.hz_to_mel_tensor(hz) - edges[0]) / (edges[1] - edges[0]) - 1.0


def interpolate(values, positions, lengths=None):
  """Linear interpolation of ``values`` [..., N, C] at fractional indices
  ``positions`` [..., M] along axis -2, clamped to [0, lengths - 1]
  (``lengths`` [...], default N): [..., M, C]. Differentiable in
  ``positions``; a gather with batch dims (a TFLite builtin)."""
  size = tf.cast(tf.shape(values)[-2], positions.dtype)
  last = size - 1.0 if lengths is None else tf.expand_dims(
      tf.cast(lengths, positions.dtype) - 1.0, -1)
  positions = tf.clip_by_value(positions, 0.0, tf.maximum(last, 0.0))
  low = tf.floor(positions)
  fraction = tf.expand_dims(positions - low, -1)
  low = tf.cast(low, tf.int32)
  high = tf.minimum(low + 1, tf.cast(tf.maximum(last, 0.0), tf.int32))
  batch_dims = len(values.shape) - 2
  below = tf.gather(values, low, axis=batch_dims, batch_dims=batch_dims)
  above = tf.gather(values, high, axis=batch_dims, batch_dims=batch_dims)
  return below + fraction * (above - below)


@register_head("source_warp")
class SourceWarpHead(SourceHead):
  """The source's words through the target's vocal tract: the smooth envelope
  of the source frame the attention points at, read at frame resolution and
  warped along frequency, plus a predicted residual::

    p_t = sum_j a_ij (j + 1/2) R - 1/2 + (k - (r - 1) / 2)   (frame k of step i)
    e_t = s(p_t) BᵀB                     (source frames interpolated at p_t, smoothed)
    y_t = warp(e_t, alpha_t) + d_t,      [d_t, w_t] = Dense([s_i, c_i]),
    alpha_t = 2^(MAX_WARP_OCTAVES tanh w_t)

  where ``warp(e, alpha)`` moves every frequency f of the envelope to
  ``alpha f`` (band k reads the envelope at ``f_k / alpha``: a vocal tract
  ``1 / alpha`` as long; the formants move together, as in VTLN), and R is
  the source frames per encoder step. Zero-initialised, it starts as the
  unwarped source envelope along the alignment. Requires attention and the
  run's ``AudioConfig`` (the bands' frequencies).
  """

  needs_audio_config = True
  MAX_WARP_OCTAVES = 0.5   # alpha within [0.71, 1.41]: formant ratios between adults

  def __init__(self, num_mel_bins, reduction_factor, envelope_coefficients=12,
               time_reduction=1, kernel_initializer="zeros", audio_config=None, **kwargs):
    super().__init__(num_mel_bins, reduction_factor, envelope_coefficients, time_reduction,
                     kernel_initializer, **kwargs)
    self.audio_config = run_audio_config(type(self).__name__, audio_config, num_mel_bins)
    centres = melspec.mel_to_hz(melspec.mel_band_edges(self.audio_config)[1:-1])
    self.band_hz = tf.constant(centres.astype(np.float32))                    # [F]

  @classmethod
  def from_model_config(cls, config, audio_config=None, **kwargs):
    return cls(config.num_mel_bins, config.reduction_factor, config.envelope_coefficients,
               config.time_reduction, audio_config=audio_config, **kwargs)

  @property
  def projection_size(self) -> int:
    return (self.num_mel_bins + 1) * self.reduction_factor

  def prepare(self, source, source_length, num_frames):
    """``envelope`` [B, T, F]: the source frames' smooth envelopes; ``length``
    [B]: valid source frames."""
    del num_frames
    frames, _ = self.valid_frames(source, source_length)
    return {"envelope": self.source.smooth(frames),
            "length": tf.convert_to_tensor(source_length)}

  def positions(self, weights):
    """Source frame positions [..., r] the steps' attention ``weights``
    [..., T_enc] point at (the expected frame, then one frame per output frame)."""
    encoder_steps = tf.shape(weights)[-1]
    centres = ((tf.cast(tf.range(encoder_steps), tf.float32) + 0.5) * self.time_reduction
               - 0.5)
    expected = tf.reduce_sum(weights * centres, axis=-1, keepdims=True)       # [..., 1]
    r = self.reduction_factor
    return expected + (np.arange(r, dtype=np.float32) - (r - 1) / 2.0)

  def warp(self, envelope, alpha):
    """``envelope`` [..., F] with every frequency f moved to ``alpha`` f
    (``alpha`` [...], > 0): band k reads it at ``f_k / alpha``."""
    source_hz = self.band_hz / tf.expand_dims(alpha, -1)                     # [..., F]
    positions = band_positions(source_hz, self.audio_config)
    return tf.squeeze(interpolate(tf.expand_dims(envelope, -1), positions), -1)

  def project(self, features, weights, prepared, step=None):
    r, f = self.reduction_factor, self.num_mel_bins
    lead = tf.shape(features)[:-1]
    positions = self.positions(weights)                                       # [B, (S,) r]
    batch = tf.shape(positions)[0]
    read = interpolate(prepared["envelope"], tf.reshape(positions, [batch, -1]),
                       prepared["length"])                                    # [B, S r, F]
    params = tf.reshape(self.linear(features), tf.concat([lead, [r, f + 1]], 0))
    residual, warp = params[..., :f], params[..., f]
    alpha = tf.exp(self.MAX_WARP_OCTAVES * np.log(2.0) * tf.tanh(warp))      # [..., r]
    read = tf.reshape(read, tf.concat([lead, [r, f]], 0))
    frames = self.warp(read, alpha) + residual
    return tf.reshape(frames, tf.concat([lead, [r * f]], 0))

  def get_config(self):
    return {**super().get_config(), "audio_config": stored_audio_config(self.audio_config)}
