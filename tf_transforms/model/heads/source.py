"""What the source-reading heads share: the source spectra part and its base class.

``SourceSpectra`` splits source log-mel frames into a smooth part (the first
K rows of the DCT-II basis over the mel bins, B: ``v BᵀB``) and a fine
structure (``v - v BᵀB``: the harmonics, hence the pitch), and pools the
smooth part per encoder step. ``SourceHead`` is the base of every head that
reads the source: it holds one ``SourceSpectra`` and the settings that size it.
"""

import numpy as np
import tensorflow as tf

from tf_transforms.model.heads.base import OutputHead
from tf_transforms.signal import harmonic_combs
from tf_transforms.signal.melspec import NORMALISED_FLOOR
from tf_transforms.signal.ops import dct_basis, runtime_constant


def pool_source_frames(frames, mask, block):
  """Mean of each block of ``block`` valid frames: the encoder steps' spectra.

  Args:
    frames: ``[batch, time, features]`` (normalised log-mel).
    mask: ``[batch, time]`` bool, valid frames.
    block: frames per encoder step (``ModelConfig.time_reduction``).

  Returns:
    ``[batch, ceil(time / block), features]``: step j is the mean of the
    valid frames ``j * block ... (j + 1) * block - 1`` (zeros if none), so it
    lines up with the encoder's step j and its attention weight.
  """
  weights = tf.expand_dims(tf.cast(mask, frames.dtype), -1)
  extra = -tf.shape(frames)[1] % block
  padding = [[0, 0], [0, extra], [0, 0]]
  batch, features = tf.shape(frames)[0], frames.shape[-1]
  total = tf.reshape(tf.pad(frames * weights, padding), [batch, -1, block, features])
  count = tf.reshape(tf.pad(weights, padding), [batch, -1, block, 1])
  return tf.reduce_sum(total, 2) / tf.maximum(tf.reduce_sum(count, 2), 1.0)


class SourceSpectra:
  """The source's smooth envelope and fine structure (constants only, no weights).

  Args:
    num_mel_bins: F.
    envelope_coefficients: K, DCT coefficients of the smooth part (no detail
      finer than about ``2 F / K`` bins).
    time_reduction: source frames per encoder step.
  """

  def __init__(self, num_mel_bins, envelope_coefficients, time_reduction):
    self.envelope_coefficients = envelope_coefficients
    self.time_reduction = time_reduction
    basis = dct_basis(envelope_coefficients, num_mel_bins)
    self.basis = tf.constant(basis)                                          # [K, F]
    self.smooth_projection = tf.constant(basis.T @ basis)                    # [F, F]
    self.fine_projection = tf.constant(
        harmonic_combs.fine_projection(envelope_coefficients, num_mel_bins))  # [F, F]

  @staticmethod
  def valid_frames(source, source_length, head="head"):
    """The source frames [B, T, F] with padding zeroed, and their mask [B, T]."""
    if source is None or source_length is None:
      raise ValueError(f"{head}: needs the source [batch, time, num_mel_bins] "
                       "and source_length [batch]")
    source = tf.convert_to_tensor(source, tf.float32)
    mask = tf.sequence_mask(source_length, tf.shape(source)[1])
    # (expand_dims, not [..., tf.newaxis]: TFLite has no builtin for the latter)
    return source * tf.expand_dims(tf.cast(mask, source.dtype), -1), mask

  def blocks(self, frames, mask):
    """Each encoder step's mean valid frame, smoothed: [B, T_enc, F]."""
    # The projections stay float32 in TFLite's dynamic-range quantisation
    # (runtime_constant): int8 would put noise into the copied fine structure.
    # Smoothing each block once equals smoothing the attended mix (linear).
    return tf.einsum("btf,fg->btg", pool_source_frames(frames, mask, self.time_reduction),
                     runtime_constant(self.smooth_projection, frames))

  def smooth(self, frames):
    """Each frame's smooth envelope: [B, T, F]."""
    return tf.einsum("btf,fg->btg", frames, runtime_constant(self.smooth_projection, frames))

  def fine_steps(self, frames, num_frames, reduction_factor):
    """The fine structure of frames ``0 .. num_frames - 1`` (zeros past the
    source's end) grouped by decoder step: [B, num_frames / r, r, F]."""
    fine = tf.einsum("btf,fg->btg", frames, runtime_constant(self.fine_projection, frames))
    extra = tf.maximum(num_frames - tf.shape(fine)[1], 0)
    fine = tf.pad(fine, [[0, 0], [0, extra], [0, 0]])[:, :num_frames]
    f = frames.shape[-1]
    return tf.reshape(fine, [tf.shape(frames)[0], num_frames // reduction_factor,
                             reduction_factor, f])

  def curves(self, params, count):
    """``count`` smooth curves [..., F] from ``params`` [..., >= count K]."""
    k = self.envelope_coefficients
    return [tf.tensordot(params[..., i * k:(i + 1) * k], self.basis, 1) for i in range(count)]


def step_outputs(head, features, size):
  """``head.linear(features)`` as [lead..., r, size] (lead: features' shape less its last)."""
  lead = tf.shape(features)[:-1]
  return tf.reshape(head.linear(features),
                    tf.concat([lead, [head.reduction_factor, size]], 0)), lead


def flat_frames(frames, lead, head):
  """Frames [lead..., r, F] as the decoder's [lead..., r F]."""
  return tf.reshape(frames, tf.concat([lead, [head.reduction_factor * head.num_mel_bins]], 0))


def scaled_fine_frames(envelope, offset, gain, fine, max_gain_octaves, extra=None):
  """``max(envelope + offset + 2^(max_gain_octaves tanh(gain)) fine [+ extra], floor)``:
  the partial-level heads' frames (floored at the normalised log floor, so an
  envelope pushed below it silences a band, comb included)."""
  scale = tf.exp(max_gain_octaves * np.log(2.0) * tf.tanh(gain))
  frames = envelope + offset + scale * fine
  return tf.maximum(frames if extra is None else frames + extra, NORMALISED_FLOOR)


class SourceHead(OutputHead):
  """Base of the heads that read the source: one ``SourceSpectra`` (``source``),
  zero-initialised projections, and the settings that size them. Requires
  attention.

  Args:
    envelope_coefficients: K (``SourceSpectra``).
    time_reduction: source frames per encoder step (``ModelConfig.time_reduction``).
  """

  requires_attention = True

  def __init__(self, num_mel_bins, reduction_factor, envelope_coefficients=12,
               time_reduction=1, kernel_initializer="zeros", **kwargs):
    if not 1 <= envelope_coefficients <= num_mel_bins:
      raise ValueError(f"{type(self).__name__}: envelope_coefficients must be in [1, "
                       f"num_mel_bins={num_mel_bins}]. Received {envelope_coefficients}")
    super().__init__(num_mel_bins, reduction_factor, kernel_initializer, **kwargs)
    self.envelope_coefficients = envelope_coefficients
    self.time_reduction = time_reduction
    self.source = SourceSpectra(num_mel_bins, envelope_coefficients, time_reduction)

  @classmethod
  def check(cls, config):
    super().check(config)
    if not 1 <= config.envelope_coefficients <= config.num_mel_bins:
      raise ValueError(f"ModelConfig: envelope_coefficients must be in [1, num_mel_bins]. "
                       f"Received envelope_coefficients={config.envelope_coefficients}")

  @classmethod
  def from_model_config(cls, config, **kwargs):
    return cls(config.num_mel_bins, config.reduction_factor, config.envelope_coefficients,
               config.time_reduction, **kwargs)

  def valid_frames(self, source, source_length):
    """``SourceSpectra.valid_frames``, errors naming this head."""
    return self.source.valid_frames(source, source_length, type(self).__name__)

  def get_config(self):
    return {**super().get_config(), "envelope_coefficients": self.envelope_coefficients,
            "time_reduction": self.time_reduction}
