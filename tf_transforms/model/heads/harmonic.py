"""Heads that put the target's levels on a comb generated at the source's pitch:
``harmonic_comb`` and ``harmonic_levels`` (notation of ``source_filter.py``).

``partial_levels`` rescales the source's own comb, so where the source has
no harmonics (a guitar's empty upper bands) there is nothing to raise, and
low notes lose their pitch. Here the comb is chosen per clip from a bank of
generated combs (``comb_chooser.py``); one pitch per clip, a note's.
"""

import tensorflow as tf

from tf_transforms.core import defaults
from tf_transforms.core.configs import COMB_CHOOSERS
from tf_transforms.model import keras_compat
from tf_transforms.model.heads import comb_chooser as choosers
from tf_transforms.model.heads.base import (attend, register_head, run_audio_config,
                                            stored_audio_config)
from tf_transforms.model.heads.source import (SourceHead, flat_frames, scaled_fine_frames,
                                              step_outputs)


class _CombHead(SourceHead):
  """What both comb heads hold: the run's AudioConfig, the bank and the
  chooser (``comb_chooser``: "template", or "learned" with a ``CombChooser``
  layer as ``chooser``)."""

  needs_audio_config = True
  MAX_GAIN_OCTAVES = 2.0    # the comb's gain is within [1/4, 4]
  NEEDS_SHARES = False      # whether the head itself reads the band shares

  def __init__(self, num_mel_bins, reduction_factor, envelope_coefficients=12,
               time_reduction=1, kernel_initializer="zeros", audio_config=None,
               comb_chooser="template", **kwargs):
    super().__init__(num_mel_bins, reduction_factor, envelope_coefficients, time_reduction,
                     kernel_initializer, **kwargs)
    self.audio_config = run_audio_config(type(self).__name__, audio_config, num_mel_bins)
    if comb_chooser not in COMB_CHOOSERS:
      raise ValueError(f"{type(self).__name__}: comb_chooser must be one of {COMB_CHOOSERS}. "
                       f"Received {comb_chooser!r}")
    self.comb_chooser = comb_chooser
    learned = comb_chooser == "learned"
    self.bank = choosers.CombBank(self.audio_config, envelope_coefficients,
                                      with_shares=self.NEEDS_SHARES or learned)
    self.chooser = (choosers.CombChooser(self.audio_config, envelope_coefficients,
                                             bank=self.bank, name="comb_chooser")
                    if learned else None)

  @classmethod
  def from_model_config(cls, config, audio_config=None, **kwargs):
    return cls(config.num_mel_bins, config.reduction_factor, config.envelope_coefficients,
               config.time_reduction, audio_config=audio_config,
               comb_chooser=defaults.resolve_model(config).comb_chooser, **kwargs)

  def choose_combs(self, source, source_length):
    """Per clip, the bank's index [B] (int32) of the comb chosen for the source."""
    return self._choose(*self.valid_frames(source, source_length))

  def _choose(self, frames, mask):
    if self.chooser is None:
      return self.bank.template_choice(frames)
    return self.chooser.choose(frames, mask)

  def _prepare_comb(self, source, source_length):
    frames, mask = self.valid_frames(source, source_length)
    blocks = self.source.blocks(frames, mask)
    chosen = self._choose(frames, mask)
    return blocks, chosen, {"blocks": blocks, "comb": self.bank.comb(chosen, blocks)}

  @staticmethod
  def _comb(prepared, step):
    comb = tf.expand_dims(prepared["comb"], 1)                                # [B, 1, F]
    return comb if step is not None else tf.expand_dims(comb, 1)             # [B, 1, 1, F]

  def load_own_variables(self, store):
    if not keras_compat.load_comb_head(self, store):  # (0.10 files' layout)
      super().load_own_variables(store)

  def get_config(self):
    return {**super().get_config(), "audio_config": stored_audio_config(self.audio_config),
            "comb_chooser": self.comb_chooser}


@register_head("harmonic_comb")
class HarmonicCombHead(_CombHead):
  """The target's partial levels on the chosen comb ``c_p``::

    y_t = max(x_i BᵀB + o_t B + 2^(2 tanh(g_t B)) ⊙ c_p, -1)
    [o_t, g_t] = Dense([s_i, c_i])

  The comb's gain is within [1/4, 4]: the generated comb's depth is the same
  for every instrument, the target's is not. Zero-initialised, it starts as
  the attended envelope with the chosen comb. Needs the run's ``AudioConfig``.

  Args:
    audio_config: the run's ``AudioConfig`` (or its dict), whose front-end
      renders the bank.
    comb_chooser: "template" or "learned" (``comb_chooser.py``).
  """

  @property
  def projection_size(self) -> int:
    return 2 * self.envelope_coefficients * self.reduction_factor

  def prepare(self, source, source_length, num_frames):
    """``blocks`` [B, T_enc, F]; ``comb`` [B, F]: the chosen comb's fine structure."""
    del num_frames
    return self._prepare_comb(source, source_length)[2]

  def project(self, features, weights, prepared, step=None):
    envelope = tf.expand_dims(attend(weights, prepared["blocks"]), -2)
    params, lead = step_outputs(self, features, 2 * self.envelope_coefficients)
    offset, gain = self.source.curves(params, 2)
    frames = scaled_fine_frames(envelope, offset, gain, self._comb(prepared, step),
                                self.MAX_GAIN_OCTAVES)
    return flat_frames(frames, lead, self)


@register_head("harmonic_levels")
class HarmonicLevelsHead(_CombHead):
  """``harmonic_comb`` plus a level for each of the note's first H harmonics::

    y_t = max(x_i BᵀB + o_t B + 2^(2 tanh(g_t B)) ⊙ c_p + λ log([e^l_t, 1] S_p), -1)
    [o_t, g_t, l_t] = Dense([s_i, c_i]),   l_t = L tanh(.) ∈ [-L, L]^H

  The smooth curves cannot set one resolved harmonic's level apart from its
  neighbour's (a low clarinet's missing even harmonics, a bass's strong
  fundamental). The levels are in harmonic-number coordinates (the same gains
  mean the same timbre at any pitch, as a DDSP harmonic distribution) and go
  onto the bands each harmonic fills: ``S_p`` [H + 1, F] is the chosen comb's
  band shares (each band's power split among harmonics 1..H and the rest), λ
  converts natural-log power to normalised units and L = ``MAX_LEVEL_NATS``.
  Zero-initialised, l = 0 and it starts as ``harmonic_comb``.
  """

  MAX_LEVEL_NATS = 9.21       # L: ±40 dB of power per harmonic
  NEEDS_SHARES = True

  def __init__(self, *args, **kwargs):
    super().__init__(*args, **kwargs)
    low, high = self.audio_config.log_range
    self.nats_to_normalised = 2.0 / (high - low)

  @property
  def projection_size(self) -> int:
    return (2 * self.envelope_coefficients + choosers.NUM_HARMONICS) * self.reduction_factor

  def prepare(self, source, source_length, num_frames):
    """``harmonic_comb``'s, and ``shares`` [B, H + 1, F]: the chosen comb's band shares."""
    del num_frames
    blocks, chosen, prepared = self._prepare_comb(source, source_length)
    return {**prepared, "shares": self.bank.comb_shares(chosen, blocks)}

  def levels(self, params, prepared, lead):
    """λ log([e^l, 1] S_p) [..., r, F] from the level outputs [..., r, H]."""
    harmonics = choosers.NUM_HARMONICS
    levels = tf.exp(self.MAX_LEVEL_NATS * tf.tanh(params))                    # [..., r, H]
    levels = tf.concat([levels, tf.ones_like(levels[..., :1])], -1)         # [..., r, H+1]
    batch = tf.shape(params)[0]
    band_power = tf.matmul(tf.reshape(levels, [batch, -1, harmonics + 1]),
                           prepared["shares"])                              # [B, ... r, F]
    shape = tf.concat([lead, [self.reduction_factor, self.num_mel_bins]], 0)
    return tf.reshape(tf.math.log(tf.maximum(band_power, 1e-30)), shape) * self.nats_to_normalised

  def project(self, features, weights, prepared, step=None):
    k = self.envelope_coefficients
    envelope = tf.expand_dims(attend(weights, prepared["blocks"]), -2)
    params, lead = step_outputs(self, features, 2 * k + choosers.NUM_HARMONICS)
    offset, gain = self.source.curves(params, 2)
    extra = self.levels(params[..., 2 * k:], prepared, lead)
    frames = scaled_fine_frames(envelope, offset, gain, self._comb(prepared, step),
                                self.MAX_GAIN_OCTAVES, extra)
    return flat_frames(frames, lead, self)


