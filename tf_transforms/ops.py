"""Graph helpers shared by the front-end (``audio.py``) and the layers.

No project imports: ``configs`` -> ``layers.heads`` -> here must not cycle.
"""

import tensorflow as tf


def runtime_constant(value, tensor):
  """``value`` plus a zero the graph derives from ``tensor``'s shape.

  TFLite's dynamic-range quantisation stores every large *constant* matmul
  operand as int8. That is right for a network's weights but not for the
  filter banks here: int8 mel filters put errors of 6 nats into quiet log-mel
  bands and make the mel inverse divide by zero. A constant that the
  converter cannot fold is left alone, for the price of one addition.
  """
  zero = tf.cast(tf.minimum(tf.size(tensor), 0), tf.float32)  # sizes are >= 0
  return tf.convert_to_tensor(value, tf.float32) + zero
