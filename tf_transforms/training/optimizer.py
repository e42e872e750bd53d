"""The paper's optimiser: Adam with a learning rate decayed once per epoch."""

import keras


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
