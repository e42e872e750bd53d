"""tf_transforms: Conditional End-to-End Audio Transforms (Haque, Guo, Verma).

The package's folders are its tiers, lowest first; a module imports only its
own tier and lower ones (tests/test_architecture.py reads the import graph):

  core/        settings, defaults, stored-run compatibility, registries, errors, safe writes
  signal/      tf.signal front-end, vocoder, harmonic combs, audio files (no Keras layers)
  model/       Keras layers, output heads, the model class, losses
  data/        TFDS examples -> pairs -> tf.data batches; style vocabulary
  training/    the run directory, the training loop, what is fitted beside it
  evaluation/  judges, metrics, tables, figures (beside export: neither imports the other)
  export/      SavedModel / TF Hub / TFLite, a checked TFLite runner, a file through an export
  cli/         absl flag definitions for the top-level scripts (nothing imports it)

One line per module: docs/architecture.md.
"""

__version__ = "0.12.0"
