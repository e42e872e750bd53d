r"""Training-step speed of `ours` against a straightforward reference.

Both are measured in the same run on the same batch:

* reference: the same architecture written the obvious way with plain Keras
  layers (Conv1D, Bidirectional LSTM, LSTMCell, Dense), the decoder as a
  step-by-step Python loop, executed eagerly under a GradientTape, no XLA;
* tf_transforms: ``AudioTransformModel`` + ``transform_loss`` in a
  ``tf.function`` train step (graph ``tf.while_loop`` decoder), with and
  without ``jit_compile``, and the same model trained by Keras ``fit`` as
  train.py does (without its callbacks);
* the same step as tf_transforms computed it until commit 4f9e1ed
  (``--previous``): einsum for the attention's context and the output
  projection, whose MKL kernels are slow in the gradient, and
  ``keras.layers.LSTM``, which multiplies the input inside the time loop.
  Same weights and values; the ratio against it is the speed issue's.
* the same step with the recurrences left to autodiff, as until version 0.6:
  the decoder's teacher-forced loop (``recurrences.teacher_forced_recurrence``)
  and the encoder's LSTMs (Keras' loop, as ``ProjectedLSTM`` runs in
  inference); the row under it has their hand-written gradients
  (``recurrences.teacher_forced_loop``, ``recurrences.lstm_sequence``).

Prints decoder frames per second (batch x target frames / step time, best of
--repeats), the CPU cores kept busy (process CPU seconds per wall second) and
the speed-up over the reference, for the default and paper presets.

Usage:
  python bench/train_step.py [--batch_size=16] [--frames=80] [--repeats=5]
"""

import contextlib
import dataclasses
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench.common import best_step_time, best_time_and_cpu, make_train_step  # noqa: E402
from tf_transforms.core.configs import PRESETS, AudioConfig  # noqa: E402
from tf_transforms.model import decoder, encoder, recurrences, transform_model  # noqa: E402
from tf_transforms.model.heads import base, envelope, harmonic, source_filter  # noqa: E402

flags.DEFINE_integer("batch_size", 16, "Batch size for both.")
flags.DEFINE_integer("frames", 80, "Source and target frames (a 1 s note = 81).")
flags.DEFINE_integer("repeats", 5, "Timed steps; the best is kept.")
flags.DEFINE_list("presets", ["default", "paper"], "Presets to measure.")
flags.DEFINE_bool("previous", True, "Also measure the step as computed until commit 4f9e1ed.")
FLAGS = flags.FLAGS


class ReferenceModel(keras.Model):
  """`ours` written plainly: Keras layers, a Python loop for the decoder."""

  def __init__(self, config):
    super().__init__()
    self.config = config
    self.conv = keras.layers.Conv1D(config.conv_filters, config.context_frames,
                                    strides=config.context_frames, activation="relu")
    self.rnns = [keras.layers.Bidirectional(keras.layers.LSTM(config.encoder_units,
                                                              return_sequences=True))
                 for _ in range(config.pyramid_layers + 1)]
    self.prenet = [keras.layers.Dense(config.prenet_units, activation="relu") for _ in range(2)]
    self.cell = keras.layers.LSTMCell(config.decoder_units)
    self.W = keras.layers.Dense(config.attention_units, use_bias=False)
    self.V = keras.layers.Dense(config.attention_units)
    self.w = keras.layers.Dense(1, use_bias=False)
    self.out = keras.layers.Dense(config.num_mel_bins * config.reduction_factor)
    self.stop = keras.layers.Dense(1)

  def call(self, batch):
    c = self.config
    size = tf.shape(batch["source"])[0]
    source_style = tf.one_hot(batch["source_style"], c.num_styles)
    target_style = tf.one_hot(batch["target_style"], c.num_styles)
    x = self.conv(batch["source"])
    x = tf.concat([x, tf.tile(source_style[:, None], [1, tf.shape(x)[1], 1])], -1)
    for j, rnn in enumerate(self.rnns):
      if j > 0:
        x = tf.reshape(x, [size, -1, 2 * x.shape[-1]])
      x = rnn(x)
    keys = self.V(x)
    state = [tf.zeros([size, c.decoder_units])] * 2
    context = tf.zeros([size, x.shape[-1]])
    previous = tf.zeros([size, c.num_mel_bins])
    frames, stops = [], []
    r = c.reduction_factor
    for i in range(batch["target"].shape[1] // r):
      p = previous
      for dense in self.prenet:
        p = dense(p)
      output, state = self.cell(tf.concat([p, context, target_style], -1), state)
      scores = self.w(tf.tanh(keys + self.W(output)[:, None]))[..., 0]
      weights = tf.nn.softmax(scores, -1)
      context = tf.einsum("bt,btd->bd", weights, x)
      features = tf.concat([output, context], -1)
      frames.append(self.out(features))
      stops.append(self.stop(features)[:, 0])
      previous = batch["target"][:, (i + 1) * r - 1]
    frames = tf.reshape(tf.stack(frames, 1), [size, -1, c.num_mel_bins])
    return {"frames": frames, "stop_logits": tf.stack(stops, 1)}


@contextlib.contextmanager
def previous_implementation():
  """Models built inside compute as until commit 4f9e1ed (module docstring)."""
  def attend(weights, values):
    equation = "bst,btf->bsf" if weights.shape.rank == 3 else "bt,btf->bf"
    return tf.einsum(equation, weights, values)

  def dense(self, features):
    return tf.einsum("...u,up->...p", features, self.kernel) + self.bias

  attending = (decoder, envelope, harmonic, source_filter)  # the modules that call attend
  saved = ([m.attend for m in attending], base.OutputHead.linear, encoder.ProjectedLSTM)
  try:
    with autodiff_recurrences():  # before ProjectedLSTM is swapped for Keras' LSTM
      for module in attending:
        module.attend = attend
      base.OutputHead.linear = dense
      encoder.ProjectedLSTM = keras.layers.LSTM
      yield
  finally:
    for module, kept in zip(attending, saved[0]):
      module.attend = kept
    base.OutputHead.linear, encoder.ProjectedLSTM = saved[1:]


@contextlib.contextmanager
def autodiff_recurrences():
  """Models built inside differentiate the decoder's and the encoder's loops by
  autodiff (the encoder's LSTMs train through their inference loop)."""
  saved = decoder.teacher_forced_loop, encoder.ProjectedLSTM.inner_loop

  def keras_loop(self, sequences, initial_state, mask, training=False):
    del training
    return saved[1](self, sequences, initial_state, mask, training=False)

  decoder.teacher_forced_loop = recurrences.teacher_forced_recurrence
  encoder.ProjectedLSTM.inner_loop = keras_loop
  try:
    yield
  finally:
    decoder.teacher_forced_loop, encoder.ProjectedLSTM.inner_loop = saved


def make_batch(config, batch_size, frames):
  rng = np.random.default_rng(0)
  return {
      "source": tf.constant(rng.standard_normal((batch_size, frames, 80)), tf.float32),
      "source_length": tf.fill([batch_size], frames),
      "source_style": tf.constant(rng.integers(0, config.num_styles, batch_size), tf.int32),
      "target_style": tf.constant(rng.integers(0, config.num_styles, batch_size), tf.int32),
      "target": tf.constant(rng.standard_normal((batch_size, frames, 80)), tf.float32),
      "target_length": tf.fill([batch_size], frames),
  }


def fit_step_time(config, batch):
  """Seconds per step of ``model.fit`` (train.py's loop, its callbacks aside) on
  the batch repeated, and its CPU utilisation: ``--repeats`` epochs of 5 steps
  after one that traces, the best epoch kept."""
  model = transform_model.build_model(config, AudioConfig())
  # jit_compile=False as in train.py, whose op determinism turns Keras'
  # "auto" XLA off (here "auto" would compile the step with XLA).
  model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
  data = tf.data.Dataset.from_tensors(batch).repeat()
  steps = 5
  model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)  # trace
  seconds, cpu = best_time_and_cpu(
      lambda: model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0), FLAGS.repeats)
  return seconds / steps, cpu


def main(argv):
  del argv
  print(f"batch {FLAGS.batch_size}, {FLAGS.frames} frames in and out, {os.cpu_count()} CPU "
        f"cores, TF {tf.__version__}, best of {FLAGS.repeats}\n")
  print("| preset | implementation | step (s) | decoder frames/s | CPU cores busy | vs reference "
        "| vs 4f9e1ed |")
  print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
  for preset in FLAGS.presets:
    config = dataclasses.replace(PRESETS[preset].model, num_styles=8, prenet_dropout=0.0)
    batch = make_batch(config, FLAGS.batch_size, FLAGS.frames)
    frames = FLAGS.batch_size * FLAGS.frames
    keras.utils.set_random_seed(0)
    reference = best_step_time(make_train_step(ReferenceModel(config), config, "eager"), batch,
                               FLAGS.repeats)
    rows = [("reference (plain Keras, Python loop, eager)", reference)]
    if FLAGS.previous:
      with previous_implementation():
        model = transform_model.build_model(config, AudioConfig())
        step = make_train_step(model, config, "graph")
        rows.append(("tf_transforms at 4f9e1ed (einsum, Keras LSTM), tf.function",
                     best_step_time(step, batch, FLAGS.repeats)))
    with autodiff_recurrences():
      model = transform_model.build_model(config, AudioConfig())
      rows.append(("tf_transforms, recurrences by autodiff (0.5), tf.function",
                   best_step_time(make_train_step(model, config, "graph"), batch, FLAGS.repeats)))
    for mode, label in [("graph", "tf_transforms, tf.function"),
                        ("xla", "tf_transforms, tf.function + XLA")]:
      model = transform_model.build_model(config, AudioConfig())
      rows.append((label, best_step_time(make_train_step(model, config, mode), batch, FLAGS.repeats)))
    rows.append(("tf_transforms, Keras fit (as train.py)", fit_step_time(config, batch)))
    previous = rows[1][1][0] if FLAGS.previous else float("nan")
    for label, (seconds, cpu) in rows:
      print(f"| {preset} | {label} | {seconds:.3f} | {frames / seconds:.0f} | {cpu:.2f} | "
            f"{reference[0] / seconds:.2f}x | {previous / seconds:.2f}x |")


if __name__ == "__main__":
  app.run(main)
