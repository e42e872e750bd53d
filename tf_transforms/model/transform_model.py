"""The four methods of Table 2 as one Keras model built from a ModelConfig.

Inputs are dicts of tensors (the data pipeline's batches):

  source          float32 [batch, src_time, num_mel_bins]  normalised log-mel
  source_length   int32   [batch]                          valid source frames
  source_style    int32   [batch]                          style id of the input
  target_style    int32   [batch]                          requested style id
  target          float32 [batch, tgt_time, num_mel_bins]  (training only)
  target_length   int32   [batch]                          (training only)
  target_linear   float32 [batch, tgt_time, num_linear_bins] normalised
                  linear log-power (training only, linear_output="postnet")

``model(inputs)`` runs the teacher-forced decoder (training, loss);
``model.generate(...)`` runs autoregressive inference.
"""

import dataclasses

import keras
import tensorflow as tf

from tf_transforms.core import compat, defaults
from tf_transforms.core.configs import AudioConfig, ModelConfig
from tf_transforms.model import keras_compat, losses
from tf_transforms.model.decoder import AttentionDecoder
from tf_transforms.model.encoder import (ConvFrontEnd, ProjectedLSTM, PyramidalLSTM,
                                         StyleConditioning)
from tf_transforms.model.heads import make_head
from tf_transforms.model.postfilter import GlobalVariancePostFilter
from tf_transforms.model.postnet import LinearPostNet
from tf_transforms.signal import melspec, vocoding

PACKAGE = "tf_transforms"


@keras.saving.register_keras_serializable(package=PACKAGE)
class AudioTransformModel(keras.Model):
  """Conditional sequence-to-sequence spectrogram transform (or a baseline).

  See ``ModelConfig`` for which components each method uses.
  """

  def __init__(self, config, audio_config=None, **kwargs):
    """``config``: a ModelConfig (or its stored dict); ``audio_config``: the
    run's AudioConfig (or its dict), required by heads that render constants
    through the front-end (``harmonic_comb``), stored with the model."""
    super().__init__(**kwargs)
    if isinstance(config, dict):
      config = compat.model_config(config)
    if isinstance(audio_config, dict):
      audio_config = AudioConfig(**audio_config)
    config = defaults.resolve_model(config)  # every "auto" named: what get_config stores
    self.config = config
    self.audio_config = audio_config
    if config.uses_pyramid:
      self.front_end = ConvFrontEnd(config.conv_filters, config.context_frames,
                                    name="conv_front_end")
      self.encoder = PyramidalLSTM(config.encoder_units, config.pyramid_layers,
                                   bidirectional=True, name="pyramidal_lstm")
    else:
      self.encoder = ProjectedLSTM(config.encoder_units, return_sequences=True,
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
        head=lambda: make_head(config, audio_config), name="decoder")
    if config.linear_output == "postnet":
      self.postnet = LinearPostNet(config.num_linear_bins, config.postnet_filters,
                                   num_layers=config.postnet_layers, name="postnet")
    self.postfilter = None
    if config.postfilter == "global_variance":
      self.postfilter = GlobalVariancePostFilter(config.num_styles, config.num_mel_bins,
                                                 name="postfilter")
      self.postfilter.build()  # its weights exist before calibration and loading
    names = ["frame_loss", "stop_loss", "attention_loss"] + (
        ["linear_loss"] if config.linear_output == "postnet" else [])
    # Every tracker is made here (Keras adds no state to a built model);
    # ``metrics`` reports attention_loss only when compile turned it on.
    self.loss_trackers = {name: keras.metrics.Mean(name=name) for name in names}
    self.guided_attention, self.guided_attention_sigma = 0.0, 0.4
    self.frame_loss = "mse"

  def compile(self, *args, guided_attention=0.0, guided_attention_sigma=0.4, frame_loss="mse",
              **kwargs):
    """Keras' compile, plus the guided-attention term of the loss.

    Args:
      guided_attention: weight of ``guided_attention_loss`` (0: off, the paper's loss).
      guided_attention_sigma: its width (ESPnet's default, 0.4).
      frame_loss: the spectrogram loss of ``transform_loss``, "mse" (the
        paper's) or "l1".
    """
    if guided_attention < 0 or guided_attention_sigma <= 0:
      raise ValueError("compile: need guided_attention >= 0 and guided_attention_sigma > 0. "
                       f"Received {guided_attention}, {guided_attention_sigma}")
    losses.check_frame_loss(frame_loss, "compile")
    self.frame_loss = frame_loss
    if guided_attention and not self.config.uses_attention:
      raise ValueError(f"compile: guided_attention needs a method with attention; "
                       f"{self.config.method!r} has none")
    self.guided_attention = float(guided_attention)
    self.guided_attention_sigma = float(guided_attention_sigma)
    super().compile(*args, **kwargs)

  def get_compile_config(self):
    config = super().get_compile_config()
    if config and self.guided_attention:
      config = {**config, "guided_attention": self.guided_attention,
                "guided_attention_sigma": self.guided_attention_sigma}
    if config and self.frame_loss != "mse":
      config = {**config, "frame_loss": self.frame_loss}
    return config

  def compile_from_config(self, config):
    # Keras' own, which skips models whose compile() is overridden.
    self.compile(**keras.saving.deserialize_keras_object(config))
    if getattr(self, "optimizer", None) is not None and self.built:
      self.optimizer.build(self.trainable_variables)

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
    target = losses.pad_to_multiple(tf.convert_to_tensor(inputs["target"], tf.float32),
                              self.config.reduction_factor)
    conditioning = self._target_conditioning(inputs["target_style"], tf.shape(target)[0])
    outputs = self.decoder(memory, mask, conditioning, targets=target, initial_state=state,
                           training=training,
                           source=inputs["source"], source_length=inputs["source_length"])
    outputs["memory_length"] = tf.reduce_sum(tf.cast(mask, tf.int32), axis=-1)
    return self._add_linear(outputs, inputs["target_length"])

  def _add_linear(self, outputs, lengths):
    """Adds the post-net's ``linear`` [B, T, num_linear_bins] when configured."""
    if self.config.linear_output == "postnet":
      frames = outputs["frames"]
      outputs["linear"] = self.postnet(frames, tf.sequence_mask(lengths, tf.shape(frames)[1]))
    return outputs

  def generate(self, source, source_length, source_style, target_style, num_frames=None,
               return_alignments=True, postfilter=True):
    """Autoregressive inference.

    Args:
      num_frames: run until this many frames (rounded up to a multiple of r)
        instead of the stop token, e.g. for fixed-length notes.
      postfilter: apply the model's post-filter (``config.postfilter``) to
        the frames; False: the decoder's own (what calibration measures).

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
                           num_steps=num_steps, return_alignments=return_alignments,
                           source=source, source_length=source_length)
    stopped = tf.cast(outputs["stop_logits"] > 0.0, tf.int32)        # [B, steps]
    steps = tf.shape(stopped)[1]
    first_stop = tf.where(tf.reduce_any(stopped > 0, axis=1),
                          tf.argmax(stopped, axis=1, output_type=tf.int32) + 1, steps)
    if num_frames is not None:
      first_stop = tf.fill(tf.shape(first_stop), steps)
      outputs["frames"] = outputs["frames"][:, :num_frames]
    lengths = first_stop * r if num_frames is None else tf.fill(tf.shape(first_stop), num_frames)
    if postfilter and self.postfilter is not None:
      outputs["frames"] = self.postfilter(outputs["frames"], lengths, target_style)
    return self._add_linear({**outputs, "lengths": lengths}, lengths)

  def to_audio(self, outputs, audio_config: AudioConfig, iterations=None,
               seed=0, length=None, coarse_iterations=0, unroll=False):
    """Vocodes model outputs (normalised features) to waveforms [B, samples].

    Uses the post-net's linear spectrogram when the model has one, else the
    front-end's mel inverse on the predicted log-mel. Frames past each
    example's length are vocoded too; trim with ``lengths * frame_step``.
    ``length``: samples to return (default ``(frames - 1) * frame_step``).
    ``iterations``, ``coarse_iterations``, ``unroll``: see ``vocoding.griffin_lim``.
    """
    vocoder = dict(iterations=iterations, seed=seed, length=length,
                   coarse_iterations=coarse_iterations, unroll=unroll)
    if "linear" in outputs:
      log_power = melspec.denormalize_log_spectrogram(outputs["linear"], audio_config)
      return vocoding.log_linear_to_audio(log_power, audio_config, **vocoder)
    log_mel = melspec.denormalize_log_spectrogram(outputs["frames"], audio_config)
    return vocoding.log_mel_to_audio(log_mel, audio_config, **vocoder)

  # ---------------------------------------------------------------- loss

  def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
    del y, sample_weight, training
    terms = losses.transform_loss(y_pred, x["target"], x["target_length"],
                            self.config.reduction_factor, x.get("target_linear"),
                            frame_loss=self.frame_loss)
    if self.guided_attention:
      terms["attention_loss"] = losses.guided_attention_loss(
          y_pred["alignments"], y_pred["memory_length"], x["target_length"],
          self.config.reduction_factor, self.guided_attention_sigma)
      terms["loss"] += self.guided_attention * terms["attention_loss"]
    for name, tracker in self.loss_trackers.items():
      if name in terms:
        tracker.update_state(terms[name])
    return terms["loss"]

  @property
  def metrics(self):
    # Keras already lists the trackers it found among the attributes.
    base = super().metrics
    listed = base + [t for t in self.loss_trackers.values() if not any(t is m for m in base)]
    if self.guided_attention:
      return listed
    return [m for m in listed if m is not self.loss_trackers["attention_loss"]]

  def train_step(self, data):
    return self._reducible_logs(super().train_step(data))

  def test_step(self, data):
    return self._reducible_logs(super().test_step(data))

  def _reducible_logs(self, logs):
    return keras_compat.reducible_logs(self, logs)

  def _maybe_symbolic_build(self, iterator=None, data_batch=None):
    if not keras_compat.built_for_fit(self):  # (a multi-worker cluster cannot: keras_compat)
      super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

  def get_config(self):
    stored = {**super().get_config(), "config": dataclasses.asdict(self.config)}
    if self.audio_config is not None:
      stored["audio_config"] = dataclasses.asdict(self.audio_config)
    return stored

  @classmethod
  def from_config(cls, config):
    return cls(**config)


def build_model(config: ModelConfig, audio_config: AudioConfig | None = None
                ) -> AudioTransformModel:
  """Builds (and creates the weights of) the model for ``config``; a run's
  ``audio_config`` is required by the ``harmonic_comb`` head."""
  model = AudioTransformModel(config, audio_config, name=f"{config.method}_transform")
  batch, time = 2, 4 * max(1, config.time_reduction)
  dummy = {
      "source": tf.zeros([batch, time, config.num_mel_bins]),
      "source_length": tf.fill([batch], time),
      "source_style": tf.zeros([batch], tf.int32),
      "target_style": tf.zeros([batch], tf.int32),
      "target": tf.zeros([batch, 2 * config.reduction_factor, config.num_mel_bins]),
      "target_length": tf.fill([batch], 2 * config.reduction_factor),
  }
  if config.linear_output == "postnet":
    dummy["target_linear"] = tf.zeros([batch, 2 * config.reduction_factor,
                                       config.num_linear_bins])
  model(dummy)
  return model
