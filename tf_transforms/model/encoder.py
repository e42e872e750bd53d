"""Encoder layers: learned filterbank, style conditioning, pyramidal LSTM."""

import keras
import tensorflow as tf

from tf_transforms.model import keras_compat
from tf_transforms.model.recurrences import lstm_sequence, lstm_step

PACKAGE = "tf_transforms"


def _pad_time_to_multiple(x, mask, multiple):
  """Zero-pads the time axis of x [B, T, D] and mask [B, T] to a multiple."""
  extra = -tf.shape(x)[1] % multiple
  batch = x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]
  # Reshape (not set_shape) so graph converters also see the static sizes.
  padded = tf.reshape(tf.pad(x, [[0, 0], [0, extra], [0, 0]]), [batch, -1, x.shape[2]])
  mask = tf.pad(mask, [[0, 0], [0, extra]], constant_values=False)
  return padded, mask


@keras.saving.register_keras_serializable(package=PACKAGE)
class ProjectedLSTM(keras.layers.LSTM):
  """``keras.layers.LSTM`` with its input projection taken out of the loop.

  The same layer, weights and outputs (``tests/test_layers.py`` checks them
  against ``keras.layers.LSTM``, masked, both directions), computed another
  way: ``x W + b`` for every step in one matrix product before the time loop,
  so each step multiplies only the recurrent state (``h U``), and the kernel's
  gradient is one product instead of a sum over steps. On CPU, where Keras
  runs the cell step by step, that is most of the encoder's cost (the input is
  2-4x wider than the state in the pyramid's layers; docs/design.md,
  "Training-step speed"). In training the loop has a hand-written gradient
  (``recurrences.lstm_sequence``; unrolled or last-output-only layers train
  through Keras' loop); in inference it is Keras' loop around the same step.
  With dropout, activations other than Keras' defaults (tanh, sigmoid), or on
  a backend with a fused kernel (cuDNN), it is Keras' own layer.
  """

  def inner_loop(self, sequences, initial_state, mask, training=False):
    cell = self.cell
    if (cell.dropout or cell.recurrent_dropout or not cell.use_bias
        or cell.activation is not keras.activations.tanh
        or cell.recurrent_activation is not keras.activations.sigmoid
        or tf.config.list_logical_devices("GPU")):
      return super().inner_loop(sequences, initial_state, mask, training=training)
    if isinstance(mask, (list, tuple)):
      mask = mask[0]
    projected = tf.tensordot(sequences, cell.kernel, 1) + cell.bias  # [B, T, 4 units]
    recurrent_kernel = tf.convert_to_tensor(cell.recurrent_kernel)

    def step(inputs, states):
      hidden, carry = lstm_step(inputs, recurrent_kernel, *states)
      return hidden, [hidden, carry]

    # Inference: Keras' loop (TensorArrays, which TFLite lowers to builtins)
    # around the same step.
    if not training or self.unroll or not self.return_sequences:
      return keras_compat.rnn_loop(step, projected, list(initial_state), go_backwards=self.go_backwards,
                       mask=mask, unroll=self.unroll, input_length=projected.shape[1],
                       zero_output_for_mask=self.zero_output_for_mask,
                       return_all_outputs=self.return_sequences)
    # Training: the loop with the hand-written gradient (recurrences.py).
    projected = tf.transpose(projected, [1, 0, 2])                    # time-major
    if mask is not None:
      mask = tf.transpose(tf.cast(mask, tf.bool), [1, 0])
    if self.go_backwards:  # Keras returns the steps in the order processed
      projected = tf.reverse(projected, [0])
      mask = None if mask is None else tf.reverse(mask, [0])
    outputs, hidden, carry = lstm_sequence(projected, mask, recurrent_kernel, *initial_state,
                                           self.zero_output_for_mask)
    return outputs[-1], tf.transpose(outputs, [1, 0, 2]), [hidden, carry]


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConvFrontEnd(keras.layers.Layer):
  """Learned filterbank over spectrogram frames (paper sec. 2.1).

  A 1-D convolution whose kernel and stride are both ``context_frames``: each
  output step sees exactly ``context_frames`` input frames (12.5 ms each), so
  the stride *is* the acoustic context of Table 3 and shortens the sequence
  the recurrent layers must unroll. Time is zero-padded to a multiple of the
  stride; an output step is valid if its first input frame is.

  Input shape: frames ``[batch, time, features]``; mask ``[batch, time]`` bool.
  Output shape: ``[batch, ceil(time / context_frames), filters]`` and its mask
  ``[batch, ceil(time / context_frames)]``.
  """

  def __init__(self, filters, context_frames, **kwargs):
    super().__init__(**kwargs)
    if filters < 1 or context_frames < 1:
      raise ValueError("ConvFrontEnd: filters and context_frames must be >= 1. "
                       f"Received filters={filters}, context_frames={context_frames}")
    self.filters = filters
    self.context_frames = context_frames
    self.conv = keras.layers.Conv1D(filters, context_frames, strides=context_frames,
                                    padding="valid", activation="relu", name="filterbank")

  def build(self, input_shape):
    self.conv.build((None, None, input_shape[-1]))

  def call(self, frames, mask):
    frames = frames * tf.expand_dims(tf.cast(mask, frames.dtype), -1)
    frames, mask = _pad_time_to_multiple(frames, mask, self.context_frames)
    return self.conv(frames), mask[:, ::self.context_frames]

  def get_config(self):
    return {**super().get_config(), "filters": self.filters,
            "context_frames": self.context_frames}


@keras.saving.register_keras_serializable(package=PACKAGE)
class StyleConditioning(keras.layers.Layer):
  """Concatenates a one-hot style to every time step (paper sec. 2.1).

  Input shape: features ``[batch, time, channels]``, style ids ``[batch]`` int.
  Output shape: ``[batch, time, channels + num_styles]``.
  """

  def __init__(self, num_styles, **kwargs):
    super().__init__(**kwargs)
    self.num_styles = num_styles

  def call(self, features, style_ids):
    one_hot = tf.one_hot(tf.cast(style_ids, tf.int32), self.num_styles, dtype=features.dtype)
    tiled = tf.tile(tf.expand_dims(one_hot, 1), [1, tf.shape(features)[1], 1])
    return tf.concat([features, tiled], axis=-1)

  def get_config(self):
    return {**super().get_config(), "num_styles": self.num_styles}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PyramidalLSTM(keras.layers.Layer):
  """An LSTM followed by pyramidal LSTM layers, eq. (1) of the paper.

  Layer j > 0 reads the concatenation ``[h_{2i}^{j-1}, h_{2i+1}^{j-1}]`` of
  consecutive outputs of layer j-1, halving the time axis each time (LAS).
  Odd lengths: the time axis is zero-padded by one step before pairing, and
  a pair is valid if its first step is, so the last real step of an odd
  sequence is paired with zeros rather than dropped. Padded steps are zeroed
  before pairing and masked in every LSTM.

  Input shape: ``[batch, time, features]`` and mask ``[batch, time]``.
  Output shape: ``[batch, ceil(time / 2**pyramid_layers), units * directions]``
  and its mask.
  """

  def __init__(self, units, pyramid_layers, bidirectional=True, **kwargs):
    super().__init__(**kwargs)
    self.units = units
    self.pyramid_layers = pyramid_layers
    self.bidirectional = bidirectional
    self.rnns = []
    # Bidirectional re-creates both directions from the layer's serialised
    # config; while Keras loads a model, its object-sharing scope keys objects
    # by id(), so a freed template's id reused by the next one handed back an
    # earlier direction ("go_backwards" equal in both, about 1 build in 200).
    # Every template stays alive until all are wrapped (model/keras_compat.py).
    templates = []
    for j in range(pyramid_layers + 1):
      lstm = ProjectedLSTM(units, return_sequences=True, name=f"lstm_{j}")
      templates.append(lstm)
      if bidirectional:
        lstm = keras.layers.Bidirectional(lstm, name=f"blstm_{j}")
      self.rnns.append(lstm)

  def build(self, input_shape):
    width = input_shape[-1]
    for rnn in self.rnns:
      rnn.build((None, None, width))
      width = 2 * self.units * (2 if self.bidirectional else 1)

  def call(self, x, mask, training=False):
    for j, rnn in enumerate(self.rnns):
      if j > 0:
        x = x * tf.expand_dims(tf.cast(mask, x.dtype), -1)
        x, mask = _pad_time_to_multiple(x, mask, 2)
        batch, width = tf.shape(x)[0], x.shape[-1]
        x = tf.reshape(x, [batch, -1, 2 * width])  # [batch, time / 2, 2 * width]
        mask = mask[:, ::2]
      x = rnn(x, mask=mask, training=training)
    return x, mask

  def get_config(self):
    return {**super().get_config(), "units": self.units,
            "pyramid_layers": self.pyramid_layers, "bidirectional": self.bidirectional}
