"""Training: resumable Keras fit, summaries, distribution.

A run's directory layout, configuration, lock and loading live in ``run.py`` (this folder).

Resuming: Keras ``fit`` runs in *chunks* of ``checkpoint_every`` steps (what
its progress bar calls epochs); BackupAndRestore saves weights, optimizer
state (hence the learning-rate schedule's position) and the chunk number at
the end of each chunk. Rerunning the same command restores them and restarts
the deterministic pair stream at exactly the next step
(``pipeline.pair_dataset(start_batch=...)``). A killed run loses at most the
steps since its last checkpoint; a completed run reruns as a no-op.

The learning rate decays by ``decay_per_epoch`` after every *data* epoch (a
pass over the recordings' training pairs; training-only variants such as
gm_notes' detuned notes are drawn besides, without slowing it), as the paper,
independent of the chunks.
"""

import dataclasses
import json
import math
import os
import time

import keras
import numpy as np
import tensorflow as tf

from tf_transforms.core.configs import STRATEGIES, AudioConfig
from tf_transforms.core.errors import DivergedError
from tf_transforms.core.files import atomic_output, write_text
from tf_transforms.data import pipeline
from tf_transforms.model import transform_model
from tf_transforms.model.heads import comb_chooser
from tf_transforms.training import calibration, optimizer
from tf_transforms.training.run import RunConfig, check_model_dir, load_keras_file, worker_dir
from tf_transforms.training.run_files import (LOCK_FILE, check_writable_directory,
                                              model_dir_lock, removed_if_left_empty,
                                              resolve_init_from)


def make_strategy(name: str) -> tf.distribute.Strategy:
  """The tf.distribute strategy for --strategy (multi_worker reads TF_CONFIG)."""
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "multi_worker":
    return tf.distribute.MultiWorkerMirroredStrategy()
  raise ValueError(f"unknown strategy {name!r}; choose one of {STRATEGIES}")


class BackupAndRestoreWithRng(keras.callbacks.BackupAndRestore):
  """BackupAndRestore that also keeps the random-number state.

  Keras saves weights and optimizer state but not the seed generators behind
  dropout, so a resumed run would draw other dropout masks than an
  uninterrupted one. Their states are written next to the weights at every
  checkpoint and restored with them.

  The state is written *before* the weights and training_metadata.json (which
  marks a checkpoint complete), into a file named by the checkpoint's chunk,
  and the file of the chunk Keras restores is the one loaded: a kill between
  the writes never pairs one step's weights with another step's (or no) RNG
  state. The previous chunk's file is kept for Keras' ``.bkp`` fallback.
  """

  LEGACY_FILE = "rng_state.json"  # runs saved before the states were keyed by chunk

  def _rng_path(self, chunk):
    return os.path.join(self.backup_dir, f"rng_state.{chunk}.json")

  def _rng_variables(self):
    return [v for v in self.model.variables if v.path.endswith("seed_generator_state")]

  def _save_model(self):
    chunk = self._current_epoch
    tf.io.gfile.makedirs(self.backup_dir)
    states = {v.path: np.asarray(v.numpy()).tolist() for v in self._rng_variables()}
    write_text(self._rng_path(chunk), json.dumps(states))
    super()._save_model()
    for old in range(max(0, chunk - 2), -1, -1):
      if not tf.io.gfile.exists(self._rng_path(old)):
        break
      tf.io.gfile.remove(self._rng_path(old))

  def _load_model(self):
    super()._load_model()
    chunk = getattr(self.model, "_initial_epoch", 0)
    path = self._rng_path(chunk)
    if not tf.io.gfile.exists(path):
      path = os.path.join(self.backup_dir, self.LEGACY_FILE)
    if chunk and tf.io.gfile.exists(path):
      with tf.io.gfile.GFile(path) as handle:
        states = json.load(handle)
      for variable in self._rng_variables():
        if variable.path in states:
          variable.assign(np.asarray(states[variable.path], variable.dtype))


class NaNGuard(keras.callbacks.Callback):
  """Stops training with an error at the first non-finite loss.

  Raising (rather than Keras' TerminateOnNaN, which ends the epoch normally)
  keeps BackupAndRestore from saving the NaN weights over the last good
  checkpoint.
  """

  def on_train_batch_end(self, batch, logs=None):
    loss = (logs or {}).get("loss")
    if loss is not None and not math.isfinite(float(loss)):
      step = int(self.model.optimizer.iterations.numpy())
      raise DivergedError(
          f"loss became {loss} at step {step}; training stopped. The last good checkpoint "
          "is kept: lower --learning_rate and rerun, or start a new --model_dir.")


class LearningRateLogger(keras.callbacks.Callback):
  """Adds the current learning rate to the logs (so TensorBoard plots it)."""

  def on_epoch_end(self, epoch, logs=None):
    if logs is not None:
      optimizer = self.model.optimizer
      logs["learning_rate"] = float(
          optimizer.learning_rate.numpy() if hasattr(optimizer.learning_rate, "numpy")
          else optimizer.learning_rate)


def spectrogram_image(features):
  """[T, F] normalised log-mel -> [1, F, T, 1] uint8 image, low frequencies at the bottom."""
  image = tf.clip_by_value((features + 1.0) / 2.0, 0.0, 1.0)
  image = tf.reverse(tf.transpose(image), axis=[0])
  return tf.cast(image * 255.0, tf.uint8)[tf.newaxis, :, :, tf.newaxis]


class SpectrogramSummary(keras.callbacks.Callback):
  """Every checkpoint chunk: input / target / prediction spectrograms of a
  fixed validation pair (autoregressive, target length) and the prediction
  vocoded by in-graph Griffin-Lim, to TensorBoard."""

  def __init__(self, pair, log_dir, audio_config: AudioConfig):
    super().__init__()
    self.pair = pair
    self.writer = tf.summary.create_file_writer(os.path.join(log_dir, "samples"))
    self.audio_config = audio_config

  def on_epoch_end(self, epoch, logs=None):
    pair = self.pair
    length = int(pair["target_length"][0])
    outputs = self.model.generate(pair["source"][:1], pair["source_length"][:1],
                                  pair["source_style"][:1], pair["target_style"][:1],
                                  num_frames=length)
    waveform = self.model.to_audio(outputs, self.audio_config)
    step = int(self.model.optimizer.iterations.numpy())
    with self.writer.as_default(step=step):
      for name, features in [("input", pair["source"][0, :int(pair["source_length"][0])]),
                             ("target", pair["target"][0, :length]),
                             ("prediction", outputs["frames"][0])]:
        tf.summary.image(f"spectrogram/{name}", spectrogram_image(features))
      peak = tf.maximum(tf.reduce_max(tf.abs(waveform)), 1e-6)
      tf.summary.audio("prediction", (waveform / peak)[:, :, tf.newaxis],
                       self.audio_config.sample_rate)
    self.writer.flush()


def validation_dataset(index: pipeline.Index, run: RunConfig, batch_size: int):
  """The batches every checkpoint's validation loss is measured on, and the
  first batch (``SpectrogramSummary``'s pair).

  One fixed set: the validation split's pairs as the seed first draws them,
  grouped by length like training (``run.training.sort_window``), held in
  memory after the first pass. Every checkpoint is measured on the same
  batches, and a validation costs its forward passes alone (docs/design.md,
  "Training"). Its cardinality is declared, so Keras knows where it ends.
  """
  valid = pipeline.pair_dataset(index, "valid", batch_size, seed=run.seed, epochs=1,
                            autoencoder=run.autoencoder, cache_features=True,
                            sort_window=run.training.sort_window, audio_config=run.audio)
  batches = math.ceil(pipeline.count_pairs(index, "valid", autoencoder=run.autoencoder) /
                      batch_size)
  valid = valid.apply(tf.data.experimental.assert_cardinality(batches))
  return valid.cache(), next(iter(valid))


def saved_steps(model_dir: str, run: RunConfig) -> int:
  """Optimizer steps the last checkpoint in ``model_dir`` holds (0: none):
  where rerunning the same command resumes."""
  return min(_read_chunk(os.path.join(model_dir, "backup")) * run.checkpoint_every, run.steps)


def _read_chunk(backup_dir):
  path = os.path.join(backup_dir, "training_metadata.json")
  if not tf.io.gfile.exists(path):
    return 0
  with tf.io.gfile.GFile(path) as handle:
    return int(json.load(handle)["epoch"])


def _layer_path(variable, model):
  """A variable's path inside its model: a model built in this process names
  its variables ``<model name>/layer/...``, one loaded from a file ``layer/...``."""
  prefix = model.name + "/"
  return variable.path[len(prefix):] if variable.path.startswith(prefix) else variable.path


def _initialise_from(model, path):
  """Copies weights of matching path (inside the model) and shape from another
  run's model.keras; the rest keep their fresh values."""
  source = load_keras_file(path, "--init_from")
  available = {_layer_path(v, source): v for v in source.weights}
  copied, skipped = 0, []
  for target_var in model.weights:
    match = available.get(_layer_path(target_var, model))
    if match is not None and tuple(match.shape) == tuple(target_var.shape):
      target_var.assign(match)
      copied += 1
    else:
      skipped.append(target_var.path)
  if copied == 0:
    raise ValueError(f"--init_from {path}: no weight matches this model's architecture")
  print(f"initialised {copied} weights from {path}; kept fresh: {skipped or 'none'}")


def train(run: RunConfig, model_dir: str, data_dir=None, manual_dir=None, verbose="auto",
          deterministic=True):
  """Trains (or resumes) the run in ``model_dir``; returns the Keras model.

  The chief process holds ``model_dir_lock`` for the whole run; a start that
  fails before saving anything leaves ``model_dir`` as it was.

  Process-wide effects, stated here because they outlive the call: Python's,
  NumPy's and Keras' global random generators are seeded with ``run.seed``
  (``keras.utils.set_random_seed``: weights and dropout depend on it), and
  with ``deterministic`` TensorFlow's op determinism is switched on
  (``tf.config.experimental.enable_op_determinism``; it cannot be switched
  off again) -- how the same seed gives the same weights and a resumed run
  equals an uninterrupted one. ``deterministic=False`` trades that for speed
  on GPUs.

  Raises:
    RunError: the model_dir is in use or holds another run, or --init_from is
      missing -- before any work is done.
  """
  if run.init_from:
    resolve_init_from(run.init_from)  # (refused before any work)
  check_writable_directory(model_dir, "--model_dir")
  strategy = make_strategy(run.strategy)
  own_dir = worker_dir(strategy, model_dir)
  if own_dir != model_dir:  # a non-chief worker: the chief holds the lock
    return _train(run, model_dir, strategy, own_dir, data_dir, manual_dir, verbose,
                  deterministic)
  # (a start that fails before writing anything but its lock leaves no trace)
  with removed_if_left_empty(model_dir, LOCK_FILE), model_dir_lock(model_dir):
    return _train(run, model_dir, strategy, own_dir, data_dir, manual_dir, verbose,
                  deterministic)


def _train(run, model_dir, strategy, own_dir, data_dir, manual_dir, verbose, deterministic):
  if deterministic:
    tf.config.experimental.enable_op_determinism()
  index = pipeline.load_index(run.dataset, data_dir=data_dir, manual_dir=manual_dir,
                          config=run.dataset_config, soundfont=run.soundfont)
  model_config = dataclasses.replace(run.model, num_styles=len(index.vocabulary))
  batch_size = run.training.batch_size
  pairs_per_epoch = pipeline.count_pairs(index, "train", autoencoder=run.autoencoder)
  # An epoch, for the step count and the learning rate's decay, is a pass over
  # the recordings: training-only variants (gm_notes' detuned notes) are more
  # draws in the same schedule, not a slower one.
  steps_per_epoch = max(1, pipeline.count_pairs(index, "train", autoencoder=run.autoencoder,
                                            variants=False) // batch_size)
  steps = run.steps or run.training.epochs * steps_per_epoch
  chunk = min(run.checkpoint_every, steps)
  chunks = math.ceil(steps / chunk)
  run = dataclasses.replace(run, model=model_config, steps=chunks * chunk)
  if own_dir == model_dir:  # the chief
    check_model_dir(model_dir, run)
    index.vocabulary.save(os.path.join(model_dir, "styles.json"))

  # Seeded here, after data preparation, which draws random numbers only when
  # it actually builds the dataset (the first run).
  keras.utils.set_random_seed(run.seed)
  with strategy.scope():
    model = transform_model.build_model(model_config, run.audio)
    model.compile(optimizer=optimizer.make_optimizer(run.training, steps_per_epoch),
                  guided_attention=run.training.guided_attention,
                  guided_attention_sigma=run.training.guided_attention_sigma,
                  frame_loss=run.training.frame_loss)
    model.optimizer.build(model.trainable_variables)
    if run.init_from and _read_chunk(os.path.join(own_dir, "backup")) == 0:
      _initialise_from(model, resolve_init_from(run.init_from))

  backup_dir = os.path.join(own_dir, "backup")
  start_chunk = _read_chunk(backup_dir)
  if run.model.comb_chooser == "learned" and start_chunk == 0:
    # (resumed runs restore it from the backup with the other weights)
    started = time.monotonic()
    fit = calibration.fit_comb_chooser(model.decoder.head.chooser, index, run.audio,
                                       seed=run.seed)
    print(f"comb chooser fitted on {fit['notes']} training notes in "
          f"{time.monotonic() - started:.0f} s; comb within "
          f"{comb_chooser.TOLERANCE_CENTS:g} cents of the pitch for {fit['learned']:.0%} "
          f"of the {fit['recordings']} recorded ones (template: {fit['template']:.0%})")
  dataset = pipeline.pair_dataset(index, "train", batch_size, seed=run.seed, epochs=None,
                              shuffle=True, autoencoder=run.autoencoder, drop_remainder=True,
                              cache_features=True, start_batch=start_chunk * chunk,
                              sort_window=run.training.sort_window, audio_config=run.audio,
                              unknown_source_share=run.training.unknown_source_share)
  if run.strategy == "multi_worker":
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA)
    dataset = dataset.with_options(options)
  valid, sample_pair = validation_dataset(index, run, batch_size)
  callbacks = [
      BackupAndRestoreWithRng(backup_dir, save_freq="epoch", delete_checkpoint=False,
                              double_checkpoint=True),
      NaNGuard(),
      LearningRateLogger(),
  ]
  if own_dir == model_dir:  # TensorBoard logs: the chief's (the workers' would repeat them)
    log_dir = os.path.join(model_dir, "logs")
    callbacks += [keras.callbacks.TensorBoard(log_dir=log_dir, update_freq="epoch"),
                  SpectrogramSummary(sample_pair, log_dir, run.audio)]
  variants = int(index.training_only.sum())
  print(f"{run.dataset}: {len(index.recordings)} examples"
        + (f" (+{variants} training-only variants)" if variants else "")
        + f", {len(index.vocabulary)} styles, {pairs_per_epoch} training pairs per pass; "
        f"global batch {batch_size} over "
        f"{strategy.num_replicas_in_sync} replica(s); {run.steps} steps "
        f"({run.steps / steps_per_epoch:.1f} epochs) in {chunks} checkpointed chunks of {chunk}"
        + (f"; resuming at step {start_chunk * chunk}" if start_chunk else ""))
  with strategy.scope():  # Keras 3 takes the strategy from the scope fit runs in
    model.fit(dataset, epochs=chunks, steps_per_epoch=chunk, validation_data=valid,
              callbacks=callbacks, verbose=verbose)
  started = time.monotonic()
  counts = calibration.calibrate_postfilter(model, index, run.audio,
                                            fixed_length=run.spec.fixed_length)
  if counts is not None:
    print(f"post-filter calibrated on {counts.sum()} training pairs "
          f"({counts.min()} to {counts.max()} per style) in {time.monotonic() - started:.0f} s")
  final = os.path.join(own_dir, "model.keras")
  with atomic_output(final) as temporary:
    model.save(temporary)
  print(f"trained model: {final}")
  return model
