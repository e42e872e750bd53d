"""The four methods of Table 2 as one Keras model built from a ModelConfig.

Inputs are dicts of tensors (the data pipeline's batches):

  source          float32 [batch, src_time, num_mel_bins]  normalised log-mel
  source_length   int32   [batch]                          valid source frames
  source_style    int32   [batch]                          style id of the input
  target_style    int32   [batch]                          requested style id
  target          float32 [batch, tgt_time, num_mel_bins]  (training only)
  target_length   int32   [batch]                          (training only)

``model(inputs)`` runs the teacher-forced decoder (training, loss);
``model.generate(...)`` runs autoregressive inference.
"""

import dataclasses

import keras
import tensorflow as tf

from tf_transforms.configs import ModelConfig
from tf_transforms.layers import (AttentionDecoder, ConvFrontEnd, PyramidalLSTM,
                                  StyleConditioning)

PACKAGE = "tf_transforms"


def _pad_to_multiple(frames, multiple):
  """Zero-pads [batch, time, F] along time to a multiple."""
  extra = -tf.shape(frames)[1] % multiple
  return tf.pad(frames, [[0, 0], [0, extra], [0, 0]])


@keras.saving.register_keras_serializable(package=PACKAGE)
class AudioTransformModel(keras.Model):
  """Conditional sequence-to-sequence spectrogram transform (or a baseline).

  See ``ModelConfig`` for which components each method uses.
  """

  def __init__(self, config, **kwargs):
    super().__init__(**kwargs)
    if isinstance(config, dict):
      config = ModelConfig(**config)
    self.config = config
    if config.uses_pyramid:
      self.front_end = ConvFrontEnd(config.conv_filters, config.context_frames,
                                    name="conv_front_end")
      self.encoder = PyramidalLSTM(config.encoder_units, config.pyramid_layers,
                                   bidirectional=True, name="pyramidal_lstm")
    else:
      self.encoder = keras.layers.LSTM(config.encoder_units, return_sequences=True,
                                       return_state=True, name="encoder_lstm")
      self.bridge = keras.layers.Dense(2 * config.decoder_units, activation="tanh",
                                       name="bridge")
    if config.uses_conditioning:
      self.source_conditioning = StyleConditioning(config.num_styles,
                                                   name="source_conditioning")
    self.decoder = AttentionDecoder(
        config.num_mel_bins, config.decoder_units, config.attention_units,
        config.prenet_units, config.prenet_dropout, config.reduction_factor,
        use_attention=config.uses_attention, max_decoder_steps=config.max_decoder_steps,
        conditioning_dim=config.num_styles if config.uses_conditioning else 0,
        name="decoder")

  # ---------------------------------------------------------------- pieces

  def encode(self, source, source_length, source_style, training=False):
    """Returns memory [B, T_enc, D], its mask [B, T_enc], decoder initial state."""
    source = tf.convert_to_tensor(source, tf.float32)
    mask = tf.sequence_mask(source_length, tf.shape(source)[1])
    if self.config.uses_pyramid:
      features, mask = self.front_end(source, mask)
      if self.config.uses_conditioning:
        features = self.source_conditioning(features, source_style)
      memory, mask = self.encoder(features, mask, training=training)
      return memory, mask, None
    features = source
    if self.config.uses_conditioning:
      features = self.source_conditioning(features, source_style)
    memory, h, c = self.encoder(features, mask=mask, training=training)
    h, c = tf.split(self.bridge(tf.concat([h, c], -1)), 2, axis=-1)
    return memory, mask, [h, c]

  def _target_conditioning(self, target_style, batch):
    if self.config.uses_conditioning:
      return tf.one_hot(tf.cast(target_style, tf.int32), self.config.num_styles)
    return tf.zeros([batch, 0])

  # ---------------------------------------------------------------- call

  def call(self, inputs, training=False):
    """Teacher-forced forward pass; targets padded to a multiple of r."""
    memory, mask, state = self.encode(inputs["source"], inputs["source_length"],
                                      inputs["source_style"], training)
    target = _pad_to_multiple(tf.convert_to_tensor(inputs["target"], tf.float32),
                              self.config.reduction_factor)
    conditioning = self._target_conditioning(inputs["target_style"], tf.shape(target)[0])
    return self.decoder(memory, mask, conditioning, targets=target, initial_state=state,
                        training=training)

  def generate(self, source, source_length, source_style, target_style, num_frames=None):
    """Autoregressive inference.

    Args:
      num_frames: run until this many frames (rounded up to a multiple of r)
        instead of the stop token, e.g. for fixed-length notes.

    Returns:
      dict of ``frames`` [B, T, F], ``lengths`` [B] (frames up to and
      including the step whose stop probability first exceeds 0.5, or all),
      ``stop_logits``, ``alignments``.
    """
    memory, mask, state = self.encode(source, source_length, source_style)
    conditioning = self._target_conditioning(target_style, tf.shape(memory)[0])
    r = self.config.reduction_factor
    num_steps = None if num_frames is None else (num_frames + r - 1) // r
    outputs = self.decoder(memory, mask, conditioning, initial_state=state,
                           num_steps=num_steps)
    stopped = tf.cast(outputs["stop_logits"] > 0.0, tf.int32)        # [B, steps]
    steps = tf.shape(stopped)[1]
    first_stop = tf.where(tf.reduce_any(stopped > 0, axis=1),
                          tf.argmax(stopped, axis=1, output_type=tf.int32) + 1, steps)
    if num_frames is not None:
      first_stop = tf.fill(tf.shape(first_stop), steps)
      outputs["frames"] = outputs["frames"][:, :num_frames]
    lengths = first_stop * r if num_frames is None else tf.fill(tf.shape(first_stop), num_frames)
    return {**outputs, "lengths": lengths}

  # ---------------------------------------------------------------- loss

  def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
    del y, sample_weight, training
    losses = transform_loss(y_pred, x["target"], x["target_length"],
                            self.config.reduction_factor)
    return losses["loss"]

  def get_config(self):
    return {**super().get_config(), "config": dataclasses.asdict(self.config)}

  @classmethod
  def from_config(cls, config):
    return cls(**config)


def transform_loss(outputs, target, target_length, reduction_factor):
  """Masked spectrogram MSE + stop-token BCE.

  Args:
    outputs: the model's teacher-forced outputs (``frames`` [B, T', F] with
      T' = T rounded up to a multiple of r, ``stop_logits`` [B, T'/r]).
    target: [B, T, F]; target_length: [B] valid frames.

  Returns:
    dict of scalar ``loss`` (= ``frame_loss`` + ``stop_loss``),
    ``frame_loss`` (MSE over valid frames and bins), ``stop_loss`` (BCE over
    the steps up to and including the one holding the last valid frame,
    whose label is 1).
  """
  r = reduction_factor
  target = _pad_to_multiple(tf.convert_to_tensor(target, tf.float32), r)
  frames = outputs["frames"]
  time = tf.shape(target)[1]
  frame_mask = tf.cast(tf.sequence_mask(target_length, time), tf.float32)  # [B, T]
  squared = tf.reduce_mean(tf.square(frames - target), axis=-1)           # [B, T]
  frame_loss = tf.reduce_sum(squared * frame_mask) / tf.maximum(tf.reduce_sum(frame_mask), 1.0)
  steps = time // r
  last_step = (tf.cast(target_length, tf.int32) + r - 1) // r                # [B]
  step_index = tf.range(steps)[tf.newaxis, :]
  stop_labels = tf.cast(step_index >= last_step[:, tf.newaxis] - 1, tf.float32)
  step_mask = tf.cast(step_index < last_step[:, tf.newaxis], tf.float32)
  bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=stop_labels,
                                                logits=outputs["stop_logits"])
  stop_loss = tf.reduce_sum(bce * step_mask) / tf.maximum(tf.reduce_sum(step_mask), 1.0)
  return {"loss": frame_loss + stop_loss, "frame_loss": frame_loss, "stop_loss": stop_loss}


def build_model(config: ModelConfig) -> AudioTransformModel:
  """Builds (and creates the weights of) the model for ``config``."""
  model = AudioTransformModel(config, name=f"{config.method}_transform")
  batch, time = 2, 4 * max(1, config.time_reduction)
  dummy = {
      "source": tf.zeros([batch, time, config.num_mel_bins]),
      "source_length": tf.fill([batch], time),
      "source_style": tf.zeros([batch], tf.int32),
      "target_style": tf.zeros([batch], tf.int32),
      "target": tf.zeros([batch, 2 * config.reduction_factor, config.num_mel_bins]),
      "target_length": tf.fill([batch], 2 * config.reduction_factor),
  }
  model(dummy)
  return model


def learning_rate_schedule(training, steps_per_epoch: int):
  """learning_rate x decay_per_epoch after every epoch (a staircase)."""
  if steps_per_epoch < 1:
    raise ValueError(f"steps_per_epoch must be >= 1. Received {steps_per_epoch}")
  return keras.optimizers.schedules.ExponentialDecay(
      training.learning_rate, decay_steps=steps_per_epoch,
      decay_rate=training.decay_per_epoch, staircase=True)


def make_optimizer(training, steps_per_epoch: int) -> keras.optimizers.Adam:
  """The paper's Adam(beta_1, beta_2, epsilon) on ``learning_rate_schedule``."""
  schedule = learning_rate_schedule(training, steps_per_epoch)
  return keras.optimizers.Adam(schedule, beta_1=training.beta_1,
                               beta_2=training.beta_2, epsilon=training.epsilon)
