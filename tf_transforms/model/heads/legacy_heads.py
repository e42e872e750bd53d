"""Output heads: how the decoder's features become spectrogram frames.

A head is a small serialisable layer with two methods:

* ``prepare(source, source_length, num_frames)``: once per decoder call,
  whatever the head reads of the source utterance (default: nothing);
* ``project(features, weights, prepared, step=None)``: decoder features
  ``[s_i, c_i]`` (and the attention weights of the same steps) to ``r``
  frames per step.

The decoder calls both without knowing which head it has, so a new head is
one new class registered with ``@register_head("name")``; ``HEADS`` is the
registry the flags and ``ModelConfig`` read. ``ModelConfig.output_head`` names
the head; ``make_head`` builds it.

Each head owns its projection's kernel and bias directly (not through a
nested Dense), stored by the decoder as ``frame_layer``: the weight files
written before heads were layers address the same variables the same way,
so they keep loading unchanged (``tests/test_models.py`` loads one).
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tf_transforms.signal import melspec
from tf_transforms.signal import harmonic_combs
from tf_transforms.core.configs import COMB_CHOOSERS, AudioConfig
from tf_transforms.signal.ops import dct_basis, runtime_constant

PACKAGE = "tf_transforms"
HEADS = {}


def register_head(name):
  """Class decorator: registers a head under ``name`` (and for Keras saving)."""
  def register(cls):
    cls.head_name = name
    HEADS[name] = keras.saving.register_keras_serializable(package=PACKAGE)(cls)
    return cls
  return register


def check_head(config) -> None:
  """Raises ValueError if ``config.resolved_output_head`` cannot serve ``config``
  (a ``ModelConfig``): an unknown name, or settings the head refuses."""
  name = config.resolved_output_head
  if name not in HEADS:
    raise ValueError(f"ModelConfig: output_head must be one of {('auto', *HEADS)}. "
                     f"Received output_head={config.output_head!r}")
  HEADS[name].check(config)


def make_head(config, audio_config=None) -> "OutputHead":
  """The head ``config`` (a ModelConfig) names, built for its sizes.

  ``audio_config`` (an ``AudioConfig``, the run's front-end) is required by
  the heads that build constants through the front-end
  (``needs_audio_config``: ``harmonic_comb``, ``source_warp``) and ignored by the others.
  """
  check_head(config)
  # A fixed layer name (Keras would number a second instance in one process:
  # "direct_head_1"), so variable paths match between a model built here and
  # one loaded from a file (training's --init_from matches weights by path).
  name = config.resolved_output_head
  if not HEADS[name].needs_audio_config:
    return HEADS[name].from_model_config(config, name=f"{name}_head")
  if audio_config is None:
    raise ValueError(f"make_head: the {name!r} head builds its constants through the run's "
                     "front-end; pass audio_config (the run's AudioConfig)")
  return HEADS[name].from_model_config(config, audio_config=audio_config,
                                       name=f"{name}_head")


def attend(weights, values):
  """``values`` [B, T, F] averaged by attention ``weights``: [B, S, T] (all
  steps) gives [B, S, F], [B, T] (one step) gives [B, F].

  MatMul and a broadcast sum rather than einsum, whose MKL kernel is slow in
  the gradient (docs/design.md, "Training-step speed")."""
  weights = tf.convert_to_tensor(weights)
  if weights.shape.rank == 3:
    return tf.matmul(weights, values)
  return tf.reduce_sum(tf.expand_dims(weights, -1) * values, axis=1)


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


class OutputHead(keras.layers.Layer):
  """Base class: a dense projection ``[..., features] -> [..., r * outputs]``.

  Args:
    num_mel_bins: F, bins per output frame.
    reduction_factor: r, frames per decoder step.
    kernel_initializer: of the projection.
  """

  head_name = None
  requires_attention = False
  needs_audio_config = False  # make_head passes the run's AudioConfig

  def __init__(self, num_mel_bins, reduction_factor, kernel_initializer="glorot_uniform",
               **kwargs):
    super().__init__(**kwargs)
    self.num_mel_bins = num_mel_bins
    self.reduction_factor = reduction_factor
    self.kernel_initializer = keras.initializers.get(kernel_initializer)

  @classmethod
  def check(cls, config):
    """Raises ValueError for a ModelConfig this head cannot serve."""
    if cls.requires_attention and not config.uses_attention:
      raise ValueError(f"ModelConfig: output_head={cls.head_name!r} reads the attended "
                       f"source, and method={config.method!r} has no attention; use "
                       "'direct' or 'auto'")

  @classmethod
  def from_model_config(cls, config, **kwargs):
    return cls(config.num_mel_bins, config.reduction_factor, **kwargs)

  @property
  def projection_size(self) -> int:
    """Outputs of the projection per decoder step."""
    return self.num_mel_bins * self.reduction_factor

  def build(self, features_shape):
    # Created in this order (kernel, bias), as a Dense layer's: weight files
    # store them by position.
    self.kernel = self.add_weight(shape=(features_shape[-1], self.projection_size),
                                  initializer=self.kernel_initializer, name="kernel")
    self.bias = self.add_weight(shape=(self.projection_size,), initializer="zeros",
                                name="bias")

  def _dense(self, features):
    # tensordot (one MatMul), not einsum, whose MKL kernel took ~40% of a
    # training step in this kernel's gradient (docs/design.md).
    return tf.tensordot(features, self.kernel, 1) + self.bias

  def prepare(self, source, source_length, num_frames):
    """What the head reads of the source, once per call (dict of tensors).

    Args:
      source: ``[B, T, F]`` normalised log-mel, or None.
      source_length: ``[B]`` valid frames, or None.
      num_frames: frames the decoder will emit (a multiple of r).
    """
    del source, source_length, num_frames
    return {}

  def project(self, features, weights, prepared, step=None):
    """Frames of decoder steps.

    Args:
      features: ``[B, U + D]`` (one step) or ``[B, S, U + D]`` (all steps).
      weights: the same steps' attention weights, ``[B, T_enc]`` or ``[B, S, T_enc]``.
      prepared: ``prepare``'s dict.
      step: the step's index (int scalar) for one step, None for all steps.

    Returns:
      ``[B, r * F]`` or ``[B, S, r * F]``.
    """
    raise NotImplementedError

  def get_config(self):
    return {**super().get_config(), "num_mel_bins": self.num_mel_bins,
            "reduction_factor": self.reduction_factor,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


@register_head("direct")
class DirectHead(OutputHead):
  """The paper's head: ``y_i = Dense([s_i, c_i])``, r frames per step."""

  def project(self, features, weights, prepared, step=None):
    del weights, prepared, step
    return self._dense(features)


@register_head("source_filter")
class SourceFilterHead(OutputHead):
  """A source-filter split of each output frame: the timbre is predicted, the
  pitch is the source's.

  The smooth part of the spectrum (envelope and level) is the attended
  source's, reshaped by a smooth offset the decoder predicts; the fine
  structure (the harmonics, hence the pitch) is the source frame's at the
  same time, unchanged::

    x_i = sum_j a_ij X_j           (X_j: mean source log-mel of encoder step j)
    y_t = x_i B^T B + o_t B + (s_t - s_t B^T B),    o_t = Dense([s_i, c_i])

  for the r frames t of step i, with B the first ``envelope_coefficients``
  rows of the DCT-II basis over the mel bins (``v B^T B`` keeps the smooth
  part of v, ``v - v B^T B`` its fine structure) and s_t source frame t
  (zero past the source's end). Zero-initialised, it starts as the attended
  envelope with the source's fine structure. Requires attention.

  Why, and what else was measured: ``docs/design.md`` ("Output heads").

  Args:
    envelope_coefficients: K, DCT coefficients of the offset and envelope
      (no detail finer than about ``2 F / K`` bins).
    time_reduction: source frames per encoder step (``ModelConfig.time_reduction``).
  """

  requires_attention = True
  curves_per_frame = 1  # smooth curves (K DCT coefficients each) predicted per frame
  extras_per_frame = 0  # further outputs per frame, after the curves (``_extra``)

  def __init__(self, num_mel_bins, reduction_factor, envelope_coefficients=12,
               time_reduction=1, kernel_initializer="zeros", **kwargs):
    if not 1 <= envelope_coefficients <= num_mel_bins:
      raise ValueError(f"SourceFilterHead: envelope_coefficients must be in [1, "
                       f"num_mel_bins={num_mel_bins}]. Received {envelope_coefficients}")
    super().__init__(num_mel_bins, reduction_factor, kernel_initializer, **kwargs)
    self.envelope_coefficients = envelope_coefficients
    self.time_reduction = time_reduction
    basis = dct_basis(envelope_coefficients, num_mel_bins)
    self.basis = tf.constant(basis)                                          # [K, F]
    self.smooth_projection = tf.constant(basis.T @ basis)                    # [F, F]
    self.fine_projection = tf.constant(
        harmonic_combs.fine_projection(envelope_coefficients, num_mel_bins))  # [F, F]

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

  @property
  def projection_size(self) -> int:
    return ((self.curves_per_frame * self.envelope_coefficients + self.extras_per_frame) *
            self.reduction_factor)

  def prepare(self, source, source_length, num_frames):
    """``blocks`` [B, T_enc, F]: each encoder step's mean source frame,
    smoothed; ``fine`` [B, num_frames / r, r, F]: the fine structure of
    source frames 0 .. num_frames - 1 (zeros past the source's end)."""
    frames, _, blocks = self._source_blocks(source, source_length)
    fine = tf.einsum("btf,fg->btg", frames, runtime_constant(self.fine_projection, frames))
    extra = tf.maximum(num_frames - tf.shape(fine)[1], 0)
    fine = tf.pad(fine, [[0, 0], [0, extra], [0, 0]])[:, :num_frames]
    r, f = self.reduction_factor, self.num_mel_bins
    return {"blocks": blocks,
            "fine": tf.reshape(fine, [tf.shape(source)[0], num_frames // r, r, f])}

  def _valid_frames(self, source, source_length):
    """The source frames [B, T, F] with padding zeroed, and their mask [B, T]."""
    if source is None or source_length is None:
      raise ValueError(f"{type(self).__name__}: needs the source [batch, time, num_mel_bins] "
                       "and source_length [batch]")
    source = tf.convert_to_tensor(source, tf.float32)
    mask = tf.sequence_mask(source_length, tf.shape(source)[1])
    # (expand_dims, not [..., tf.newaxis]: TFLite has no builtin for the latter)
    return source * tf.expand_dims(tf.cast(mask, source.dtype), -1), mask

  def _source_blocks(self, source, source_length):
    """The valid source frames [B, T, F] (padding zeroed), their mask [B, T]
    and each encoder step's mean frame, smoothed, [B, T_enc, F]."""
    frames, mask = self._valid_frames(source, source_length)
    # The projections stay float32 in TFLite's dynamic-range quantisation
    # (runtime_constant): int8 would put noise into the copied fine structure.
    # Smoothing each block once equals smoothing the attended mix (linear).
    blocks = tf.einsum("btf,fg->btg", pool_source_frames(frames, mask, self.time_reduction),
                       runtime_constant(self.smooth_projection, frames))
    return frames, mask, blocks

  def project(self, features, weights, prepared, step=None):
    r, k, f = self.reduction_factor, self.envelope_coefficients, self.num_mel_bins
    envelope = attend(weights, prepared["blocks"])
    fine = self._fine(prepared, step)
    lead = tf.shape(features)[:-1]
    curve_size = self.curves_per_frame * k
    params = tf.reshape(self._dense(features),
                        tf.concat([lead, [r, curve_size + self.extras_per_frame]], 0))
    curves = [tf.tensordot(params[..., i * k:(i + 1) * k], self.basis, 1)
              for i in range(self.curves_per_frame)]                        # [..., r, F] each
    extra = (self._extra(params[..., curve_size:], prepared, lead)
             if self.extras_per_frame else None)
    frames = self._frames(tf.expand_dims(envelope, -2), curves, fine, extra)
    return tf.reshape(frames, tf.concat([lead, [r * f]], 0))

  def _fine(self, prepared, step):
    """The fine structure the output frames carry: ``[B, S, r, F]`` for all
    steps, ``[B, r, F]`` for one (the source frames' here)."""
    return prepared["fine"] if step is None else prepared["fine"][:, step]

  def _extra(self, params, prepared, lead):
    """A head's further term ``[..., r, F]`` from its ``extras_per_frame``
    outputs ``params`` ``[..., r, extras_per_frame]`` (leading shape ``lead``)."""
    raise NotImplementedError(f"{type(self).__name__} has extras_per_frame outputs; "
                              "define _extra")

  def _frames(self, envelope, curves, fine, extra=None):
    """Output frames [..., r, F] from the attended envelope, the predicted
    curves and the source frames' fine structure (and ``_extra``'s term)."""
    del extra  # (none here)
    offset, = curves
    return envelope + offset + fine

  def get_config(self):
    return {**super().get_config(), "envelope_coefficients": self.envelope_coefficients,
            "time_reduction": self.time_reduction}


@register_head("partial_levels")
class PartialLevelsHead(SourceFilterHead):
  """The source's harmonic *positions*, the target's partial *levels*.

  ``source_filter`` adds the source frame's fine structure unchanged, and at
  80 mel bins that fine structure is not only the pitch but which partials
  are strong: much of the source's timbre. This head also predicts a smooth
  gain on it, per frame, so the decoder can deepen or flatten the source's
  comb band by band while its positions, the pitch, stay the source's; and
  the output is floored at the log floor (normalised -1), so an envelope
  pushed below it silences a band, comb included (a brass ladder turned into
  a keyboard's few partials)::

    y_t = max(x_i BᵀB + o_t B + 2^tanh(g_t B) ⊙ (s_t − s_t BᵀB), -1)
    [o_t, g_t] = Dense([s_i, c_i])

  (notation of ``SourceFilterHead``). The comb's gain stays within [1/2, 2]:
  an unbounded gain is shrunk towards 0 wherever the source's comb predicts
  the target's poorly (the MSE's answer to noise); the bound keeps the comb
  the head promises. Zero-initialised, it starts as ``source_filter``
  (floored). Measured (it converts more but loses low notes' pitch, so it is
  not the default): docs/results.md, "Notes that take on the target".
  """

  FLOOR = -1.0            # normalised log floor (AudioConfig: log(log_floor) -> -1)
  MAX_GAIN_OCTAVES = 1.0  # the comb's gain is within 2^±1
  curves_per_frame = 2    # the envelope's offset and the comb's gain

  def _frames(self, envelope, curves, fine, extra=None):
    offset, gain = curves
    scale = tf.exp(self.MAX_GAIN_OCTAVES * np.log(2.0) * tf.tanh(gain))
    frames = envelope + offset + scale * fine
    return tf.maximum(frames if extra is None else frames + extra, self.FLOOR)


class FrontEndHead:
  """Mixin for heads that build constants through the run's front-end
  (``needs_audio_config``): takes, checks, stores and serialises the run's
  ``AudioConfig`` (``audio_config``, an AudioConfig or its dict). List it
  before the head's base class."""

  needs_audio_config = True

  def __init__(self, num_mel_bins, reduction_factor, envelope_coefficients=12,
               time_reduction=1, kernel_initializer="zeros", audio_config=None, **kwargs):
    super().__init__(num_mel_bins, reduction_factor, envelope_coefficients, time_reduction,
                     kernel_initializer, **kwargs)
    head = type(self).__name__
    if isinstance(audio_config, dict):
      audio_config = AudioConfig(**audio_config)
    if not isinstance(audio_config, AudioConfig):
      raise ValueError(f"{head}: audio_config must be the run's AudioConfig. "
                       f"Received {audio_config!r}")
    if audio_config.num_mel_bins != num_mel_bins:
      raise ValueError(f"{head}: audio_config.num_mel_bins={audio_config.num_mel_bins} "
                       f"differs from num_mel_bins={num_mel_bins}")
    self.audio_config = audio_config

  @classmethod
  def from_model_config(cls, config, audio_config=None, **kwargs):
    return cls(config.num_mel_bins, config.reduction_factor, config.envelope_coefficients,
               config.time_reduction, audio_config=audio_config, **kwargs)

  def get_config(self):
    return {**super().get_config(), "audio_config": dataclasses.asdict(self.audio_config)}


@register_head("harmonic_comb")
class HarmonicCombHead(FrontEndHead, PartialLevelsHead):
  """The target's partial levels on a comb *generated* at the source's pitch.

  ``partial_levels`` rescales the source's own comb, so where the source has
  no harmonics (a guitar's empty upper bands) there is nothing to raise, and
  low notes lose their pitch. Here the comb is generated: the head holds a
  constant bank of harmonic combs (``harmonic_combs``: equal-amplitude
  harmonics at MIDI 24-96 in 10-cent steps, through the run's front-end) and
  chooses, per clip, the one whose fine structure matches the source's best
  (cosine of the fine structure summed over the clip's valid frames), with a
  prior for combs whose fundamental's band ``b_q`` is a peak of the source's
  fine structure::

    f = sum_t (s_t - s_t BᵀB)
    p = argmax_q  <f, c_q> / |c_q| + w f[b_q]     (c_q: comb q's fine structure,
                                                  w = FUNDAMENTAL_WEIGHT)
    y_t = max(x_i BᵀB + o_t B + 2^(2 tanh(g_t B)) ⊙ c_p, -1)
    [o_t, g_t] = Dense([s_i, c_i])

  (notation of ``SourceFilterHead``). One pitch per clip: a note's. The
  comb's gain is within [1/4, 4]: the generated comb's depth is the same for
  every instrument, the target's is not. In TFLite the choice is a matmul, an
  argmax and a gather. Zero-initialised, it starts as the attended envelope
  with the chosen comb. Needs the run's ``AudioConfig`` (``make_head``).
  Measured: docs/results.md, "Notes that take on the target".

  With ``comb_chooser="learned"`` (the default for notes since 0.10) the
  choice is the template score above, standardised over the bank (``z``),
  plus a learned correction that reads, for every candidate comb q, the
  source's mean fine structure ``f`` and mean frame ``m`` in the bands each
  of q's first H harmonics fills::

    x_q = [f W_q^T, m W_q^T, z_q]       (W_q [H + 1, F]: q's band shares,
                                         ``harmonic_band_shares``, each row
                                         normalised to sum 1)
    p = argmax_q  z_q + v · relu(U x_q + c)

  The same small network scores every candidate, so the choice is relative
  to the candidate's pitch and carries over to pitches never trained on. Its
  weights (U, c, v) are not trained with the model: ``calibration.
  fit_comb_chooser`` fits them before training on the training notes, whose
  pitches the dataset knows (softmax over the bank). As built (v = 0) it
  chooses as the template. Measured: docs/results.md, "0.10".

  Args:
    audio_config: the run's ``AudioConfig`` (or its dict), whose front-end
      renders the bank.
    comb_chooser: "template" or "learned" (``configs.COMB_CHOOSERS``).
  """

  MAX_GAIN_OCTAVES = 2.0
  FUNDAMENTAL_WEIGHT = harmonic_combs.FUNDAMENTAL_WEIGHT  # the choice's prior (harmonic_combs)
  NUM_HARMONICS = 16     # H: harmonics with their own band shares (the learned chooser reads them)
  CHOOSER_UNITS = 64     # hidden units of the learned chooser
  uses_band_shares = False  # harmonic_levels puts levels on the shares whatever the chooser

  def __init__(self, num_mel_bins, reduction_factor, envelope_coefficients=12,
               time_reduction=1, kernel_initializer="zeros", audio_config=None,
               comb_chooser="template", **kwargs):
    super().__init__(num_mel_bins, reduction_factor, envelope_coefficients, time_reduction,
                     kernel_initializer, audio_config, **kwargs)
    if comb_chooser not in COMB_CHOOSERS:
      raise ValueError(f"{type(self).__name__}: comb_chooser must be one of {COMB_CHOOSERS}. "
                       f"Received {comb_chooser!r}")
    self.comb_chooser = comb_chooser
    self.bank_midi = harmonic_combs.bank_midi()                              # [P]
    fine, scorer = harmonic_combs.comb_scorer(self.audio_config, envelope_coefficients)
    self.bank = tf.constant(fine)                                             # [P, F]
    self.scorer = tf.constant(scorer)                                         # [F, P]
    if self.uses_band_shares or comb_chooser == "learned":
      # One flat table (3.9 MB) that both readers use as it is: harmonic_levels
      # gathers a comb's H + 1 rows, the learned chooser multiplies by all of it.
      shares = harmonic_combs.harmonic_band_shares(self.audio_config, self.NUM_HARMONICS)
      self.shares = tf.constant(shares.reshape(-1, num_mel_bins))            # [P (H+1), F]
      totals = shares.sum(-1).reshape(-1)
      self.inverse_share_totals = tf.constant(
          np.where(totals > 1e-12, 1.0 / np.maximum(totals, 1e-12), 0.0).astype(np.float32))
    if comb_chooser == "learned":
      # Not trained with the model (calibration.fit_comb_chooser sets them);
      # created here so that they exist before fitting and loading.
      width = 2 * (self.NUM_HARMONICS + 1) + 1
      self.chooser_hidden_kernel = self.add_weight(
          shape=(width, self.CHOOSER_UNITS), initializer="zeros", trainable=False,
          name="chooser_hidden_kernel")
      self.chooser_hidden_bias = self.add_weight(
          shape=(self.CHOOSER_UNITS,), initializer="zeros", trainable=False,
          name="chooser_hidden_bias")
      self.chooser_output_kernel = self.add_weight(
          shape=(self.CHOOSER_UNITS,), initializer="zeros", trainable=False,
          name="chooser_output_kernel")

  @classmethod
  def from_model_config(cls, config, audio_config=None, **kwargs):
    return super().from_model_config(config, audio_config=audio_config,
                                     comb_chooser=config.resolved().comb_chooser, **kwargs)

  @property
  def chooser_weights(self) -> list:
    """The learned chooser's variables ``[U, c, v]`` (``comb_chooser="learned"``)."""
    return [self.chooser_hidden_kernel, self.chooser_hidden_bias, self.chooser_output_kernel]

  def choose_combs(self, source, source_length):
    """Per clip, the bank's index ``[B]`` (int32) of the comb that best
    matches the source summed over its valid frames: the cosine of the fine
    structures plus ``FUNDAMENTAL_WEIGHT`` times the source's fine structure
    in the band of the comb's fundamental. Both are linear in the summed
    frames, so the score is one matmul (a TFLite builtin). With the learned
    chooser, the class docstring's ``argmax``."""
    return self._choose(*self._valid_frames(source, source_length))

  def _choose(self, frames, mask):
    """``choose_combs`` for the valid source frames [B, T, F] (padding
    zeroed) and their mask [B, T]."""
    if self.comb_chooser == "template":
      return harmonic_combs.choose(frames, self.scorer)
    logits = self.chooser_logits(*self.chooser_summaries(frames, mask), anchor=frames)
    return tf.argmax(logits, axis=-1, output_type=tf.int32)

  def chooser_summaries(self, frames, mask):
    """What the learned chooser reads of a clip: its mean fine structure
    ``f`` [B, F], mean frame ``m`` [B, F] (normalised log-mel, over the valid
    frames) and the template scores standardised over the bank ``z`` [B, P].

    Args:
      frames: [B, T, F] normalised log-mel, padding zeroed; mask: [B, T] valid frames.
    """
    count = tf.maximum(tf.reduce_sum(tf.cast(mask, frames.dtype), 1, keepdims=True), 1.0)
    mean = tf.reduce_sum(frames, 1) / count                                  # [B, F]
    # (runtime_constant from the frames, whose length TFLite cannot fold)
    fine = tf.matmul(mean, runtime_constant(self.fine_projection, frames))
    scores = tf.matmul(mean, runtime_constant(self.scorer, frames))           # [B, P]
    centred = scores - tf.reduce_mean(scores, -1, keepdims=True)
    spread = tf.sqrt(tf.reduce_mean(tf.square(centred), -1, keepdims=True))
    return fine, mean, centred / (spread + 1e-6)

  def chooser_logits(self, fine, mean, standardised, weights=None, anchor=None):
    """The learned chooser's score of every bank comb [B, P] from
    ``chooser_summaries``' outputs, with ``weights`` ``[U, c, v]`` (default:
    the head's ``chooser_weights``). ``anchor``: a tensor of a shape TFLite
    cannot fold (the source frames), so that the constants stay float32 and
    single in its files (``ops.runtime_constant``; default ``mean``)."""
    hidden_kernel, hidden_bias, output_kernel = weights or self.chooser_weights
    anchor = mean if anchor is None else anchor
    shares = runtime_constant(self.shares, anchor)                            # [P (H+1), F]
    batch = tf.shape(mean)[0]
    # each harmonic's bands averaged with its shares as weights: [B, P, H+1] each
    read = [tf.reshape(tf.matmul(v, shares, transpose_b=True) * self.inverse_share_totals,
                       [batch, -1, self.NUM_HARMONICS + 1]) for v in (fine, mean)]
    features = tf.concat(read + [tf.expand_dims(standardised, -1)], -1)      # [B, P, 2H+3]
    # (float32 in TFLite's dynamic-range file too: int8 weights changed the argmax)
    hidden_kernel = runtime_constant(hidden_kernel, anchor)
    hidden = tf.nn.relu(tf.tensordot(features, hidden_kernel, 1) + hidden_bias)
    return standardised + tf.tensordot(hidden, output_kernel, 1)

  def prepare(self, source, source_length, num_frames):
    """``blocks`` as ``SourceFilterHead``; ``comb`` [B, F]: the chosen comb's
    fine structure."""
    del num_frames
    frames, mask, blocks = self._source_blocks(source, source_length)
    return self._prepared(blocks, self._choose(frames, mask))

  def _prepared(self, blocks, chosen):
    """``prepare``'s dict for the blocks and the chosen bank indices [B]."""
    return {"blocks": blocks, "comb": tf.gather(runtime_constant(self.bank, blocks), chosen)}

  def _fine(self, prepared, step):
    comb = tf.expand_dims(prepared["comb"], 1)                                # [B, 1, F]
    return comb if step is not None else tf.expand_dims(comb, 1)             # [B, 1, 1, F]

  def get_config(self):
    return {**super().get_config(), "comb_chooser": self.comb_chooser}


@register_head("harmonic_levels")
class HarmonicLevelsHead(HarmonicCombHead):
  """``harmonic_comb`` plus a level for each of the note's first harmonics.

  ``harmonic_comb``'s curves are smooth over the mel bands (K DCT
  coefficients: no detail finer than ~``2 F / K`` bands), so they cannot set
  one resolved harmonic's level apart from its neighbour's: a low clarinet's
  missing even harmonics, a bass's strong fundamental. At 80 bands the first
  ~10 harmonics of a low note are resolved, and what they do not show the
  output renders as equal-level harmonics, which Griffin-Lim turns into
  wavering partials that a pitch tracker calls unvoiced (docs/results.md,
  "0.8: a level for each harmonic"). This head also predicts, per frame, a power gain for
  each of the first H harmonics, in harmonic-number coordinates (so the same
  gains mean the same timbre at any pitch, as a DDSP harmonic distribution),
  and puts it on the bands each harmonic fills::

    y_t = max(x_i BᵀB + o_t B + 2^(2 tanh(g_t B)) ⊙ c_p + λ log([e^l_t, 1] S_p), -1)
    [o_t, g_t, l_t] = Dense([s_i, c_i]),   l_t = L tanh(.) ∈ [-L, L]^H

  (notation of ``HarmonicCombHead``): ``S_p`` ``[H + 1, F]`` is the chosen
  comb's ``harmonic_combs.harmonic_band_shares`` (each band's power split
  among harmonics 1..H and the rest), ``λ`` converts natural-log power to
  normalised units and L = ``MAX_LEVEL_NATS``. Zero-initialised, ``l = 0``
  and it starts as ``harmonic_comb``. In TFLite: a gather, exp, a matmul and
  a log.
  """

  MAX_LEVEL_NATS = 9.21       # L: ±40 dB of power per harmonic
  extras_per_frame = HarmonicCombHead.NUM_HARMONICS  # H: harmonics with their own level
  uses_band_shares = True

  def __init__(self, num_mel_bins, reduction_factor, envelope_coefficients=12,
               time_reduction=1, kernel_initializer="zeros", audio_config=None,
               comb_chooser="template", **kwargs):
    super().__init__(num_mel_bins, reduction_factor, envelope_coefficients, time_reduction,
                     kernel_initializer, audio_config, comb_chooser, **kwargs)
    low, high = self.audio_config.log_range
    self.nats_to_normalised = 2.0 / (high - low)

  def _prepared(self, blocks, chosen):
    """``harmonic_comb``'s, and ``shares`` [B, H + 1, F]: the chosen comb's
    band shares (rows ``chosen (H + 1) ... chosen (H + 1) + H`` of the flat table)."""
    rows = (tf.expand_dims(chosen, -1) * (self.NUM_HARMONICS + 1)
            + tf.range(self.NUM_HARMONICS + 1))                              # [B, H+1]
    return {**super()._prepared(blocks, chosen),
            "shares": tf.gather(runtime_constant(self.shares, blocks), rows)}

  def _extra(self, params, prepared, lead):
    """λ log([e^l, 1] S_p) [..., r, F] from the level outputs [..., r, H]."""
    levels = tf.exp(self.MAX_LEVEL_NATS * tf.tanh(params))                    # [..., r, H]
    levels = tf.concat([levels, tf.ones_like(levels[..., :1])], -1)         # [..., r, H+1]
    batch = tf.shape(params)[0]
    band_power = tf.matmul(tf.reshape(levels, [batch, -1, self.NUM_HARMONICS + 1]),
                           prepared["shares"])                              # [B, ... r, F]
    shape = tf.concat([lead, [self.reduction_factor, self.num_mel_bins]], 0)
    return tf.reshape(tf.math.log(tf.maximum(band_power, 1e-30)), shape) * self.nats_to_normalised


@register_head("source_envelope")
class SourceEnvelopeHead(SourceFilterHead):
  """The source's words, the target's voice: the attended source's smooth
  envelope (what is said) plus everything else predicted::

    y_t = x_i BᵀB + d_t,    d_t = Dense([s_i, c_i])

  (notation of ``SourceFilterHead``). ``direct`` must regenerate a word's
  formant movements from the attention's context, which the decoder learns
  slowly (at 1500 steps of tts_words it predicts the target speaker's average
  spectrum); ``source_filter`` copies the source speaker's pitch. Here the
  source's envelope, carried along the alignment, brings the content, and the
  decoder predicts a residual: the target speaker's harmonics (its pitch)
  and a correction of the envelope (its timbre). Zero-initialised, it starts
  as the attended envelope. Requires attention.
  """

  @property
  def projection_size(self) -> int:
    return self.num_mel_bins * self.reduction_factor

  def prepare(self, source, source_length, num_frames):
    """``blocks`` [B, T_enc, F]: each encoder step's mean source frame, smoothed."""
    del num_frames
    return {"blocks": self._source_blocks(source, source_length)[2]}

  def project(self, features, weights, prepared, step=None):
    envelope = attend(weights, prepared["blocks"])                          # [..., F]
    residual = self._dense(features)                                        # [..., r * F]
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
class SourceWarpHead(FrontEndHead, SourceFilterHead):
  """The source's words through the target's vocal tract: the smooth envelope
  of the source frame the attention points at, read at frame resolution and
  warped along frequency, plus a predicted residual::

    p_t = sum_j a_ij (j + 1/2) R - 1/2 + (k - (r - 1) / 2)   (frame k of step i)
    e_t = s(p_t) BᵀB                     (source frames interpolated at p_t, smoothed)
    y_t = warp(e_t, alpha_t) + d_t,      [d_t, w_t] = Dense([s_i, c_i]),
    alpha_t = 2^(MAX_WARP_OCTAVES tanh w_t)

  where ``warp(e, alpha)`` moves every frequency f of the envelope to
  ``alpha f`` (band k reads the envelope at ``f_k / alpha``: a vocal tract
  ``1 / alpha`` as long; the formants move together), and R is the source
  frames per encoder step. ``source_envelope`` reads the attended *mean* of
  encoder steps (R = 8 frames, 100 ms, by default), which blurs the
  consonants, and can change the speaker only through its additive residual;
  here the attention's expected position reads single frames, and the warp
  moves the formants as a change of speaker does (VTLN). The residual brings
  the target's harmonics (its pitch) and what the warp cannot. Zero-initialised,
  it starts as the unwarped source envelope along the alignment. Requires
  attention and the run's ``AudioConfig`` (the bands' frequencies).
  """

  MAX_WARP_OCTAVES = 0.5   # alpha within [0.71, 1.41]: formant ratios between adults

  def __init__(self, num_mel_bins, reduction_factor, envelope_coefficients=12,
               time_reduction=1, kernel_initializer="zeros", audio_config=None, **kwargs):
    super().__init__(num_mel_bins, reduction_factor, envelope_coefficients, time_reduction,
                     kernel_initializer, audio_config, **kwargs)
    centres = melspec.mel_to_hz(melspec.mel_band_edges(self.audio_config)[1:-1])
    self.band_hz = tf.constant(centres.astype(np.float32))                    # [F]

  @property
  def projection_size(self) -> int:
    return (self.num_mel_bins + 1) * self.reduction_factor

  def prepare(self, source, source_length, num_frames):
    """``envelope`` [B, T, F]: the source frames' smooth envelopes; ``length``
    [B]: valid source frames."""
    del num_frames
    frames, _ = self._valid_frames(source, source_length)
    envelope = tf.einsum("btf,fg->btg", frames,
                         runtime_constant(self.smooth_projection, frames))
    return {"envelope": envelope, "length": tf.convert_to_tensor(source_length)}

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
    params = tf.reshape(self._dense(features), tf.concat([lead, [r, f + 1]], 0))
    residual, warp = params[..., :f], params[..., f]
    alpha = tf.exp(self.MAX_WARP_OCTAVES * np.log(2.0) * tf.tanh(warp))      # [..., r]
    read = tf.reshape(read, tf.concat([lead, [r, f]], 0))
    frames = self.warp(read, alpha) + residual
    return tf.reshape(frames, tf.concat([lead, [r * f]], 0))
