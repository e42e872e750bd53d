"""Helpers shared by the benchmarks (no flags here)."""

import time

import keras
import tensorflow as tf

from tf_transforms.model import losses


def best_time(fn, repeats):
  """Shortest wall time of ``repeats`` calls of ``fn()`` (machines here are shared)."""
  return best_time_and_cpu(fn, repeats)[0]


def best_time_and_cpu(fn, repeats):
  """Shortest wall time of ``repeats`` calls of ``fn()``, and that call's CPU
  utilisation: this process's CPU seconds per wall second (2.0 = both of two
  cores busy throughout)."""
  best = (float("inf"), 0.0)
  for _ in range(repeats):
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    seconds = time.perf_counter() - start
    if seconds < best[0]:
      best = (seconds, (time.process_time() - cpu) / seconds)
  return best


def make_train_step(model, config, compile_mode):
  """One optimizer step of ``transform_loss`` on a batch: "eager", "graph" or "xla"."""
  optimizer = keras.optimizers.Adam(1e-3)

  def step(batch):
    with tf.GradientTape() as tape:
      outputs = model(batch, training=True)
      loss = losses.transform_loss(outputs, batch["target"], batch["target_length"],
                                   config.reduction_factor)["loss"]
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss

  if compile_mode == "eager":
    return step
  return tf.function(step, jit_compile=(compile_mode == "xla"))


def best_step_time(step, batch, repeats):
  """Best time of one training step, after a first call that traces / compiles,
  and its CPU utilisation (``best_time_and_cpu``)."""
  float(step(batch))
  return best_time_and_cpu(lambda: float(step(batch)), repeats)
