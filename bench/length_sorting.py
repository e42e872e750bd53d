r"""Training speed on words with batches of similar length against random batches.

A step's recurrent loops run to the longest pair of its batch (the encoder over
the longest source, the decoder over the longest target), so a random batch of
variable-length words pays for padding. ``--sort_window`` (``TrainingConfig``)
sorts windows of that many batches by length before batching
(``pipeline.sorted_in_windows``). Both streams are measured in the same run, on
the same model and weights, through Keras ``fit`` as train.py runs it
(its callbacks aside), in alternating rounds; the best round of each is kept.

Prints the padded frames per batch (the longer side of the longest pair,
the mean over the measured batches), the valid frames' share of them, the
seconds per step and the speed-up.

Usage:
  python bench/length_sorting.py [--dataset=tts_words] [--steps=25] [--rounds=3]
"""

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dataclasses  # noqa: E402

from absl import app, flags  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_transforms.data import pipeline
from tf_transforms.model import transform_model
from tf_transforms.training import optimizer
from tf_transforms.training import run as runs  # noqa: E402

flags.DEFINE_string("dataset", "tts_words", "A prepared dataset with variable lengths.")
flags.DEFINE_integer("steps", 25, "Training steps per timed round.")
flags.DEFINE_integer("rounds", 3, "Timed rounds per stream (alternating); the best is kept.")
flags.DEFINE_integer("sort_window", 32, "Batches per sorted window for the sorted stream.")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  run = runs.make_run_config(dataset=FLAGS.dataset)
  index = pipeline.load_index(FLAGS.dataset)
  config = dataclasses.replace(run.model, num_styles=len(index.vocabulary))
  batch_size = run.training.batch_size
  keras.utils.set_random_seed(0)
  model = transform_model.build_model(config, run.audio)
  model.compile(optimizer=optimizer.make_optimizer(run.training, 500),
                guided_attention=run.training.guided_attention,
                guided_attention_sigma=run.training.guided_attention_sigma,
                frame_loss=run.training.frame_loss)
  streams = {}
  for window in (0, FLAGS.sort_window):
    dataset = pipeline.pair_dataset(index, "train", batch_size, seed=0, epochs=None, shuffle=True,
                                drop_remainder=True, cache_features=True, sort_window=window,
                                audio_config=run.audio)
    batches = list(dataset.take(FLAGS.steps * FLAGS.rounds))
    longest = [max(int(b["source_length"].numpy().max()), int(b["target_length"].numpy().max()))
               for b in batches]
    valid = [float(np.maximum(b["source_length"].numpy(), b["target_length"].numpy()).mean())
             for b in batches]
    streams[window] = (batches, float(np.mean(longest)), float(np.mean(valid) / np.mean(longest)))
  spec = dataset.element_spec

  def fit(batches):  # the batches taken above, replayed: no data loading in the timing
    replay = tf.data.Dataset.from_generator(lambda: iter(batches), output_signature=spec)
    start = time.perf_counter()
    model.fit(replay, steps_per_epoch=len(batches), epochs=1, verbose=0)
    return (time.perf_counter() - start) / len(batches)

  for batches, _, _ in streams.values():  # traces (several length signatures) and warms up
    fit(batches[:FLAGS.steps])
  best = {window: float("inf") for window in streams}
  for r in range(FLAGS.rounds):
    for window, (batches, _, _) in streams.items():
      best[window] = min(best[window], fit(batches[r * FLAGS.steps:(r + 1) * FLAGS.steps]))

  print(f"{FLAGS.dataset}, batch {batch_size}, best of {FLAGS.rounds} rounds of {FLAGS.steps} "
        "steps (Keras fit)")
  print("| batches | padded frames per pair | valid share | s/step | speed-up |")
  print("| --- | ---: | ---: | ---: | ---: |")
  for window, (_, longest, share) in streams.items():
    name = "random (--sort_window=0)" if not window else f"sorted (--sort_window={window})"
    print(f"| {name} | {longest:.1f} | {share:.0%} | {best[window]:.3f} | "
          f"{best[0] / best[window]:.2f}x |")


if __name__ == "__main__":
  app.run(main)
