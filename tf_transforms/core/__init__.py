"""Settings, registries, user errors and safe writes: the tier every other imports.

No Keras and no TensorFlow graph code: ``configs`` (typed settings and
presets), ``defaults`` (what "auto" means, resolved in one function),
``compat`` (reading configs stored by earlier releases), ``datasets`` (the
dataset registry), ``errors`` (one-line user errors), ``files`` (atomic writes).
"""
