"""What the model depends on in Keras beyond its public API, and the weight-file layouts.

Everything here is a fact about Keras 3.15 or about files written by earlier
releases; check it when either changes (tests/test_models.py loads files of
every earlier layout, tests/test_training.py runs a two-worker cluster).

* ``rnn_loop``: Keras' TensorFlow RNN loop (a private module), which the
  encoder's LSTMs use at inference: its TensorArrays lower to TFLite builtins.
* Weight files address variables by layer attribute path and, within a
  layer, by creation order. The decoder keeps its head as ``frame_layer``
  (the name its output Dense had before heads were layers) and creates it
  between the attention and the stop layer (initialisers draw their seeds
  when created, so a seeded model gets the weights it got then); a head
  creates its kernel, then its bias.
* Files of 0.10 store the learned comb chooser's three weights after the
  comb head's kernel and bias (the chooser was not yet its own layer):
  ``load_comb_head`` reads that layout into the ``CombChooser``.
* While Keras loads a model, its object-sharing scope keys serialised
  objects by ``id()``: a layer built during the load that Keras serialises
  (``Bidirectional``'s template) must outlive the others, or a reused id
  returns an earlier object (``encoder.PyramidalLSTM`` keeps its templates).
* Multi-worker fit (``MultiWorkerMirroredStrategy``, two or more workers):
  Keras averages step logs with ``strategy.reduce("MEAN", v, axis=0)``,
  which rejects scalars (tensorflow/tensorflow#72388), and builds an unbuilt
  model by reducing the first batch, which the collective reduce cannot do
  for a dict of inputs.
"""

from keras.src.backend.tensorflow.rnn import rnn as rnn_loop  # noqa: F401  (re-exported)
import tensorflow as tf


def load_comb_head(head, store) -> bool:
  """Loads a comb head's 0.10 layout (kernel, bias, U, c, v in the head's own
  store) into ``head`` and its ``chooser``; False for any other layout."""
  if head.chooser is None or len(store.keys()) != 5:
    return False
  head.kernel.assign(store["0"])
  head.bias.assign(store["1"])
  for i, variable in enumerate(head.chooser.chooser_weights):
    variable.assign(store[f"{i + 2}"])
  head.chooser.loaded_by_owner = True
  return True


def chooser_loaded_by_head(chooser, store) -> bool:
  """Whether ``chooser``'s weights came with its head's (``load_comb_head``):
  its own store is then empty."""
  return chooser.loaded_by_owner and not len(store.keys())


def reducible_logs(model, logs):
  """Step logs that a multi-worker cluster can average: scalars as [1]-vectors."""
  if isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
    return {name: tf.reshape(value, [1]) for name, value in logs.items()}
  return logs


def built_for_fit(model) -> bool:
  """Whether ``model`` and its optimizer are built (``build_model`` and the
  training loop build both), so Keras' symbolic build before fit can be skipped."""
  return model.built and model.optimizer is not None and model.optimizer.built
