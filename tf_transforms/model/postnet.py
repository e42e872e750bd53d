"""Post-net: predicted log-mel frames -> linear log-power spectrogram."""

import keras
import tensorflow as tf

PACKAGE = "tf_transforms"


@keras.saving.register_keras_serializable(package=PACKAGE)
class LinearPostNet(keras.layers.Layer):
  """Maps (normalised) log-mel frames to (normalised) linear log-power.

  Tacotron's answer to "Griffin-Lim needs linear magnitude": a stack of
  ``num_layers`` 1-D convolutions (ReLU, kernel ``kernel_size``, 'same'
  padding, so each output frame sees its neighbours) and a per-frame dense
  projection to ``num_bins`` linear-frequency bins. Padded frames are zeroed
  before the convolutions so they cannot leak into valid frames.

  Input shape: ``[batch, time, num_mel_bins]`` and mask ``[batch, time]``.
  Output shape: ``[batch, time, num_bins]``.
  """

  def __init__(self, num_bins, filters=256, kernel_size=5, num_layers=3, **kwargs):
    super().__init__(**kwargs)
    self.num_bins = num_bins
    self.filters = filters
    self.kernel_size = kernel_size
    self.num_layers = num_layers
    self.convs = [keras.layers.Conv1D(filters, kernel_size, padding="same",
                                      activation="relu", name=f"conv_{k}")
                  for k in range(num_layers)]
    self.projection = keras.layers.Dense(num_bins, name="projection")

  def build(self, input_shape):
    width = input_shape[-1]
    for conv in self.convs:
      conv.build((None, None, width))
      width = self.filters
    self.projection.build((None, None, width))

  def call(self, frames, mask):
    keep = tf.expand_dims(tf.cast(mask, frames.dtype), -1)
    x = frames * keep
    for conv in self.convs:
      x = conv(x) * keep
    return self.projection(x)

  def get_config(self):
    return {**super().get_config(), "num_bins": self.num_bins, "filters": self.filters,
            "kernel_size": self.kernel_size, "num_layers": self.num_layers}
