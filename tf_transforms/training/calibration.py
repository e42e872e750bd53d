"""What is fitted outside the model's gradient steps: the comb chooser before
training, the global-variance post-filter after it.

Before training, ``fit_comb_chooser`` fits the learned comb chooser of the
comb heads (``model/heads/comb_chooser.py``, where the fit itself lives) to
the training notes' known pitches.

After training, ``calibrate_postfilter`` generates training pairs free-running
(as at inference, without the post-filter), and sets, per requested style and
mel band, the gain that gives the outputs the targets' mean variance over time
and the offset that gives them the targets' mean level
(``model/postfilter.py``). Only training pairs are used:
no held-out content is seen.
"""

import itertools

import numpy as np
import tensorflow as tf

from tf_transforms.data import pipeline
from tf_transforms.model.heads import comb_chooser
from tf_transforms.model.heads.source import SourceSpectra

# Training pairs generated for the calibration: 64 batches of 16, about 47 per
# style on gm_notes' 22 (the count was chosen on the main job's validation split).
CALIBRATION_PAIRS = 1024
# Added to both variances (normalised log-mel units squared): a band that is
# flat in outputs and targets alike (silent, on the floor) keeps gain 1.
VARIANCE_EPSILON = 1e-3


def note_pitches(index: pipeline.Index, rows) -> np.ndarray:
  """float64 MIDI pitch of each of ``rows`` of a dataset of notes: the content
  key (a MIDI number) plus the variant's detune in cents (gm_notes' detuned
  training notes; 0 for recordings)."""
  rows = np.asarray(rows)
  return index.content[rows].astype(np.float64) + index.variant[rows].astype(np.float64) / 100


def chooser_summaries(chooser, index, rows, audio_config, batch_size=64):
  """``chooser.summaries`` (a ``CombChooser``) of every clip of ``rows``, as
  NumPy arrays (fine [N, F], mean [N, F], standardised scores [N, P])."""
  features = index.features(audio_config)
  summarise = tf.function(lambda frames, lengths: chooser.summaries(
      *SourceSpectra.valid_frames(frames, lengths)), reduce_retracing=True)
  parts = []
  for start in range(0, len(rows), batch_size):
    clips = [features[row] for row in rows[start:start + batch_size]]
    parts.append([v.numpy() for v in summarise(tf.constant(pipeline.pad_rows(clips)),
                                                tf.constant([len(c) for c in clips]))])
  return [np.concatenate(column) for column in zip(*parts)]


def fit_comb_chooser(chooser, index: pipeline.Index, audio_config, *, seed=0) -> dict:
  """Fits ``chooser`` (a ``CombChooser``) on the training split's notes,
  detuned variants included, at their known pitches (``note_pitches``;
  ``comb_chooser.fit_chooser``, seeded by ``seed`` alone).

  Returns:
    {"notes": training notes fitted on, "recordings": of them not detuned,
     "learned" / "template": share of the recordings whose chosen comb is
     within ``comb_chooser.TOLERANCE_CENTS``, after the fit and by the template}.
  """
  rows = pipeline.split_rows(index, "train", variants=True)
  pitches = note_pitches(index, rows)
  bank = chooser.bank.midi
  inside = (pitches >= bank[0]) & (pitches <= bank[-1])
  rows, pitches = rows[inside], pitches[inside]
  if not len(rows):
    raise ValueError("fit_comb_chooser: no training note within the comb bank's pitches "
                     f"(MIDI {bank[0]:g}-{bank[-1]:g})")
  summaries = chooser_summaries(chooser, index, rows, audio_config)
  comb_chooser.fit_chooser(chooser, summaries, pitches, seed=seed)
  played = ~index.training_only[rows]
  recordings = [part[played] for part in summaries]
  return {"notes": len(rows), "recordings": int(played.sum()),
          "learned": comb_chooser.choice_accuracy(chooser, recordings, pitches[played]),
          "template": comb_chooser.choice_accuracy(chooser, recordings, pitches[played],
                                                   template=True)}


def postfilter_statistics(outputs, targets, styles, num_styles):
  """The post-filter's gain and bias from paired clips.

  Args:
    outputs, targets: sequences of [T_i, F] frames (normalised log-mel), the
      model's output and the true target of each pair (lengths may differ).
    styles: the requested (target) style id of each pair.
    num_styles: rows of the result.

  Returns:
    (gain, bias, count): float32 [num_styles, F], [num_styles, F] and int
    [num_styles]. gain = sqrt((mean target variance + eps) / (mean output
    variance + eps)) per band, variances over each clip's time; bias = mean
    over pairs of (target mean frame - output mean frame). Styles without a
    pair get gain 1 and bias 0.
  """
  width = np.shape(outputs[0])[-1]
  var_out = np.zeros((num_styles, width))
  var_target = np.zeros((num_styles, width))
  offset = np.zeros((num_styles, width))
  count = np.zeros(num_styles, np.int64)
  for output, target, style in zip(outputs, targets, styles):
    output, target = np.asarray(output, np.float64), np.asarray(target, np.float64)
    var_out[style] += output.var(axis=0)
    var_target[style] += target.var(axis=0)
    offset[style] += target.mean(axis=0) - output.mean(axis=0)
    count[style] += 1
  seen = count[:, None] > 0
  pairs = np.maximum(count, 1)[:, None]
  with np.errstate(divide="ignore", invalid="ignore"):  # unseen styles: replaced below
    gain = np.sqrt((var_target / pairs + VARIANCE_EPSILON) / (var_out / pairs + VARIANCE_EPSILON))
  gain = np.where(seen, gain, 1.0)
  return gain.astype(np.float32), (offset / pairs).astype(np.float32), count


def calibrate_postfilter(model, index: pipeline.Index, audio_config, *, num_pairs=CALIBRATION_PAIRS,
                         batch_size=16, seed=0, fixed_length=True):
  """Sets ``model.postfilter``'s gain and bias from ``num_pairs`` training
  pairs of ``index`` (``postfilter_statistics``); returns the per-style pair
  counts. ``fixed_length``: generate each batch for its targets' frame count
  (notes), else to the stop token (words). A model without a post-filter is
  left as it is (returns None)."""
  if model.postfilter is None:
    return None
  generate = tf.function(
      lambda source, length, source_style, target_style, frames: model.generate(
          source, length, source_style, target_style, num_frames=frames,
          return_alignments=False, postfilter=False), reduce_retracing=True)
  batches = pipeline.pair_dataset(index, "train", batch_size, seed=seed, epochs=1,
                              cache_features=True, audio_config=audio_config)
  outputs, targets, styles = [], [], []
  for batch in itertools.islice(batches, -(-num_pairs // batch_size)):
    generated = generate(batch["source"], batch["source_length"], batch["source_style"],
                         batch["target_style"],
                         tf.reduce_max(batch["target_length"]) if fixed_length else None)
    frames, lengths = generated["frames"].numpy(), generated["lengths"].numpy()
    for i, target_length in enumerate(batch["target_length"].numpy()):
      length = target_length if fixed_length else lengths[i]  # words: to their stop token
      outputs.append(frames[i, :length])
      targets.append(batch["target"][i, :target_length].numpy())
      styles.append(int(batch["target_style"][i]))
  gain, bias, count = postfilter_statistics(outputs[:num_pairs], targets[:num_pairs],
                                            styles[:num_pairs], model.config.num_styles)
  model.postfilter.gain.assign(gain)
  model.postfilter.bias.assign(bias)
  return count
