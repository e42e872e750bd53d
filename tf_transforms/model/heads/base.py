"""The output-head contract and its registry.

A head turns the decoder's features into spectrogram frames. It is a small
serialisable layer with two methods, which the decoder calls without knowing
which head it has:

* ``prepare(source, source_length, num_frames)``: once per decoder call,
  whatever the head reads of the source utterance (a dict of tensors);
* ``project(features, weights, prepared, step=None)``: decoder features
  ``[s_i, c_i]`` (and the attention weights of the same steps) to ``r``
  frames per step.

A new head is one class registered with ``@register_head("name")``; ``HEADS``
is the registry that the flags and ``make_head`` read. Each head owns its
projection's kernel and bias directly (not through a nested Dense), created
in that order, as a Dense layer's: weight files store them by position.
"""

import dataclasses

import keras
import tensorflow as tf

from tf_transforms.core import defaults
from tf_transforms.core.configs import AudioConfig

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
  """Raises ValueError if the head ``config`` (a ``ModelConfig``) names
  (``defaults.output_head``) cannot serve it: an unknown name, or settings
  the head refuses."""
  name = defaults.output_head(config)
  if name not in HEADS:
    raise ValueError(f"ModelConfig: output_head must be one of {('auto', *HEADS)}. "
                     f"Received output_head={config.output_head!r}")
  HEADS[name].check(config)


def make_head(config, audio_config=None) -> "OutputHead":
  """The head ``config`` (a ModelConfig) names, built for its sizes.

  ``audio_config`` (the run's ``AudioConfig``) is required by the heads that
  build constants through the front-end (``needs_audio_config``) and ignored
  by the others.
  """
  check_head(config)
  # A fixed layer name (Keras would number a second instance in one process),
  # so variable paths match between a model built here and one loaded from a
  # file (training's --init_from matches weights by path).
  name = defaults.output_head(config)
  if not HEADS[name].needs_audio_config:
    return HEADS[name].from_model_config(config, name=f"{name}_head")
  if audio_config is None:
    raise ValueError(f"make_head: the {name!r} head builds its constants through the run's "
                     "front-end; pass audio_config (the run's AudioConfig)")
  return HEADS[name].from_model_config(config, audio_config=audio_config,
                                       name=f"{name}_head")


def run_audio_config(head, audio_config, num_mel_bins) -> AudioConfig:
  """``audio_config`` (an AudioConfig or its stored dict) checked for a head
  named ``head`` that emits ``num_mel_bins`` bands."""
  if isinstance(audio_config, dict):
    audio_config = AudioConfig(**audio_config)
  if not isinstance(audio_config, AudioConfig):
    raise ValueError(f"{head}: audio_config must be the run's AudioConfig. "
                     f"Received {audio_config!r}")
  if audio_config.num_mel_bins != num_mel_bins:
    raise ValueError(f"{head}: audio_config.num_mel_bins={audio_config.num_mel_bins} "
                     f"differs from num_mel_bins={num_mel_bins}")
  return audio_config


def stored_audio_config(audio_config) -> dict:
  """What a head's ``get_config`` stores of its ``AudioConfig``."""
  return dataclasses.asdict(audio_config)


def attend(weights, values):
  """``values`` [B, T, F] averaged by attention ``weights``: [B, S, T] (all
  steps) gives [B, S, F], [B, T] (one step) gives [B, F].

  MatMul and a broadcast sum rather than einsum, whose MKL kernel is slow in
  the gradient (docs/design.md, "Training-step speed")."""
  weights = tf.convert_to_tensor(weights)
  if weights.shape.rank == 3:
    return tf.matmul(weights, values)
  return tf.reduce_sum(tf.expand_dims(weights, -1) * values, axis=1)


class OutputHead(keras.layers.Layer):
  """Base class: a dense projection ``[..., features] -> [..., projection_size]``.

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
    self.kernel = self.add_weight(shape=(features_shape[-1], self.projection_size),
                                  initializer=self.kernel_initializer, name="kernel")
    self.bias = self.add_weight(shape=(self.projection_size,), initializer="zeros",
                                name="bias")

  def linear(self, features):
    """The projection ``[..., U + D] -> [..., projection_size]``: tensordot
    (one MatMul), not einsum, whose MKL gradient kernel is slow."""
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
