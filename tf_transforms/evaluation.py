"""Evaluation on unseen content: Table 2 / Table 3 metrics and Figures 2-3.

For every test pair (content never seen in training) a model generates
autoregressively -- for as many frames as the target for fixed-length
datasets (notes), until its stop token for words -- and is scored against
the target with:

* standard MCD and the paper's eq. (3) on the log-mel (``metrics.py``);
* audio-level MCD: the prediction vocoded by the in-graph path (mel inverse
  or post-net, Griffin-Lim, de-emphasis), analysed again and scored, so the
  vocoder's losses count;
* pitch error (notes): pyin's median f0 of the vocoded output against the
  target note's MIDI pitch, in cents; the share within 50 cents;
* target-style recognition: a logistic-regression classifier on per-clip
  log-mel statistics, trained on the *training* split's real audio passed
  through the same vocoding path; the share of vocoded outputs it labels as
  the requested target style (its accuracy on vocoded real test clips is the
  ceiling, reported beside it).

The copy-the-source baseline (output = input) is scored the same way, and so
is the true target passed through the vocoding path ("vocoded true target"):
a perfect log-mel prediction scores that at audio level, so it is the
ceiling for the audio-level MCD, pitch and style columns. For pitch, the real
target recordings are measured too: a model reproducing them exactly would
score that.
"""

import dataclasses
import math
import os

import keras
import librosa
import numpy as np
import sklearn.linear_model
import sklearn.pipeline
import sklearn.preprocessing
import tensorflow as tf

from tf_transforms import audio, data, io, metrics, models  # noqa: F401 (models: registration)
from tf_transforms.training import RunConfig

FIXED_LENGTH = {"gm_notes", "nsynth"}     # notes: generate exactly the target length
PITCHED = {"gm_notes", "nsynth"}          # content is a MIDI pitch
MIN_VOICED = 0.25


@dataclasses.dataclass
class Run:
  """A trained run: its model, config, style vocabulary and directory."""

  model_dir: str
  model: keras.Model
  config: RunConfig
  vocabulary: data.StyleVocabulary

  @property
  def label(self):
    return os.path.basename(os.path.normpath(self.model_dir))


def load_run(model_dir: str) -> Run:
  """Loads model.keras, run_config.json and styles.json from ``model_dir``."""
  paths = {name: os.path.join(model_dir, name)
           for name in ("model.keras", "run_config.json", "styles.json")}
  missing = [name for name, path in paths.items() if not tf.io.gfile.exists(path)]
  if missing:
    raise FileNotFoundError(f"{model_dir}: missing {', '.join(missing)} -- is it a finished "
                            "train.py run? (rerun train.py with the same flags to finish it)")
  with tf.io.gfile.GFile(paths["run_config.json"]) as handle:
    config = RunConfig.from_json(handle.read())
  model = keras.saving.load_model(paths["model.keras"], safe_mode=True)
  return Run(model_dir, model, config, data.StyleVocabulary.load(paths["styles.json"]))


def clip_statistics(log_mel):
  """[T, F] log-mel -> [2F] mean and std over time: the style classifier's input."""
  return np.concatenate([log_mel.mean(axis=0), log_mel.std(axis=0)])


def vocoded_features(index: data.Index, rows, audio_config, batch_size=32):
  """Log-mel of each clip after the vocoding path outputs take (true log-mel ->
  mel inverse -> Griffin-Lim -> de-emphasis -> analysis): [T, F] per row."""
  vocode = tf.function(lambda log_mel: audio.log_mel_to_audio(log_mel, audio_config))
  features = index.features(audio_config)
  out = []
  for start in range(0, len(rows), batch_size):
    chunk = rows[start:start + batch_size]
    batch = data.pad_rows([features[r] for r in chunk], pad_value=-1.0)  # silence
    waveforms = vocode(audio.denormalize_log_spectrogram(batch, audio_config)).numpy()
    for i, r in enumerate(chunk):
      waveform = waveforms[i, :(len(features[r]) - 1) * audio_config.frame_step]
      out.append(audio.log_mel_spectrogram(waveform, audio_config).numpy())
  return out


def train_style_classifier(index: data.Index, audio_config, every=6):
  """Logistic regression on log-mel statistics of *vocoded* real clips.

  Trained on the training split's clips after the same vocoding path the
  models' outputs take, so that Griffin-Lim's artifacts are not mistaken for
  style (trained on unvocoded audio, it recognised 4% of vocoded true
  targets). Returns (classifier, accuracy on vocoded real test-split clips:
  the ceiling for "target style recognised").
  """
  assignment = data.split_content(index.content, every)
  split = np.array([assignment[c.item()] for c in index.content])
  rows = [r for r in range(len(split)) if split[r] in ("train", "test")]
  x = np.stack([clip_statistics(f) for f in vocoded_features(index, rows, audio_config)])
  y = index.style[rows]
  is_train = split[rows] == "train"
  classifier = sklearn.pipeline.make_pipeline(
      sklearn.preprocessing.StandardScaler(),
      sklearn.linear_model.LogisticRegression(max_iter=2000, C=1.0))
  classifier.fit(x[is_train], y[is_train])
  accuracy = float(classifier.score(x[~is_train], y[~is_train])) if (~is_train).any() else math.nan
  return classifier, accuracy


def median_f0_midi(waveform, sample_rate, expected_midi):
  """Median pyin f0 (as a MIDI number) over voiced frames, or nan if unvoiced.

  Searches one octave either side of ``expected_midi`` on a 5-cent grid.
  A frame counts as voiced when pyin's voiced probability is at least 0.5
  (its HMM labels about half of white-noise frames "voiced" at probability
  0.01); fewer than ``MIN_VOICED`` voiced frames means no pitch (nan).
  """
  f0, voiced, probability = librosa.pyin(
      waveform, sr=sample_rate, frame_length=2048, hop_length=256, resolution=0.05,
      fmin=librosa.midi_to_hz(expected_midi - 13), fmax=librosa.midi_to_hz(expected_midi + 13))
  good = voiced & (probability >= 0.5) & np.isfinite(f0)
  if good.mean() < MIN_VOICED:
    return math.nan
  return float(np.median(librosa.hz_to_midi(f0[good])))


def cents_off_note(waveform, sample_rate, midi):
  """Cents from MIDI note ``midi`` to the waveform's median f0 (nan: unvoiced)."""
  return 100.0 * (median_f0_midi(waveform, sample_rate, midi) - midi)


def _trim(features, length):
  return np.asarray(features[:int(length)], np.float32)


def evaluate_run(run: Run, index: data.Index, classifier, *, batch_size=16, max_pairs=None,
                 seed=0, keep=4, recording_pitch_cache=None):
  """Scores ``run`` on the test pairs; returns per-pair records and examples kept for figures.

  ``recording_pitch_cache``: a dict shared between runs on the same index, so
  the pitch of each real recording (copy baseline, real target) is measured
  once, not once per run.
  """
  recording_pitch_cache = {} if recording_pitch_cache is None else recording_pitch_cache
  dataset_name = run.config.dataset
  audio_config = run.config.audio
  fixed = dataset_name in FIXED_LENGTH
  pitched = dataset_name in PITCHED
  records, examples = [], []
  test = data.pair_dataset(index, "test", batch_size, seed=seed, epochs=1, cache_features=True,
                           audio_config=audio_config)
  vocode = tf.function(lambda outputs: run.model.to_audio(outputs, audio_config))
  for batch in test:
    outputs = run.model.generate(batch["source"], batch["source_length"],
                                 batch["source_style"], batch["target_style"],
                                 num_frames=int(tf.reduce_max(batch["target_length"]))
                                 if fixed else None)
    waveforms = vocode(outputs).numpy()
    # The true targets through the same vocoding path: what a perfect
    # log-mel prediction would score at audio level (the ceiling).
    target_waveforms = vocode({"frames": batch["target"]}).numpy()
    lengths = outputs["lengths"].numpy()
    for i in range(int(batch["source"].shape[0])):
      if max_pairs is not None and len(records) >= max_pairs:
        return records, examples
      target_length = int(batch["target_length"][i])
      length = target_length if fixed else int(lengths[i])
      prediction = audio.denormalize_log_spectrogram(_trim(outputs["frames"][i], length),
                                                     audio_config).numpy()
      target = audio.denormalize_log_spectrogram(_trim(batch["target"][i], target_length),
                                                 audio_config).numpy()
      source = audio.denormalize_log_spectrogram(
          _trim(batch["source"][i], batch["source_length"][i]), audio_config).numpy()
      waveform = waveforms[i, :max(1, (length - 1) * audio_config.frame_step)]
      resynthesized = audio.log_mel_spectrogram(waveform, audio_config).numpy()
      target_waveform = target_waveforms[i, :max(1, (target_length - 1) *
                                                  audio_config.frame_step)]
      target_resynthesized = audio.log_mel_spectrogram(target_waveform, audio_config).numpy()
      target_row = int(batch["target_row"][i])
      record = {
          "source_row": int(batch["source_row"][i]), "target_row": target_row,
          "content": index.content[target_row].item(),
          "source_style": run.vocabulary.name(int(batch["source_style"][i])),
          "target_style": run.vocabulary.name(int(batch["target_style"][i])),
          "mcd": metrics.mel_cepstral_distortion(target, prediction),
          "paper_mcd": metrics.paper_mcd(target, prediction),
          "audio_mcd": metrics.mel_cepstral_distortion(target, resynthesized),
          "copy_mcd": metrics.mel_cepstral_distortion(target, source),
          "copy_paper_mcd": metrics.paper_mcd(target, source),
          "style_recognised": bool(classifier.predict(
              clip_statistics(resynthesized)[np.newaxis])[0] == int(batch["target_style"][i])),
          "copy_style_recognised": bool(classifier.predict(
              clip_statistics(source)[np.newaxis])[0] == int(batch["target_style"][i])),
          "oracle_mcd": 0.0, "oracle_paper_mcd": 0.0,
          "oracle_audio_mcd": metrics.mel_cepstral_distortion(target, target_resynthesized),
          "oracle_style_recognised": bool(classifier.predict(
              clip_statistics(target_resynthesized)[np.newaxis])[0] ==
                                          int(batch["target_style"][i])),
      }
      if pitched:
        expected = float(record["content"])
        rate = audio_config.sample_rate
        record["pitch_cents"] = cents_off_note(waveform, rate, expected)
        record["oracle_pitch_cents"] = cents_off_note(target_waveform, rate, expected)
        for key, row in (("copy_pitch_cents", record["source_row"]),
                         ("real_target_pitch_cents", target_row)):
          if (row, expected) not in recording_pitch_cache:  # real audio: once for all runs
            recording_pitch_cache[row, expected] = cents_off_note(index.audio(row), rate,
                                                                  expected)
          record[key] = recording_pitch_cache[row, expected]
      records.append(record)
      if len(examples) < keep:
        examples.append({"record": record, "source": source, "target": target,
                         "prediction": prediction, "waveform": waveform,
                         "source_audio": index.audio(record["source_row"]),
                         "target_audio": index.audio(target_row)})
  return records, examples


def summarize(records, prefix=""):
  """Mean +- 95% CI of the MCDs; shares for pitch and style.

  ``prefix``: "" for the model, "copy_" for the copy-the-source baseline,
  "oracle_" for the true target vocoded (the vocoding path's ceiling).
  """
  def mean_ci(key):
    values = [r[key] for r in records if math.isfinite(r[key])]
    if len(values) < 2:
      return {"mean": math.nan, "ci95": math.nan, "n": len(values)}
    mean, half = metrics.mean_confidence_interval(values)
    return {"mean": mean, "ci95": half, "n": len(values)}

  summary = {"pairs": len(records),
             "mcd": mean_ci(prefix + "mcd"), "paper_mcd": mean_ci(prefix + "paper_mcd"),
             "style_recognised": float(np.mean([r[prefix + "style_recognised"]
                                                for r in records]))}
  if prefix != "copy_":  # the copy baseline is real audio: no vocoding
    summary["audio_mcd"] = mean_ci(prefix + "audio_mcd")
  if records and "pitch_cents" in records[0]:
    summary.update(pitch_summary(records, prefix + "pitch_cents"))
  return summary


def pitch_summary(records, key="pitch_cents"):
  """Share of ``records[key]`` (cents off the target note; nan: unvoiced)
  within 50 cents, overall and per content (test pitch), and the median
  absolute error. ``key="real_target_pitch_cents"``: what pyin reads from the
  real target recordings -- the pitch measurement's own ceiling."""
  cents = np.array([r[key] for r in records], np.float64)
  within = np.abs(cents) <= 50.0
  contents = np.array([r["content"] for r in records])
  return {"pitch_within_50_cents": float(np.mean(within)),
          "pitch_median_abs_cents": float(np.nanmedian(np.abs(cents))),
          "pitch_within_50_cents_by_content": {
              str(c): float(np.mean(within[contents == c]))
              for c in sorted(set(contents.tolist()))}}


def _cell(stat):
  return f"{stat['mean']:.2f} ± {stat['ci95']:.2f}" if math.isfinite(stat["mean"]) else "—"


def table_2(rows):
  """Markdown table shaped like the paper's Table 2 (objective columns)."""
  lines = ["| method | MCD dB (std., coefs 1-24) | paper eq. (3) | audio-level MCD dB | "
           "pitch ±50 cents | target style recognised | pairs |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
  for label, summary in rows:
    pitch = summary.get("pitch_within_50_cents")
    lines.append(
        f"| {label} | {_cell(summary['mcd'])} | {_cell(summary['paper_mcd'])} | "
        f"{_cell(summary['audio_mcd']) if 'audio_mcd' in summary else '= MCD (real audio)'} | "
        f"{'—' if pitch is None else f'{100 * pitch:.0f}%'} | "
        f"{100 * summary['style_recognised']:.0f}% | {summary['pairs']} |")
  return "\n".join(lines)


def pitch_table(rows):
  """Markdown table: share within 50 cents per test pitch (MIDI), one row per entry."""
  rows = [(label, summary) for label, summary in rows
          if "pitch_within_50_cents_by_content" in summary]
  if not rows:
    return ""
  contents = list(rows[0][1]["pitch_within_50_cents_by_content"])
  lines = ["| within 50 cents, by test pitch (MIDI) | " + " | ".join(contents) + " | all |",
           "| --- |" + " ---: |" * (len(contents) + 1)]
  for label, summary in rows:
    shares = summary["pitch_within_50_cents_by_content"]
    lines.append(f"| {label} | " + " | ".join(f"{100 * shares[c]:.0f}%" for c in contents) +
                 f" | {100 * summary['pitch_within_50_cents']:.0f}% |")
  return "\n".join(lines)


def table_3(rows):
  """Markdown table shaped like Table 3: MCD by acoustic context size."""
  lines = ["| context size | MCD dB (std.) | paper eq. (3) | run |", "| ---: | ---: | ---: | --- |"]
  for context_ms, label, summary in sorted(rows):
    lines.append(f"| {context_ms:g} ms | {_cell(summary['mcd'])} | "
                 f"{_cell(summary['paper_mcd'])} | {label} |")
  return "\n".join(lines)


def figure_2(examples, path, audio_config):
  """Input / target / prediction spectrograms with waveforms beneath (the paper's Fig. 2)."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  columns = [("input", "source", "source_audio"), ("target", "target", "target_audio"),
             ("prediction", "prediction", "waveform")]
  figure, axes = plt.subplots(2 * len(examples), 3, figsize=(12, 3.2 * len(examples)),
                              gridspec_kw={"height_ratios": [3, 1] * len(examples)},
                              squeeze=False)
  for row, example in enumerate(examples):
    record = example["record"]
    for column, (title, features_key, audio_key) in enumerate(columns):
      spectrogram_axis, wave_axis = axes[2 * row, column], axes[2 * row + 1, column]
      spectrogram_axis.imshow(example[features_key].T, origin="lower", aspect="auto",
                              cmap="magma", vmin=math.log(audio_config.log_floor))
      spectrogram_axis.set_title(f"{title}: {record['target_style'] if column else record['source_style']}"
                                 f" / {record['content']}", fontsize=8)
      spectrogram_axis.set_xticks([])
      wave_axis.plot(example[audio_key], linewidth=0.3, color="black")
      wave_axis.set_xlim(0, len(example[audio_key]))
      wave_axis.set_yticks([])
      wave_axis.set_xticks([])
  figure.tight_layout()
  figure.savefig(path, dpi=110)
  plt.close(figure)


def figure_3(run: Run, index: data.Index, path, seed=0):
  """t-SNE of mean-pooled encoder outputs of test notes, coloured by pitch class."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  import sklearn.manifold
  assignment = data.split_content(index.content)
  rows = [r for r in range(len(index.content)) if assignment[index.content[r].item()] == "test"]
  features = index.features(run.config.audio)
  embeddings = []
  for start in range(0, len(rows), 32):
    chunk = rows[start:start + 32]
    batch = data.pad_rows([features[r] for r in chunk], pad_value=-1.0)
    lengths = np.array([len(features[r]) for r in chunk], np.int32)
    memory, mask, _ = run.model.encode(batch, lengths, index.style[chunk])
    weights = tf.cast(mask, tf.float32)[..., tf.newaxis]
    pooled = tf.reduce_sum(memory * weights, 1) / tf.maximum(tf.reduce_sum(weights, 1), 1.0)
    embeddings.append(pooled.numpy())
  embeddings = np.concatenate(embeddings)
  points = sklearn.manifold.TSNE(n_components=2, perplexity=min(30, len(rows) - 1),
                                 random_state=seed, init="pca").fit_transform(embeddings)
  pitches = np.array([int(index.content[r]) for r in rows])
  names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
  figure, axis = plt.subplots(figsize=(7, 6))
  scatter = axis.scatter(points[:, 0], points[:, 1], c=pitches % 12, cmap="hsv", s=14,
                         vmin=0, vmax=12)
  for pitch in sorted(set(pitches.tolist())):
    centre = points[pitches == pitch].mean(axis=0)
    axis.annotate(f"{names[pitch % 12]}{pitch // 12 - 1}", centre, fontsize=7)
  colorbar = figure.colorbar(scatter, ticks=range(12))
  colorbar.ax.set_yticklabels(names)
  axis.set_title(f"t-SNE of encoder outputs, test notes ({run.label})")
  figure.tight_layout()
  figure.savefig(path, dpi=110)
  plt.close(figure)


def write_example_audio(examples, output_dir, audio_config, overwrite=False):
  """input / target / prediction WAVs per example (Figure 2's sounds)."""
  paths = []
  for number, example in enumerate(examples):
    for name, key in (("input", "source_audio"), ("target", "target_audio"),
                      ("prediction", "waveform")):
      waveform = np.asarray(example[key], np.float32)
      peak = float(np.max(np.abs(waveform))) if waveform.size else 0.0
      if peak > 1.0:
        waveform = waveform / peak
      path = os.path.join(output_dir, f"example{number}_{name}.wav")
      io.write_audio(path, waveform, audio_config.sample_rate, overwrite=overwrite)
      paths.append(path)
  return paths


def write_output(path, text, overwrite=False):
  """Writes a result file atomically; refuses to replace one unless ``overwrite``."""
  if tf.io.gfile.exists(path) and not overwrite:
    raise FileExistsError(f"{path}: already exists; pass --overwrite to replace it")
  with tf.io.gfile.GFile(path + ".tmp", "w") as handle:
    handle.write(text)
  tf.io.gfile.rename(path + ".tmp", path, overwrite=True)
