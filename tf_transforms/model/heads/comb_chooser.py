"""Choosing a clip's comb from the bank: the template score and the learned chooser.

``CombBank`` holds the harmonic heads' constants: the bank of generated
combs (``harmonic_combs``: equal-amplitude harmonics at MIDI 24-96 in
10-cent steps, through the run's front-end), their template scorer and,
when asked, each comb's harmonic band shares. The template choice is the
comb whose fine structure matches the source's best (cosine over the clip's
valid frames summed), with a prior for combs whose fundamental's band
``b_q`` is a peak of the source's fine structure::

  f = sum_t (s_t - s_t BᵀB)
  p = argmax_q  <f, c_q> / |c_q| + w f[b_q]     (w = harmonic_combs.FUNDAMENTAL_WEIGHT)

``CombChooser`` adds a learned correction: for every candidate q it reads
the source's mean fine structure ``f`` and mean frame ``m`` in the bands each
of q's first H harmonics fills, and the template score standardised over the
bank ``z``::

  x_q = [f W_qᵀ, m W_qᵀ, z_q]       (W_q [H + 1, F]: q's band shares, rows normalised)
  p = argmax_q  z_q + v · relu(U x_q + c)

One small network scores every candidate, so the choice is relative to the
candidate's pitch and carries over to pitches never trained on. Its weights
are not trained with the model: ``fit_chooser`` fits them before training on
notes of known pitch (softmax over the bank). As built (v = 0) it chooses as
the template. In TFLite the choice is matmuls, an argmax and a gather.
"""

import keras
import numpy as np
import tensorflow as tf

from tf_transforms.model import keras_compat
from tf_transforms.model.heads.base import PACKAGE, run_audio_config, stored_audio_config
from tf_transforms.signal import harmonic_combs
from tf_transforms.signal.ops import runtime_constant

NUM_HARMONICS = 16  # H: harmonics with their own band shares
# A choice within this many cents of the note's pitch counts as right (the
# pitch judge's tolerance).
TOLERANCE_CENTS = 50.0
# The fit: Adam at this rate, batches of this many notes, this many passes
# over the notes (docs/design.md, "A learned comb chooser").
LEARNING_RATE = 0.01
BATCH = 64
EPOCHS = 64


class CombBank:
  """The bank's constants for one front-end (no weights).

  Args:
    audio_config: the run's AudioConfig.
    envelope_coefficients: K of the fine structure the combs are compared in.
    with_shares: also build the band-share table (a 3.9 MB constant): the
      learned chooser and ``harmonic_levels`` read it.
  """

  def __init__(self, audio_config, envelope_coefficients, with_shares):
    num_mel_bins = audio_config.num_mel_bins
    self.midi = harmonic_combs.bank_midi()                                     # [P]
    fine, scorer = harmonic_combs.comb_scorer(audio_config, envelope_coefficients)
    self.combs = tf.constant(fine)                                             # [P, F]
    self.scorer = tf.constant(scorer)                                          # [F, P]
    self.fine_projection = tf.constant(
        harmonic_combs.fine_projection(envelope_coefficients, num_mel_bins))  # [F, F]
    self.shares = self.inverse_share_totals = None
    if with_shares:
      # One flat table that both readers use as it is: harmonic_levels gathers
      # a comb's H + 1 rows, the learned chooser multiplies by all of it.
      shares = harmonic_combs.harmonic_band_shares(audio_config, NUM_HARMONICS)
      self.shares = tf.constant(shares.reshape(-1, num_mel_bins))             # [P (H+1), F]
      totals = shares.sum(-1).reshape(-1)
      self.inverse_share_totals = tf.constant(
          np.where(totals > 1e-12, 1.0 / np.maximum(totals, 1e-12), 0.0).astype(np.float32))

  def template_choice(self, frames):
    """The template's comb index [B] for valid frames [B, T, F] (padding zeroed)."""
    return harmonic_combs.choose(frames, self.scorer)

  def comb(self, chosen, anchor):
    """The chosen combs' fine structure [B, F] (``anchor``: see ``ops.runtime_constant``)."""
    return tf.gather(runtime_constant(self.combs, anchor), chosen)

  def comb_shares(self, chosen, anchor):
    """The chosen combs' band shares [B, H + 1, F] (rows ``chosen (H + 1) ...
    chosen (H + 1) + H`` of the flat table)."""
    rows = tf.expand_dims(chosen, -1) * (NUM_HARMONICS + 1) + tf.range(NUM_HARMONICS + 1)
    return tf.gather(runtime_constant(self.shares, anchor), rows)


@keras.saving.register_keras_serializable(package=PACKAGE)
class CombChooser(keras.layers.Layer):
  """The learned comb chooser: weights ``U`` [2H + 3, units], ``c``, ``v`` [units],
  not trained with the model (``fit_chooser``), zeros as built.

  Args:
    audio_config: the run's AudioConfig (or its dict).
    envelope_coefficients: K of the bank's fine structure.
    units: hidden units.
    bank: the owning head's ``CombBank`` (with shares), or None to build one.
  """

  def __init__(self, audio_config, envelope_coefficients=12, units=64, bank=None, **kwargs):
    super().__init__(**kwargs)
    self.audio_config = run_audio_config("CombChooser", audio_config, _bins(audio_config))
    self.envelope_coefficients = envelope_coefficients
    self.units = units
    self.bank = bank or CombBank(self.audio_config, envelope_coefficients, with_shares=True)
    width = 2 * (NUM_HARMONICS + 1) + 1
    self.hidden_kernel = self.add_weight(shape=(width, units), initializer="zeros",
                                         trainable=False, name="chooser_hidden_kernel")
    self.hidden_bias = self.add_weight(shape=(units,), initializer="zeros", trainable=False,
                                       name="chooser_hidden_bias")
    self.output_kernel = self.add_weight(shape=(units,), initializer="zeros", trainable=False,
                                         name="chooser_output_kernel")
    self.loaded_by_owner = False

  @property
  def chooser_weights(self) -> list:
    """``[U, c, v]``."""
    return [self.hidden_kernel, self.hidden_bias, self.output_kernel]

  def summaries(self, frames, mask):
    """What the chooser reads of a clip: its mean fine structure ``f`` [B, F],
    mean frame ``m`` [B, F] (normalised log-mel, over the valid frames) and
    the template scores standardised over the bank ``z`` [B, P].

    Args:
      frames: [B, T, F] normalised log-mel, padding zeroed; mask: [B, T] valid frames.
    """
    count = tf.maximum(tf.reduce_sum(tf.cast(mask, frames.dtype), 1, keepdims=True), 1.0)
    mean = tf.reduce_sum(frames, 1) / count                                  # [B, F]
    # (runtime_constant from the frames, whose length TFLite cannot fold)
    fine = tf.matmul(mean, runtime_constant(self.bank.fine_projection, frames))
    scores = tf.matmul(mean, runtime_constant(self.bank.scorer, frames))      # [B, P]
    centred = scores - tf.reduce_mean(scores, -1, keepdims=True)
    spread = tf.sqrt(tf.reduce_mean(tf.square(centred), -1, keepdims=True))
    return fine, mean, centred / (spread + 1e-6)

  def logits(self, fine, mean, standardised, weights=None, anchor=None):
    """Every bank comb's score [B, P] from ``summaries``' outputs, with
    ``weights`` ``[U, c, v]`` (default: the layer's). ``anchor``: a tensor of
    a shape TFLite cannot fold (the source frames), so that the constants stay
    float32 and single in its files (``ops.runtime_constant``; default ``mean``)."""
    hidden_kernel, hidden_bias, output_kernel = weights or self.chooser_weights
    anchor = mean if anchor is None else anchor
    shares = runtime_constant(self.bank.shares, anchor)                       # [P (H+1), F]
    batch = tf.shape(mean)[0]
    # each harmonic's bands averaged with its shares as weights: [B, P, H+1] each
    read = [tf.reshape(tf.matmul(v, shares, transpose_b=True) * self.bank.inverse_share_totals,
                       [batch, -1, NUM_HARMONICS + 1]) for v in (fine, mean)]
    features = tf.concat(read + [tf.expand_dims(standardised, -1)], -1)      # [B, P, 2H+3]
    # (float32 in TFLite's dynamic-range file too: int8 weights changed the argmax)
    hidden_kernel = runtime_constant(hidden_kernel, anchor)
    hidden = tf.nn.relu(tf.tensordot(features, hidden_kernel, 1) + hidden_bias)
    return standardised + tf.tensordot(hidden, output_kernel, 1)

  def choose(self, frames, mask):
    """The comb index [B] (int32) for valid frames [B, T, F] and their mask."""
    logits = self.logits(*self.summaries(frames, mask), anchor=frames)
    return tf.argmax(logits, axis=-1, output_type=tf.int32)

  def load_own_variables(self, store):
    if not keras_compat.chooser_loaded_by_head(self, store):  # (0.10 files' layout)
      super().load_own_variables(store)

  def get_config(self):
    return {**super().get_config(), "audio_config": stored_audio_config(self.audio_config),
            "envelope_coefficients": self.envelope_coefficients, "units": self.units}


def _bins(audio_config):
  return (audio_config["num_mel_bins"] if isinstance(audio_config, dict)
          else audio_config.num_mel_bins)


def choice_accuracy(chooser, summaries, pitches, weights=None, template=False) -> float:
  """Share of clips whose chosen comb is within ``TOLERANCE_CENTS`` of
  ``pitches`` (MIDI): ``chooser``'s with ``weights`` (default: its own), or
  with ``template`` the template score's. ``summaries``: ``chooser.summaries``
  of the clips as NumPy arrays."""
  fine, mean, standardised = summaries
  if template:
    chosen = np.argmax(standardised, -1)
  else:
    chosen = np.argmax(chooser.logits(fine, mean, standardised, weights).numpy(), -1)
  return float(np.mean(100 * np.abs(chooser.bank.midi[chosen] - pitches) < TOLERANCE_CENTS))


def nearest_combs(bank_midi, pitches) -> np.ndarray:
  """int32 index of the bank comb nearest each pitch (MIDI)."""
  return np.abs(bank_midi[None, :] - pitches[:, None]).argmin(1).astype(np.int32)


def fit_chooser(chooser, summaries, pitches, *, seed=0) -> None:
  """Fits ``chooser`` to clips of known pitch: ``EPOCHS`` passes of Adam on
  the softmax cross-entropy of ``chooser.logits`` over the bank against the
  comb nearest each pitch. Its random draws (the initial weights, the
  batches) come from ``seed`` alone, not from the global seed, so a model's
  own initialisation and training are unchanged by it.

  Args:
    summaries: ``chooser.summaries`` of the clips, NumPy arrays [N, ...].
    pitches: float MIDI pitch of each clip [N], inside the bank's range.
  """
  labels = nearest_combs(chooser.bank.midi, pitches)
  rng = np.random.default_rng(seed)
  width, units = chooser.hidden_kernel.shape
  limit = np.sqrt(6.0 / (width + units))  # Glorot uniform
  weights = [keras.Variable(rng.uniform(-limit, limit, (width, units)).astype(np.float32)),
             keras.Variable(np.zeros(units, np.float32)),
             keras.Variable(np.zeros(units, np.float32))]
  optimizer = keras.optimizers.Adam(LEARNING_RATE)
  optimizer.build(weights)

  @tf.function
  def step(fine, mean, standardised, label):
    with tf.GradientTape() as tape:
      logits = chooser.logits(fine, mean, standardised, weights)
      loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(label, logits))
    optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))

  steps = -(-EPOCHS * len(labels) // BATCH)
  for _ in range(steps):
    batch = rng.choice(len(labels), BATCH)
    step(*[tf.constant(part[batch]) for part in summaries], tf.constant(labels[batch]))
  for variable, fitted in zip(chooser.chooser_weights, weights):
    variable.assign(fitted)
