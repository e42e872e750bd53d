r"""The MCD's F0 estimator: DIO + StoneMask (used) vs Harvest (ESPnet1's), one run.

Scores copy-the-source on the first ``--pairs`` test pairs of a dataset (the
real source recording against the real target recording, so no model is
needed) with each estimator, and prints the mean MCD of each, the mean and
largest per-pair difference, and seconds of analysis per second of audio --
with the ratio Harvest / DIO measured in the same run.

Usage:
  python bench/mcd_f0.py --dataset=gm_notes --pairs=24
"""

import time

from absl import app, flags
import numpy as np

flags.DEFINE_string("dataset", "gm_notes", "Dataset (its test pairs).")
flags.DEFINE_string("dataset_config", None, "TFDS builder config.")
flags.DEFINE_string("data_dir", None, "TFDS data directory.")
flags.DEFINE_integer("pairs", 24, "Test pairs to score.")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  from tf_transforms.data import pipeline
  from tf_transforms.evaluation import metrics
  index = pipeline.load_index(FLAGS.dataset, data_dir=FLAGS.data_dir, config=FLAGS.dataset_config)
  pairs = pipeline.sample_pairs(index, "test", seed=0)[:FLAGS.pairs]
  rows = sorted({int(r) for pair in pairs for r in pair})
  seconds = sum(len(index.audio(r)) for r in rows) / 16000
  analyses, timing = {}, {}
  for method in ("dio", "harvest"):
    start = time.perf_counter()
    analyses[method] = {r: metrics.world_analysis(index.audio(r), 16000, method) for r in rows}
    timing[method] = (time.perf_counter() - start) / seconds
  mcd = {method: np.array([metrics.standard_mcd(analyses[method][t], analyses[method][s])
                           for s, t in pairs]) for method in analyses}
  difference = mcd["dio"] - mcd["harvest"]
  print(f"{FLAGS.dataset}: copy-the-source MCD on {len(pairs)} test pairs "
        f"({len(rows)} recordings, {seconds:.0f} s of audio)")
  print("| F0 estimator | MCD dB (mean) | s of analysis per s of audio |")
  print("| --- | ---: | ---: |")
  for method in ("dio", "harvest"):
    print(f"| {method} | {mcd[method].mean():.2f} | {timing[method]:.4f} |")
  print(f"per pair, dio - harvest: mean {difference.mean():+.2f} dB, largest "
        f"|{np.abs(difference).max():.2f}| dB; harvest / dio time: "
        f"{timing['harvest'] / timing['dio']:.0f}x")


if __name__ == "__main__":
  app.run(main)
