"""Independent references for the output heads' tests: DCT curves by scipy,
and a head's projection with random weights."""

import numpy as np
import scipy.fft


def dct_curve(coefficients, bins):
  """K DCT coefficients -> the smooth curve over ``bins`` they describe (scipy)."""
  return scipy.fft.idct(np.pad(coefficients, (0, bins - len(coefficients))), norm="ortho")


def dct_smooth(v, k):
  """``v``'s smooth part: its first ``k`` DCT coefficients, back over its bins."""
  return dct_curve(scipy.fft.dct(v, norm="ortho")[:k], len(v))


def project_random(head, rng, frames, lengths, steps=4, feature_size=5):
  """``head``'s output for ``frames`` [B, T, F] (valid ``lengths``) with random
  decoder features, attention weights, kernel and bias (drawn from ``rng`` in
  that order). Returns ``(out [B, steps, r, F], features, weights, kernel, bias)``."""
  batch = len(frames)
  prepared = head.prepare(frames, lengths, num_frames=steps * head.reduction_factor)
  features = rng.standard_normal((batch, steps, feature_size)).astype(np.float32)
  weights = rng.dirichlet(np.ones(steps), size=(batch, steps)).astype(np.float32)
  head.build(features.shape)
  kernel = rng.standard_normal(head.kernel.shape).astype(np.float32)
  bias = rng.standard_normal(head.bias.shape).astype(np.float32)
  head.kernel.assign(kernel)
  head.bias.assign(bias)
  out = head.project(features, weights, prepared).numpy()
  return (out.reshape(batch, steps, head.reduction_factor, head.num_mel_bins),
          features, weights, kernel, bias)
