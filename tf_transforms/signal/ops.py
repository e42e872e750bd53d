"""Graph helpers shared by the signal tier and the model's layers.

No project imports.
"""

import numpy as np
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
