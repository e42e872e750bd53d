"""The model: Keras layers, output heads, the model class and its losses.

``encoder``, ``decoder``, ``recurrences`` (LSTM loops with hand-written
gradients), ``postnet``, ``postfilter``, ``heads/`` (one module per head
family), ``transform_model`` (the four methods of Table 2 as one Keras model),
``losses``, ``keras_compat`` (what depends on Keras' private behaviour). All
layers are registered serialisable under the package name "tf_transforms";
masks are passed explicitly and returned beside outputs.
"""
