"""The paper's figures: Figure 2 (spectrograms and waveforms) and Figure 3 (t-SNE).

Matplotlib is imported inside each function with the non-interactive Agg
backend selected for that figure only (``matplotlib.figure.Figure``, no
pyplot state), so importing this module changes nothing global.
"""

import math

import numpy as np
import tensorflow as tf

from tf_transforms.core.files import atomic_output
from tf_transforms.data import pipeline

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _figure(**kwargs):
  from matplotlib.backends.backend_agg import FigureCanvasAgg
  from matplotlib.figure import Figure
  figure = Figure(**kwargs)
  FigureCanvasAgg(figure)
  return figure


def _save(figure, path):
  with atomic_output(path) as temporary:
    figure.savefig(temporary, dpi=110, format="png")


def figure_2(examples, path, audio_config):
  """Input / target / prediction spectrograms with waveforms beneath (the paper's Fig. 2).

  Args:
    examples: dicts with ``record`` (source_style, target_style, content),
      ``source``, ``target``, ``prediction`` (natural-log mel [T, F]) and
      ``source_audio``, ``target_audio``, ``waveform`` (float [samples]).
    path: PNG to write.
  """
  columns = [("input", "source", "source_audio"), ("target", "target", "target_audio"),
             ("prediction", "prediction", "waveform")]
  figure = _figure(figsize=(12, 3.2 * len(examples)))
  axes = figure.subplots(2 * len(examples), 3, squeeze=False,
                         gridspec_kw={"height_ratios": [3, 1] * len(examples)})
  for row, example in enumerate(examples):
    record = example["record"]
    for column, (title, features_key, audio_key) in enumerate(columns):
      spectrogram_axis, wave_axis = axes[2 * row, column], axes[2 * row + 1, column]
      spectrogram_axis.imshow(example[features_key].T, origin="lower", aspect="auto",
                              cmap="magma", vmin=math.log(audio_config.log_floor))
      style = record["target_style"] if column else record["source_style"]
      spectrogram_axis.set_title(f"{title}: {style} / {record['content']}", fontsize=8)
      spectrogram_axis.set_xticks([])
      wave_axis.plot(example[audio_key], linewidth=0.3, color="black")
      wave_axis.set_xlim(0, len(example[audio_key]))
      wave_axis.set_yticks([])
      wave_axis.set_xticks([])
  figure.tight_layout()
  _save(figure, path)


def encoder_embeddings(model, index: pipeline.Index, rows, audio_config, batch_size=32):
  """Mean-pooled encoder outputs of ``rows`` (each clip in its own style): [len(rows), D]."""
  features = index.features(audio_config)
  # One trace for every batch (eager, the encoder's time loops cost ~8 s on
  # the notes' 897 clips; traced, ~1 s).
  encode = tf.function(model.encode, input_signature=[
      tf.TensorSpec([None, None, audio_config.num_mel_bins], tf.float32),
      tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32)])
  embeddings = []
  for start in range(0, len(rows), batch_size):
    chunk = rows[start:start + batch_size]
    batch = pipeline.pad_rows([features[r] for r in chunk], pad_value=-1.0)
    lengths = np.array([len(features[r]) for r in chunk], np.int32)
    memory, mask, _ = encode(batch.astype(np.float32), lengths,
                             np.asarray(index.style[chunk], np.int32))
    weights = tf.cast(mask, tf.float32)[..., tf.newaxis]               # [B, T', 1]
    pooled = tf.reduce_sum(memory * weights, 1) / tf.maximum(tf.reduce_sum(weights, 1), 1.0)
    embeddings.append(pooled.numpy())
  return np.concatenate(embeddings)


def figure_3(model, index: pipeline.Index, path, audio_config, title, seed=0):
  """t-SNE of encoder representations of every note, coloured by pitch class.

  As the paper's Figure 3: notes of all pitches (training pitches as dots,
  held-out test pitches as crosses, validation pitches as triangles), each
  point one note's mean-pooled encoder output, colour = pitch class, so
  pitch-class clustering (or its absence) can be seen.

  Returns:
    numbers for what the figure shows, over each note's nearest neighbour in
    the *encoder space* (not the 2-D map): ``pitch_class_purity`` (same pitch
    class; chance ~1/12), ``style_purity`` (same instrument; chance
    1/styles) and ``neighbour_semitones_median`` (pitch distance).
  """
  import sklearn.manifold
  import sklearn.neighbors
  rows = index.recordings  # not the training-only detuned variants
  embeddings = encoder_embeddings(model, index, rows, audio_config)
  pitches = index.content[rows].astype(int)
  styles = index.style[rows]
  assignment = pipeline.split_content(pitches)
  split = np.array([assignment[p] for p in pitches.tolist()])
  points = sklearn.manifold.TSNE(n_components=2, perplexity=min(30, len(rows) - 1),
                                 random_state=seed, init="pca").fit_transform(embeddings)
  neighbours = sklearn.neighbors.NearestNeighbors(n_neighbors=2).fit(embeddings)
  nearest = neighbours.kneighbors(embeddings, return_distance=False)[:, 1]
  purity = float(np.mean(pitches[nearest] % 12 == pitches % 12))
  style_purity = float(np.mean(styles[nearest] == styles))
  semitones = float(np.median(np.abs(pitches[nearest] - pitches)))

  figure = _figure(figsize=(8, 7))
  axis = figure.subplots()
  scatter = None
  for name, marker, size in (("train", "o", 10), ("valid", "^", 16), ("test", "x", 22)):
    chosen = split == name
    if chosen.any():
      scatter = axis.scatter(points[chosen, 0], points[chosen, 1], c=pitches[chosen] % 12,
                             cmap="hsv", vmin=0, vmax=12, s=size, marker=marker,
                             linewidths=0.8, label=f"{name} pitches")
  colorbar = figure.colorbar(scatter, ax=axis, ticks=np.arange(12) + 0.5)
  colorbar.ax.set_yticklabels(PITCH_CLASSES)
  legend = axis.legend(loc="best", fontsize=8)
  for handle in legend.legend_handles:  # markers in grey: colour means pitch class
    handle.set_facecolor("0.4")
    handle.set_edgecolor("0.4")
  axis.set_title(f"t-SNE of encoder outputs of all {len(rows)} notes, by pitch class ({title})\n"
                 f"nearest neighbour (encoder space): same pitch class {purity:.0%}, "
                 f"same instrument {style_purity:.0%}, {semitones:g} semitones away (median)",
                 fontsize=9)
  figure.tight_layout()
  _save(figure, path)
  return {"pitch_class_purity": purity, "style_purity": style_purity,
          "neighbour_semitones_median": semitones, "notes": int(len(rows))}
