"""Conditional LSTM transducer with additive attention (paper sec. 2.2)."""

import keras
import tensorflow as tf

from tf_transforms.model.heads import HEADS, DirectHead, OutputHead, attend
from tf_transforms.model.recurrences import teacher_forced_loop

PACKAGE = "tf_transforms"
_NEG_INF = -1e9


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

  ``y_i`` comes from the output head (``heads.py``): the paper's
  ``Dense([s_i, c_i])`` (``DirectHead``) or another registered head, which
  may read the source utterance (``source``, ``source_length``) and the
  attention weights.

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
    source: ``[batch, time, num_mel_bins]`` normalised log-mel and
    source_length: ``[batch]``: the source utterance, for heads that read it.
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
               head=None, **kwargs):
    super().__init__(**kwargs)
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
    # Made here, between the attention and the stop layer, and kept as
    # ``frame_layer``: the weight files' layout (model/keras_compat.py).
    self.frame_layer = self._make_head(head, num_mel_bins, reduction_factor, use_attention)
    self.stop_layer = keras.layers.Dense(1, name="stop")

  @staticmethod
  def _make_head(head, num_mel_bins, reduction_factor, use_attention) -> OutputHead:
    """``head``: an OutputHead, its serialised config, a function making one, or
    None (the paper's ``DirectHead``); checked against the decoder's sizes."""
    if head is None:
      head = DirectHead(num_mel_bins, reduction_factor)
    elif isinstance(head, dict):
      head = keras.saving.deserialize_keras_object(head)
    elif callable(head) and not isinstance(head, keras.layers.Layer):
      head = head()
    if not isinstance(head, OutputHead):
      raise ValueError(f"AttentionDecoder: head must be an OutputHead (one of {list(HEADS)}). "
                       f"Received {head!r}")
    if (head.num_mel_bins, head.reduction_factor) != (num_mel_bins, reduction_factor):
      raise ValueError(f"AttentionDecoder: the head emits {head.reduction_factor} frames of "
                       f"{head.num_mel_bins} bins per step; the decoder needs "
                       f"{reduction_factor} of {num_mel_bins}")
    if head.requires_attention and not use_attention:
      raise ValueError(f"AttentionDecoder: the {head.head_name!r} head reads the attended "
                       "source, so it needs use_attention=True")
    return head

  @property
  def head(self) -> OutputHead:
    return self.frame_layer

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
    if not self.head.built:  # a deserialised head arrives built
      self.head.build((None, self.decoder_units + memory_dim))
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
    return attend(weights, memory), weights

  def _step(self, prenet_frame, context, conditioning, state, keys, memory, memory_mask):
    inputs = tf.concat([prenet_frame, context, conditioning], axis=-1)
    output, state = self.cell(inputs, state)
    if self.use_attention:
      context, weights = self._attend(output, keys, memory, memory_mask)
    else:
      weights = tf.zeros_like(memory_mask, dtype=output.dtype)
    return output, context, weights, state

  def _project(self, outputs, contexts, weights, prepared, step=None):
    """Frames [..., r * F] and stop logits [...] of one step (outputs [B, U],
    step its index) or of all steps (outputs [B, S, U], step None)."""
    features = tf.concat([outputs, contexts], axis=-1)
    stop_logits = tf.squeeze(self.stop_layer(features), -1)
    return self.head.project(features, weights, prepared, step), stop_logits

  # ------------------------------------------------------------------ call

  def call(self, memory, memory_mask, conditioning, targets=None, initial_state=None,
           num_steps=None, training=False, return_alignments=True, source=None,
           source_length=None):
    batch = tf.shape(memory)[0]
    dtype = memory.dtype
    memory_mask = tf.cast(memory_mask, tf.bool)
    memory_dim = memory.shape[-1] if self.use_attention else 0
    if conditioning.shape[-1] != self.conditioning_dim:
      raise ValueError(f"AttentionDecoder: conditioning must have width "
                       f"{self.conditioning_dim}. Received shape {conditioning.shape}")
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
                                  context, state, training, (source, source_length))
    return self._autoregressive(memory, memory_mask, keys, conditioning, context,
                                state, num_steps, training, return_alignments,
                                (source, source_length))

  def _teacher_forced(self, targets, memory, memory_mask, keys, conditioning,
                      context, state, training, source):
    r = self.reduction_factor
    batch = tf.shape(targets)[0]
    steps = targets.shape[1] // r if targets.shape[1] is not None else tf.shape(targets)[1] // r
    previous = targets[:, r - 1::r][:, :-1]                     # last frame of each step
    go = tf.zeros_like(targets[:, :1])
    decoder_inputs = self._prenet(tf.concat([go, previous], 1), training)  # [B, steps, P]
    # The cell's input product for the pre-net frames and the conditioning,
    # which do not depend on the recurrence, for all steps at once; the
    # kernel's rows are [pre-net | context | conditioning] (``_step``).
    kernel = tf.convert_to_tensor(self.cell.kernel)
    split = [decoder_inputs.shape[-1], context.shape[-1], self.conditioning_dim]
    prenet_kernel, context_kernel, conditioning_kernel = tf.split(kernel, split, axis=0)
    inputs = (tf.tensordot(tf.transpose(decoder_inputs, [1, 0, 2]), prenet_kernel, 1)
              + tf.matmul(conditioning, conditioning_kernel) + self.cell.bias)  # [steps, B, 4U]
    if self.use_attention:
      query_kernel = tf.convert_to_tensor(self.query_layer.kernel)
      score_kernel = tf.convert_to_tensor(self.score_layer.kernel)
    else:
      query_kernel = tf.zeros([self.decoder_units, 0], targets.dtype)
      score_kernel = tf.zeros([0, 1], targets.dtype)
    outputs, contexts, alignments = [
        tf.transpose(t, [1, 0, 2]) for t in teacher_forced_loop(       # [B, steps, ...]
            inputs, keys, memory, memory_mask, context_kernel,
            tf.convert_to_tensor(self.cell.recurrent_kernel),
            query_kernel, score_kernel, state[0], state[1], context)]
    prepared = self.head.prepare(*source, steps * r)
    frames, stop_logits = self._project(outputs, contexts, alignments, prepared)
    return {"frames": tf.reshape(frames, [batch, steps * r, self.num_mel_bins]),
            "stop_logits": stop_logits, "alignments": alignments}

  def _autoregressive(self, memory, memory_mask, keys, conditioning, context, state,
                      num_steps, training, return_alignments, source):
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
    prepared = self.head.prepare(*source, limit * r)

    def condition(i, previous, context, h, c, finished, *_):
      going = i < limit
      if not fixed_length:
        going = tf.logical_and(going, tf.logical_not(tf.reduce_all(finished)))
      return going

    def body(i, previous, context, h, c, finished, *arrays):
      output, context, weights, (h, c) = self._step(
          self._prenet(previous, training), context, conditioning, [h, c], keys,
          memory, memory_mask)
      frames, stop_logit = self._project(output, context, weights, prepared, i)  # [B, r*F], [B]
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
            "conditioning_dim": self.conditioning_dim,
            "head": keras.saving.serialize_keras_object(self.head)}
