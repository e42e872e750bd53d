"""Writes tests/data/heads_0_10/: run in a checkout of commit 2f2fc83 (tf_transforms 0.10),
as `PYTHONPATH=. python make_fixtures.py OUT_DIR` from that checkout's root.

Tiny models of every head with random non-zero weights (the learned chooser's
too), saved as .keras, and the frames they generate (head_outputs.npz), which
tests/test_models.py checks 0.11 and later reproduce."""
import dataclasses
import sys

import keras
import numpy as np
import tensorflow as tf

from tf_transforms import models
from tf_transforms.configs import PRESETS, AudioConfig
from tf_transforms.layers.heads import HEADS

out = sys.argv[1]
rng = np.random.default_rng(7)
tiny = PRESETS["tiny"].model
inputs = {"source": rng.uniform(-1, 0.5, (2, 24, 80)).astype(np.float32),
          "source_length": np.array([24, 17], np.int32),
          "source_style": np.array([0, 2], np.int32), "target_style": np.array([1, 3], np.int32)}
record = dict(inputs)
keras.utils.set_random_seed(3)
for name in sorted(HEADS):
  changes = dict(output_head=name, num_styles=4)
  if name in ("harmonic_comb", "harmonic_levels"):
    changes["comb_chooser"] = "learned"
  config = dataclasses.replace(tiny, **changes)
  model = models.build_model(config, AudioConfig())
  for v in model.weights:
    v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
  model.save(f"{out}/head_{name}.keras")
  record[f"{name}_frames"] = model.generate(**inputs, num_frames=16)["frames"].numpy()
  print(name, [w.path for w in model.decoder.frame_layer.weights])
np.savez_compressed(f"{out}/head_outputs.npz", **record)
