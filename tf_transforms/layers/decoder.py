"""Conditional LSTM transducer with additive attention (paper sec. 2.2)."""

import keras
import numpy as np
import tensorflow as tf

from tf_transforms.audio import runtime_constant

PACKAGE = "tf_transforms"
_NEG_INF = -1e9
OUTPUT_HEADS = ("direct", "source_filter")


def dct_basis(num_coefficients, size):
  """Rows 0..K-1 of the orthonormal DCT-II matrix, float32 ``[K, size]``.

  ``coefficients @ dct_basis(K, F)`` is a curve over F bins that is smooth
  (no detail finer than about ``2 F / K`` bins); it equals
  ``scipy.fft.idct(padded coefficients, norm="ortho")``.
  """
  k = np.arange(num_coefficients)[:, None]
  m = np.arange(size)[None, :]
  basis = np.sqrt(2.0 / size) * np.cos(np.pi * k * (m + 0.5) / size)
  basis[0] /= np.sqrt(2.0)
  return basis.astype(np.float32)


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


@keras.saving.register_keras_serializable(package=PACKAGE)
class AttentionDecoder(keras.layers.Layer):
  """Autoregressive spectrogram decoder, optionally attending and conditioned.

  Step i (``r = reduction_factor`` frames per step):

    s_i   = LSTM(s_{i-1}, [prenet(y_{i-1}), c_{i-1}, target_style])
    e_ij  = w^T tanh(W s_i + V h_j + b)          (eq. 2; padded j get -inf)
    a_ij  = softmax_j(e_ij),   c_i = sum_j a_ij h_j
    y_i   = Dense([s_i, c_i])  -> r frames;  stop_i = Dense([s_i, c_i])

  ``y_{i-1}`` is the last frame of the previous step (zeros at i = 0): the
  ground truth in training (teacher forcing), the prediction at inference.
  Without attention (the seq2seq baselines) there is no context ``c`` and the
  decoder starts from ``initial_state`` (the encoder's summary).

  Output heads (``output_head``):

  * ``"direct"`` (the paper): ``y_i = Dense([s_i, c_i])``.
  * ``"source_filter"``: a source-filter split of the output frame. The
    smooth part of the spectrum (envelope and level: the timbre) is the
    attended source's, reshaped by a smooth offset the decoder predicts; the
    fine structure (the harmonics, hence the pitch) is the source frame's at
    the same time, unchanged:

      x_i = sum_j a_ij X_j           (X_j: mean source log-mel of step j)
      y_t = x_i B^T B + o_t B + (s_t - s_t B^T B),    o_t = Dense([s_i, c_i])

    for the r frames t of step i, with B the first ``envelope_coefficients``
    rows of the DCT-II basis over the mel bins (``v B^T B`` keeps the smooth
    part of v, ``v - v B^T B`` its fine structure) and s_t source frame t
    (zero past the source's end). Zero-initialised, it starts as the
    attended envelope with the source's fine structure. Requires attention.

    Why: a direct regression onto log-mel has to *generate* the harmonic comb
    of each pitch, and for a pitch absent from training it gives the comb of
    a neighbouring training pitch (README, "Pitch on unseen notes"). Measured
    variants (README): the fine structure of the *attended* source x_i, with
    a predicted smooth gain on it, kept the pitch less well at low notes --
    the attention settles on late, decaying frames and the MSE-trained gain
    flattens harmonics whose pattern differs between instruments, and both
    leave low notes unvoiced; forcing the attention onto the diagonal
    (guided attention) cost MCD with either head. Taking the fine structure from the
    source frame at the same time assumes source and target share their
    timing, as notes of one pitch do; for words of different lengths the
    source's pitch contour is kept on the source's clock.

  Keras 3's RNN layer has no ``constants=`` for the memory, so the loop is a
  ``tf.while_loop`` with static per-step shapes (which the TFLite export
  relies on); the pre-net and output projections run outside it, batched
  over all steps, in training.

  Call arguments:
    memory: encoder outputs ``[batch, enc_time, enc_dim]`` (ignored without
      attention, but still required for the batch size).
    memory_mask: bool ``[batch, enc_time]``.
    conditioning: ``[batch, conditioning_dim]`` (one-hot target style; width 0
      for unconditioned methods).
    targets: teacher frames ``[batch, time, num_mel_bins]`` with time a
      multiple of r, or None for autoregressive inference.
    initial_state: optional ``(h, c)``, each ``[batch, decoder_units]``.
    source_blocks: ``[batch, enc_time, num_mel_bins]``, the source spectrum
      of each encoder step (``pool_source_frames``); source_filter only.
    source_frames: ``[batch, time, num_mel_bins]``, the source frames with
      padding zeroed; source_filter only.
    num_steps: inference only: run exactly this many steps (scalar int);
      default: until every example's stop probability exceeds 0.5, or
      ``max_decoder_steps``.

  Returns:
    dict with ``frames`` ``[batch, steps * r, num_mel_bins]``,
    ``stop_logits`` ``[batch, steps]``, ``alignments`` ``[batch, steps,
    enc_time]`` (zeros without attention).
  """

  def __init__(self, num_mel_bins, decoder_units, attention_units=128,
               prenet_units=128, prenet_dropout=0.5, reduction_factor=2,
               use_attention=True, max_decoder_steps=200, conditioning_dim=0,
               output_head="direct", envelope_coefficients=12, **kwargs):
    super().__init__(**kwargs)
    if output_head not in OUTPUT_HEADS:
      raise ValueError(f"AttentionDecoder: output_head must be one of {OUTPUT_HEADS}. "
                       f"Received output_head={output_head!r}")
    if output_head == "source_filter" and not use_attention:
      raise ValueError("AttentionDecoder: output_head='source_filter' copies the attended "
                       "source frames, so it needs use_attention=True")
    if output_head == "source_filter" and not 1 <= envelope_coefficients <= num_mel_bins:
      raise ValueError(f"AttentionDecoder: envelope_coefficients must be in [1, "
                       f"num_mel_bins={num_mel_bins}]. Received {envelope_coefficients}")
    self.output_head = output_head
    self.envelope_coefficients = envelope_coefficients
    self.supports_masking = True  # masks are explicit arguments; drop Keras' implicit one
    self.conditioning_dim = conditioning_dim
    self.num_mel_bins = num_mel_bins
    self.decoder_units = decoder_units
    self.attention_units = attention_units
    self.prenet_units = prenet_units
    self.prenet_dropout = prenet_dropout
    self.reduction_factor = reduction_factor
    self.use_attention = use_attention
    self.max_decoder_steps = max_decoder_steps
    self.prenet = []
    if prenet_units:
      self.prenet = [keras.layers.Dense(prenet_units, activation="relu", name=f"prenet_{k}")
                     for k in range(2)]
      self.prenet_drop = keras.layers.Dropout(prenet_dropout)
    self.cell = keras.layers.LSTMCell(decoder_units, name="cell")
    if use_attention:
      self.query_layer = keras.layers.Dense(attention_units, use_bias=False, name="W")
      self.memory_layer = keras.layers.Dense(attention_units, use_bias=True, name="V")
      self.score_layer = keras.layers.Dense(1, use_bias=False, name="w")
    if output_head == "direct":
      self.frame_layer = keras.layers.Dense(num_mel_bins * reduction_factor, name="frames")
    else:
      # Offset coefficients, zero-initialised: training starts from the
      # attended envelope with the source's fine structure.
      self.frame_layer = keras.layers.Dense(envelope_coefficients * reduction_factor,
                                            kernel_initializer="zeros", name="envelope")
      basis = dct_basis(envelope_coefficients, num_mel_bins)
      self.basis = tf.constant(basis)                                   # [k, F]
      self.smooth_projection = tf.constant(basis.T @ basis)             # [F, F]
      self.fine_projection = tf.constant(np.eye(num_mel_bins, dtype=np.float32) -
                                         basis.T @ basis)                # [F, F]
    self.stop_layer = keras.layers.Dense(1, name="stop")

  def build(self, memory_shape):
    memory_dim = memory_shape[-1] if self.use_attention else 0
    prenet_dim = self.num_mel_bins
    for dense in self.prenet:
      dense.build((None, prenet_dim))
      prenet_dim = self.prenet_units
    if self.use_attention:
      self.memory_layer.build((None, None, memory_dim))
      self.query_layer.build((None, self.decoder_units))
      self.score_layer.build((None, None, self.attention_units))
    self.cell.build((None, prenet_dim + memory_dim + self.conditioning_dim))
    self.frame_layer.build((None, self.decoder_units + memory_dim))
    self.stop_layer.build((None, self.decoder_units + memory_dim))

  def compute_mask(self, *args, **kwargs):
    return None

  # ------------------------------------------------------------------ pieces

  def _prenet(self, frames, training):
    for dense in self.prenet:
      frames = self.prenet_drop(dense(frames), training=training)
    return frames

  def _attend(self, state, keys, memory, memory_mask):
    """Additive attention. Returns context [B, D] and weights [B, T]."""
    query = tf.expand_dims(self.query_layer(state), 1)                  # [B, 1, A]
    scores = tf.squeeze(self.score_layer(tf.tanh(keys + query)), -1)    # [B, T]
    scores = tf.where(memory_mask, scores, _NEG_INF)
    weights = tf.nn.softmax(scores, axis=-1)
    return tf.einsum("bt,btd->bd", weights, memory), weights

  def _step(self, prenet_frame, context, conditioning, state, keys, memory, memory_mask):
    inputs = tf.concat([prenet_frame, context, conditioning], axis=-1)
    output, state = self.cell(inputs, state)
    if self.use_attention:
      context, weights = self._attend(output, keys, memory, memory_mask)
    else:
      weights = tf.zeros_like(memory_mask, dtype=output.dtype)
    return output, context, weights, state

  def _project(self, outputs, contexts, envelopes, fine):
    """Frames and stop logits of decoder steps.

    outputs [..., U], contexts [..., D]; source_filter only: envelopes
    [..., F] (the attended source blocks' smooth part, x_i B^T B) and fine
    [..., r, F] (fine structure of the source frames at the steps' own
    times). Returns frames [..., r * F] and stop logits [...].
    """
    features = tf.concat([outputs, contexts], axis=-1)
    stop_logits = tf.squeeze(self.stop_layer(features), -1)
    if self.output_head == "direct":
      return self.frame_layer(features), stop_logits
    r, k, f = self.reduction_factor, self.envelope_coefficients, self.num_mel_bins
    lead = tf.shape(features)[:-1]
    params = tf.reshape(self.frame_layer(features), tf.concat([lead, [r, k]], 0))
    offset = tf.einsum("...k,kf->...f", params, self.basis)            # [..., r, F]
    frames = tf.expand_dims(envelopes, -2) + offset + fine
    return tf.reshape(frames, tf.concat([lead, [r * f]], 0)), stop_logits

  def _source_fine(self, source_frames, frames):
    """Fine structure of the source frames 0 .. frames-1: [B, frames, F]
    (zeros past the source's end; padding must be zero already)."""
    # The projections stay float32 in TFLite's dynamic-range quantisation
    # (runtime_constant): int8 would put noise into the copied fine structure.
    fine = tf.einsum("btf,fg->btg", source_frames,
                     runtime_constant(self.fine_projection, source_frames))
    extra = tf.maximum(frames - tf.shape(fine)[1], 0)
    return tf.pad(fine, [[0, 0], [0, extra], [0, 0]])[:, :frames]

  # ------------------------------------------------------------------ call

  def call(self, memory, memory_mask, conditioning, targets=None, initial_state=None,
           num_steps=None, training=False, return_alignments=True, source_blocks=None,
           source_frames=None):
    batch = tf.shape(memory)[0]
    dtype = memory.dtype
    memory_mask = tf.cast(memory_mask, tf.bool)
    memory_dim = memory.shape[-1] if self.use_attention else 0
    if conditioning.shape[-1] != self.conditioning_dim:
      raise ValueError(f"AttentionDecoder: conditioning must have width "
                       f"{self.conditioning_dim}. Received shape {conditioning.shape}")
    if self.output_head == "source_filter":
      if source_blocks is None or source_frames is None:
        raise ValueError("AttentionDecoder: output_head='source_filter' needs "
                         "source_blocks [batch, enc_time, num_mel_bins] and source_frames "
                         "[batch, time, num_mel_bins]")
      # Smooth each block once here, not the attended mix at every step (the
      # projection is linear, so the two are equal).
      source_blocks = tf.convert_to_tensor(source_blocks, dtype)
      source_blocks = tf.einsum("btf,fg->btg", source_blocks,
                                runtime_constant(self.smooth_projection, source_blocks))
      source_frames = tf.convert_to_tensor(source_frames, dtype)
    else:
      source_blocks = source_frames = None
    if self.use_attention:
      keys = self.memory_layer(memory)                                  # [B, T, A]
    else:
      keys = tf.zeros([batch, 0, 0], dtype)
      memory = tf.zeros([batch, tf.shape(memory)[1], 0], dtype)
    context = tf.zeros([batch, memory_dim], dtype)
    if initial_state is None:
      initial_state = [tf.zeros([batch, self.decoder_units], dtype)] * 2
    state = list(initial_state)
    if targets is not None:
      return self._teacher_forced(targets, memory, memory_mask, keys, conditioning,
                                  context, state, training, source_blocks, source_frames)
    return self._autoregressive(memory, memory_mask, keys, conditioning, context,
                                state, num_steps, training, return_alignments, source_blocks,
                                source_frames)

  def _teacher_forced(self, targets, memory, memory_mask, keys, conditioning,
                      context, state, training, source_blocks, source_frames):
    r = self.reduction_factor
    batch = tf.shape(targets)[0]
    steps = targets.shape[1] // r if targets.shape[1] is not None else tf.shape(targets)[1] // r
    previous = targets[:, r - 1::r][:, :-1]                     # last frame of each step
    go = tf.zeros_like(targets[:, :1])
    decoder_inputs = self._prenet(tf.concat([go, previous], 1), training)  # [B, steps, P]
    decoder_inputs = tf.transpose(decoder_inputs, [1, 0, 2])    # [steps, B, P]
    outputs_ta = tf.TensorArray(targets.dtype, size=steps)
    contexts_ta = tf.TensorArray(targets.dtype, size=steps)
    weights_ta = tf.TensorArray(targets.dtype, size=steps)

    def body(i, context, h, c, outputs_ta, contexts_ta, weights_ta):
      output, context, weights, (h, c) = self._step(
          decoder_inputs[i], context, conditioning, [h, c], keys, memory, memory_mask)
      return (i + 1, context, h, c, outputs_ta.write(i, output),
              contexts_ta.write(i, context), weights_ta.write(i, weights))

    # maximum_iterations bounds the gradient's accumulators, which XLA needs.
    _, _, _, _, outputs_ta, contexts_ta, weights_ta = tf.while_loop(
        lambda i, *_: i < steps, body,
        (tf.constant(0), context, state[0], state[1], outputs_ta, contexts_ta, weights_ta),
        maximum_iterations=steps)
    outputs = tf.transpose(outputs_ta.stack(), [1, 0, 2])      # [B, steps, U]
    contexts = tf.transpose(contexts_ta.stack(), [1, 0, 2])    # [B, steps, D]
    alignments = tf.transpose(weights_ta.stack(), [1, 0, 2])   # [B, steps, T]
    envelopes = fine = None
    if source_blocks is not None:
      envelopes = tf.einsum("bst,btf->bsf", alignments, source_blocks)
      fine = tf.reshape(self._source_fine(source_frames, steps * r),
                        [batch, steps, r, self.num_mel_bins])
    frames, stop_logits = self._project(outputs, contexts, envelopes, fine)
    return {"frames": tf.reshape(frames, [batch, steps * r, self.num_mel_bins]),
            "stop_logits": stop_logits, "alignments": alignments}

  def _autoregressive(self, memory, memory_mask, keys, conditioning, context, state,
                      num_steps, training, return_alignments, source_blocks, source_frames):
    r = self.reduction_factor
    batch = tf.shape(memory)[0]
    dtype = memory.dtype
    fixed_length = num_steps is not None
    limit = num_steps if fixed_length else self.max_decoder_steps
    # Static element shapes where the graph knows them (batch 1 in a TFLite
    # export): TFLite lowers TensorLists to builtins only then. Alignments
    # depend on the input length, so they can be left out.
    static_batch = memory.shape[0]
    # Fixed-size arrays (``limit`` elements, sliced to the steps run below).
    arrays = [tf.TensorArray(dtype, size=limit,
                             element_shape=[static_batch, r * self.num_mel_bins]),
              tf.TensorArray(dtype, size=limit, element_shape=[static_batch])]
    if return_alignments:
      arrays.append(tf.TensorArray(dtype, size=limit, element_shape=[static_batch, None]))
    previous = tf.zeros([batch, self.num_mel_bins], dtype)
    if source_frames is not None:                                  # [B, limit, r, F]
      source_fine = tf.reshape(self._source_fine(source_frames, limit * r),
                               [batch, limit, r, self.num_mel_bins])

    def condition(i, previous, context, h, c, finished, *_):
      going = i < limit
      if not fixed_length:
        going = tf.logical_and(going, tf.logical_not(tf.reduce_all(finished)))
      return going

    def body(i, previous, context, h, c, finished, *arrays):
      output, context, weights, (h, c) = self._step(
          self._prenet(previous, training), context, conditioning, [h, c], keys,
          memory, memory_mask)
      envelope = fine = None
      if source_blocks is not None:
        envelope = tf.einsum("bt,btf->bf", weights, source_blocks)
        fine = source_fine[:, i]
      frames, stop_logit = self._project(output, context, envelope, fine)  # [B, r*F], [B]
      finished = tf.logical_or(finished, stop_logit > 0.0)
      written = [arrays[0].write(i, frames), arrays[1].write(i, stop_logit)]
      if return_alignments:
        written.append(arrays[2].write(i, weights))
      return (i + 1, frames[:, -self.num_mel_bins:], context, h, c, finished, *written)

    loop = tf.while_loop(
        condition, body,
        (tf.constant(0), previous, context, state[0], state[1],
         tf.zeros([batch], tf.bool), *arrays),
        maximum_iterations=limit)
    steps = loop[0]
    frames = tf.transpose(loop[6].stack()[:steps], [1, 0, 2])   # [B, steps, r*F]
    outputs = {"frames": tf.reshape(frames, [batch, steps * r, self.num_mel_bins]),
               "stop_logits": tf.transpose(loop[7].stack()[:steps], [1, 0])}
    if return_alignments:
      outputs["alignments"] = tf.transpose(loop[8].stack()[:steps], [1, 0, 2])
    return outputs

  def get_config(self):
    return {**super().get_config(), "num_mel_bins": self.num_mel_bins,
            "decoder_units": self.decoder_units, "attention_units": self.attention_units,
            "prenet_units": self.prenet_units, "prenet_dropout": self.prenet_dropout,
            "reduction_factor": self.reduction_factor, "use_attention": self.use_attention,
            "max_decoder_steps": self.max_decoder_steps,
            "conditioning_dim": self.conditioning_dim, "output_head": self.output_head,
            "envelope_coefficients": self.envelope_coefficients}
