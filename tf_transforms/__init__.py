"""tf_transforms: Conditional End-to-End Audio Transforms (Haque, Guo, Verma).

Where each concern lives: docs/architecture.md. In short:
  configs, datasets, flags     settings and registries (light: no TensorFlow import)
  run, files, errors           a trained run's directory, safe writes, user errors
  audio, ops, io               tf.signal front-end and vocoder, audio files
  layers, models               encoder, decoder, output heads; the model and loss
  data, training               pairs and batches; resumable, deterministic training
  evaluation, judges, metrics, pitch, recognition, tables, figures, report
                               evaluation on the field's scale
  export, lite, transform      SavedModel / TF Hub / TFLite, a checked TFLite runner,
                               a file through an export
"""

__version__ = "0.10.0"
