"""Heads that keep the source's fine structure: ``source_filter``, ``partial_levels``.

Notation of both: ``x_i = sum_j a_ij X_j`` is the attended mean source frame
of the encoder steps (``X_j``), B the first K rows of the DCT-II basis over
the mel bins, ``s_t`` source frame t (zero past the source's end), and the
r frames t of decoder step i share ``[s_i, c_i]``. Why these forms, and what
else was measured: docs/design.md, "Output heads".
"""

import tensorflow as tf

from tf_transforms.model.heads.base import attend, register_head
from tf_transforms.model.heads.source import (SourceHead, flat_frames, scaled_fine_frames,
                                              step_outputs)


def _prepare_source(head, source, source_length, num_frames):
  """``blocks`` [B, T_enc, F] (each encoder step's mean source frame,
  smoothed) and ``fine`` [B, num_frames / r, r, F] (the source frames' fine
  structure)."""
  frames, mask = head.valid_frames(source, source_length)
  return {"blocks": head.source.blocks(frames, mask),
          "fine": head.source.fine_steps(frames, num_frames, head.reduction_factor)}


def _fine(prepared, step):
  """The source fine structure of all steps [B, S, r, F] or of one [B, r, F]."""
  return prepared["fine"] if step is None else prepared["fine"][:, step]


@register_head("source_filter")
class SourceFilterHead(SourceHead):
  """The timbre predicted, the pitch the source's::

    y_t = x_i BᵀB + o_t B + (s_t - s_t BᵀB),    o_t = Dense([s_i, c_i])

  The smooth part of the spectrum is the attended source's, reshaped by a
  smooth offset; the fine structure (the harmonics, hence the pitch) is the
  source frame's at the same time, unchanged. Zero-initialised, it starts as
  the attended envelope with the source's fine structure.
  """

  @property
  def projection_size(self) -> int:
    return self.envelope_coefficients * self.reduction_factor

  def prepare(self, source, source_length, num_frames):
    return _prepare_source(self, source, source_length, num_frames)

  def project(self, features, weights, prepared, step=None):
    envelope = tf.expand_dims(attend(weights, prepared["blocks"]), -2)     # [..., 1, F]
    params, lead = step_outputs(self, features, self.envelope_coefficients)
    offset, = self.source.curves(params, 1)                                 # [..., r, F]
    return flat_frames(envelope + offset + _fine(prepared, step), lead, self)


@register_head("partial_levels")
class PartialLevelsHead(SourceHead):
  """The source's harmonic *positions*, the target's partial *levels*::

    y_t = max(x_i BᵀB + o_t B + 2^tanh(g_t B) ⊙ (s_t − s_t BᵀB), -1)
    [o_t, g_t] = Dense([s_i, c_i])

  At 80 mel bins the source's fine structure is not only the pitch but which
  partials are strong; a smooth gain on it, per frame, lets the decoder deepen
  or flatten the source's comb band by band while its positions stay the
  source's. The gain stays within [1/2, 2] (an unbounded gain is shrunk
  towards 0 wherever the source's comb predicts the target's poorly), and the
  floor at the normalised log floor (-1) lets an envelope silence a band.
  Zero-initialised, it starts as ``source_filter``, floored.
  """

  MAX_GAIN_OCTAVES = 1.0  # the comb's gain is within 2^±1

  @property
  def projection_size(self) -> int:
    return 2 * self.envelope_coefficients * self.reduction_factor

  def prepare(self, source, source_length, num_frames):
    return _prepare_source(self, source, source_length, num_frames)

  def project(self, features, weights, prepared, step=None):
    envelope = tf.expand_dims(attend(weights, prepared["blocks"]), -2)
    params, lead = step_outputs(self, features, 2 * self.envelope_coefficients)
    offset, gain = self.source.curves(params, 2)
    frames = scaled_fine_frames(envelope, offset, gain, _fine(prepared, step),
                                self.MAX_GAIN_OCTAVES)
    return flat_frames(frames, lead, self)
