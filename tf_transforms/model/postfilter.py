"""Global-variance post-filter: the generated frames' spread over time, per style."""

import keras
import tensorflow as tf

from tf_transforms.signal.melspec import NORMALISED_FLOOR

PACKAGE = "tf_transforms"


@keras.saving.register_keras_serializable(package=PACKAGE)
class GlobalVariancePostFilter(keras.layers.Layer):
  """Restores, per requested style and mel band, the spread over time that a
  regression-trained decoder averages away (voice conversion's global-variance
  post-filter: Toda et al. 2007; sprocket's, the VCC 2018 baseline's).

  For each clip, with ``m`` its mean frame over its valid frames and ``s`` the
  requested style::

      y' = max(m + bias[s] + gain[s] * (y - m), floor)

  ``gain`` and ``bias`` ([num_styles, num_bins], non-trainable) are set after
  training by ``postfilter.calibrate`` from the model's own outputs on
  training pairs: ``gain`` the square root of the targets' mean variance over
  time over the outputs', ``bias`` the targets' mean frame minus the
  outputs'. As built they are 1 and 0: the identity (before the floor, which
  the heads apply already).

  Input shape: frames ``[batch, time, num_bins]`` (normalised log-mel),
  lengths ``[batch]`` (valid frames), styles ``[batch]`` (ids).
  Output shape: ``[batch, time, num_bins]``.
  """

  FLOOR = NORMALISED_FLOOR  # the heads' floor: the normalised log floor

  def __init__(self, num_styles, num_bins, **kwargs):
    super().__init__(**kwargs)
    self.num_styles = num_styles
    self.num_bins = num_bins

  def build(self, input_shape=None):
    del input_shape
    if self.built:
      return
    shape = (self.num_styles, self.num_bins)
    self.gain = self.add_weight(shape=shape, initializer="ones", trainable=False, name="gain")
    self.bias = self.add_weight(shape=shape, initializer="zeros", trainable=False, name="bias")
    self.built = True

  def call(self, frames, lengths, styles):
    frames = tf.convert_to_tensor(frames, tf.float32)
    valid = tf.sequence_mask(lengths, tf.shape(frames)[1], dtype=frames.dtype)[..., None]
    count = tf.maximum(tf.reduce_sum(valid, axis=1, keepdims=True), 1.0)
    mean = tf.reduce_sum(frames * valid, axis=1, keepdims=True) / count   # [B, 1, F]
    gain = tf.gather(self.gain, styles)[:, None]
    bias = tf.gather(self.bias, styles)[:, None]
    return tf.maximum(mean + bias + gain * (frames - mean), self.FLOOR)

  def get_config(self):
    return {**super().get_config(), "num_styles": self.num_styles, "num_bins": self.num_bins}
