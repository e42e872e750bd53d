r"""Input pipeline throughput against the training step's consumption, one run.

Prints pairs per second delivered by ``pipeline.pair_dataset`` (features
included) and pairs per second consumed by a training step of ``ours`` at
the default preset on the same batches, and their ratio. Goal: >= 10x, so
training is never input-bound on 2 cores.

Usage:
  python bench/pipeline.py [--dataset=gm_notes] [--config=default] [--batch_size=32]
"""

import dataclasses
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

from bench.common import best_step_time, make_train_step  # noqa: E402
from tf_transforms.core.configs import PRESETS, AudioConfig  # noqa: E402
from tf_transforms.data import pipeline
from tf_transforms.model import transform_model  # noqa: E402

flags.DEFINE_string("dataset", "gm_notes", "Dataset name (tf_transforms.datasets.DATASETS).")
flags.DEFINE_string("config", None, "Builder config; default the dataset's.")
flags.DEFINE_string("data_dir", None, "TFDS data dir; default a temporary one.")
flags.DEFINE_integer("batch_size", 32, "Batch size.")
flags.DEFINE_integer("batches", 30, "Batches timed for the pipeline.")
flags.DEFINE_integer("steps", 5, "Training steps timed.")
FLAGS = flags.FLAGS


def pipeline_rate(dataset, batches):
  iterator = iter(dataset)
  next(iterator)  # warm up: trace, fill the prefetch buffer
  start = time.perf_counter()
  pairs = 0
  for _ in range(batches):
    pairs += int(next(iterator)["source"].shape[0])
  return pairs / (time.perf_counter() - start)


def training_rate(index, batch):
  config = dataclasses.replace(PRESETS["default"].model, num_styles=len(index.vocabulary))
  step = make_train_step(transform_model.build_model(config, AudioConfig()), config, "graph")
  return int(batch["source"].shape[0]) / best_step_time(step, batch, FLAGS.steps)[0]


def main(argv):
  del argv
  data_dir = FLAGS.data_dir or tempfile.mkdtemp(prefix="tfds-bench-")
  start = time.perf_counter()
  index = pipeline.load_index(FLAGS.dataset, data_dir=data_dir, config=FLAGS.config)
  print(f"{FLAGS.dataset}: {len(index.content)} examples, {len(index.vocabulary)} styles, "
        f"prepared + indexed in {time.perf_counter() - start:.1f} s; batch {FLAGS.batch_size}, "
        f"{os.cpu_count()} CPU cores\n")
  print("| pipeline | pairs/s | training step consumes pairs/s | ratio |")
  print("| --- | ---: | ---: | ---: |")
  consumed = None
  for label, cache in [("features computed per pair (tf.signal in tf.data)", False),
                       ("features cached per example", True)]:
    dataset = pipeline.pair_dataset(index, "train", FLAGS.batch_size, epochs=None, shuffle=True,
                                drop_remainder=True, cache_features=cache,
                                audio_config=AudioConfig())
    delivered = pipeline_rate(dataset, FLAGS.batches)
    if consumed is None:
      consumed = training_rate(index, next(iter(dataset)))
    print(f"| {label} | {delivered:.0f} | {consumed:.0f} | {delivered / consumed:.1f}x |")


if __name__ == "__main__":
  app.run(main)
