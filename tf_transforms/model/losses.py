"""The training losses: the paper's spectrogram and stop-token loss, and guided attention."""

import tensorflow as tf

from tf_transforms.core.configs import FRAME_LOSSES


def pad_to_multiple(frames, multiple):
  """Zero-pads [batch, time, F] along time to a multiple."""
  extra = -tf.shape(frames)[1] % multiple
  return tf.pad(frames, [[0, 0], [0, extra], [0, 0]])


def check_frame_loss(kind, where):
  if kind not in FRAME_LOSSES:
    raise ValueError(f"{where}: frame_loss must be one of {FRAME_LOSSES}. Received {kind!r}")


def masked_error(prediction, target, mask, kind):
  """Squared ("mse") or absolute ("l1") error, averaged over valid frames
  (mask [B, T]) and feature bins."""
  difference = prediction - target
  error = tf.square(difference) if kind == "mse" else tf.abs(difference)
  per_frame = tf.reduce_mean(error, axis=-1)                                 # [B, T]
  return tf.reduce_sum(per_frame * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


def transform_loss(outputs, target, target_length, reduction_factor, target_linear=None,
                   frame_loss="mse"):
  """Masked spectrogram MSE (or L1) + stop-token BCE (+ post-net MSE or L1).

  Args:
    outputs: the model's teacher-forced outputs (``frames`` [B, T', F] with
      T' = T rounded up to a multiple of r, ``stop_logits`` [B, T'/r], and
      ``linear`` [B, T', L] for a post-net model).
    target: [B, T, F]; target_length: [B] valid frames.
    target_linear: [B, T, L]; required when ``outputs`` has ``linear``.

  Returns:
    dict of scalar ``loss`` (the sum of the others), ``frame_loss`` (MSE, or
    mean absolute error with ``frame_loss="l1"``, over valid frames and
    bins), ``stop_loss`` (BCE over the steps up to and including the one
    holding the last valid frame, whose label is 1) and, with a post-net,
    ``linear_loss``.
  """
  r = reduction_factor
  target = pad_to_multiple(tf.convert_to_tensor(target, tf.float32), r)
  time = tf.shape(target)[1]
  frame_mask = tf.cast(tf.sequence_mask(target_length, time), tf.float32)  # [B, T]
  check_frame_loss(frame_loss, "transform_loss")
  frame_error = masked_error(outputs["frames"], target, frame_mask, frame_loss)
  steps = time // r
  last_step = (tf.cast(target_length, tf.int32) + r - 1) // r                # [B]
  step_index = tf.range(steps)[tf.newaxis, :]
  stop_labels = tf.cast(step_index >= last_step[:, tf.newaxis] - 1, tf.float32)
  step_mask = tf.cast(step_index < last_step[:, tf.newaxis], tf.float32)
  bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=stop_labels,
                                                logits=outputs["stop_logits"])
  stop_loss = tf.reduce_sum(bce * step_mask) / tf.maximum(tf.reduce_sum(step_mask), 1.0)
  losses = {"loss": frame_error + stop_loss, "frame_loss": frame_error, "stop_loss": stop_loss}
  if "linear" in outputs:
    if target_linear is None:
      raise ValueError("transform_loss: the model has a post-net, so the batch needs "
                       "'target_linear' (normalised linear log-power)")
    target_linear = pad_to_multiple(tf.convert_to_tensor(target_linear, tf.float32), r)
    losses["linear_loss"] = masked_error(outputs["linear"], target_linear, frame_mask,
                                          frame_loss)
    losses["loss"] += losses["linear_loss"]
  return losses


def guided_attention_loss(alignments, memory_length, target_length, reduction_factor,
                          sigma=0.4):
  """Penalty on attention far from the diagonal (Tachibana et al. 2018, "guided
  attention"; ESPnet's ``GuidedAttentionLoss``).

  For decoder step n of N and encoder step t of T (each example's valid
  lengths), the weight a_nt costs ``1 - exp(-(t/T - n/N)^2 / (2 sigma^2))``;
  the loss is the mean cost over the valid (n, t) of the batch. A source and
  target saying the same thing at similar pace align near the diagonal, so
  the term teaches the attention to follow the source from the first steps
  instead of leaving the decoder to predict an average frame.

  Args:
    alignments: [B, S, T] attention weights of the teacher-forced decoder.
    memory_length: [B] valid encoder steps; target_length: [B] valid frames
      (N = ceil(target_length / reduction_factor) decoder steps).

  Returns:
    scalar: mean penalty (0 for attention on the diagonal, below 1).
  """
  alignments = tf.convert_to_tensor(alignments, tf.float32)
  steps = tf.cast((tf.cast(target_length, tf.int32) + reduction_factor - 1) //
                  reduction_factor, tf.float32)[:, None, None]                 # N [B, 1, 1]
  memory = tf.cast(memory_length, tf.float32)[:, None, None]                   # T [B, 1, 1]
  n = tf.range(tf.shape(alignments)[1], dtype=tf.float32)[None, :, None]
  t = tf.range(tf.shape(alignments)[2], dtype=tf.float32)[None, None, :]
  cost = 1.0 - tf.exp(-tf.square(t / memory - n / steps) / (2.0 * sigma ** 2))
  mask = tf.cast(tf.logical_and(n < steps, t < memory), tf.float32)
  return tf.reduce_sum(alignments * cost * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)
