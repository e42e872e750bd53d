"""Evaluation on unseen content, in the field's terms: Table 2 / Table 3 columns.

For every test pair (content never seen in training) a model generates
autoregressively -- for as many frames as the target for notes, until its
stop token for words -- and its output is vocoded by the model's in-graph
path (mel inverse or post-net, Griffin-Lim, de-emphasis). Three candidates
are judged against the *real target recording*, each by judges the model was
never trained against (``Judges``):

* the model's output; the source recording (copy-the-source baseline); the
  true target's log-mel through the same vocoder (the vocoder ceiling: what a
  perfect log-mel prediction would score).

Columns (``score_pair``, ``summarize``):

* **MCD** -- the field's (``metrics.standard_mcd``: WORLD, sp2mc, alpha 0.42,
  c1-c24, voiced frames, DTW) to the real target recording, mean ± 95% CI;
* **closer to target than source** -- per pair, is the output's MCD to the
  target recording below its MCD to the source recording (did it move?);
* **target / source style recognised** -- a logistic-regression classifier
  on per-clip log-mel statistics, trained on the training split's clips after
  the vocoding path (so Griffin-Lim's artifacts are not taken for style); its
  accuracy on vocoded test clips is its ceiling. "Source style recognised"
  should fall towards 0 for a conversion;
* **paper eq. (3)** -- the paper's formula on the log-mel prediction itself;
* notes: **pitch** within 50 cents of the note and median absolute cents
  (``pitch.py``, pyin);
* words: **word recognised** by pocketsphinx restricted to the dataset's word
  list (``recognition.py``), **duration ratio** output / target recording,
  and **F0 toward the target speaker**: the output's median F0 (WORLD) closer
  in log-F0 to the target speaker's median than to the source speaker's.

Shares come with 95% Wilson intervals. The real target recordings are judged
too (pitch, words): the judges' own ceiling.
"""

import dataclasses
import json
import math
import os
import time

import keras
import numpy as np
import sklearn.linear_model
import sklearn.pipeline
import sklearn.preprocessing
import tensorflow as tf

from tf_transforms import audio, data, io, metrics, models  # noqa: F401 (models: registration)
from tf_transforms import figures, pitch, recognition
from tf_transforms.training import RunConfig


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


def content_kind(dataset_name: str) -> str:
  """"pitch" (notes: MIDI content), "word" (speech) or other, from the
  dataset's spec (``data.DATASETS``)."""
  return data.DATASETS[dataset_name].content


@dataclasses.dataclass
class Judgement:
  """What the independent judges say about one clip.

  Attributes:
    analysis: WORLD analysis (mel-cepstrum and F0) for the MCD and F0 measures.
    style: the style classifier's label (style id).
    seconds: duration.
    pitch_cents: notes: cents off the clip's note (pyin; nan: unvoiced).
    word: words: what the recogniser heard ("" for nothing).
  """

  analysis: metrics.WorldAnalysis
  style: int
  seconds: float
  pitch_cents: float = math.nan
  word: str = ""


class Judges:
  """The judges of one dataset, shared by every run evaluated on it.

  Trained or built once per ``evaluate.py`` call: the style classifier (on the
  training split, ``train_style_classifier``), for words the closed-vocabulary
  recogniser (``recognition.WordRecognizer`` over every word of the dataset)
  and each speaker's median F0 (WORLD, training-split clips). Judgements of
  real recordings are cached by row, so Table 2's runs share them.
  """

  SPEAKER_F0_CLIPS = 12  # training clips per speaker for its median F0

  def __init__(self, index: data.Index, dataset_name: str, audio_config, every: int = 6):
    self.index = index
    self.audio_config = audio_config
    self.kind = content_kind(dataset_name)
    self.classifier, self.classifier_accuracy = train_style_classifier(
        index, audio_config, every)
    self.recognizer = None
    self.speaker_f0 = {}
    if self.kind == "word":
      self.recognizer = recognition.WordRecognizer(index.content.tolist())
      self.speaker_f0 = self._speaker_f0(every)
    self._recordings = {}

  def _speaker_f0(self, every):
    """{style id: median F0 in Hz} over up to SPEAKER_F0_CLIPS training clips each."""
    assignment = data.split_content(self.index.content, every)
    rate = self.audio_config.sample_rate
    out = {}
    for style in range(len(self.index.vocabulary)):
      rows = [r for r in np.flatnonzero(self.index.style == style)
              if assignment[self.index.content[r].item()] == "train"][:self.SPEAKER_F0_CLIPS]
      medians = [metrics.world_analysis(_at_least(self.index.audio(r)), rate).median_f0()
                 for r in rows]
      medians = [m for m in medians if math.isfinite(m)]
      out[style] = float(np.median(medians)) if medians else math.nan
    return out

  def judge(self, waveform, log_mel, content) -> Judgement:
    """Judges one clip: ``waveform`` float [samples], ``log_mel`` natural-log
    mel [T, F] (the classifier's input), ``content`` its pitch or word."""
    rate = self.audio_config.sample_rate
    waveform = np.asarray(waveform, np.float32)
    judgement = Judgement(
        analysis=metrics.world_analysis(_at_least(waveform), rate),
        style=int(self.classifier.predict(clip_statistics(log_mel)[np.newaxis])[0]),
        seconds=len(waveform) / rate)
    if self.kind == "pitch":
      judgement.pitch_cents = pitch.cents_off_note(waveform, rate, float(content))
    elif self.kind == "word":
      judgement.word = self.recognizer.recognize(waveform, rate)
    return judgement

  def recording(self, row) -> Judgement:
    """The judgement of real recording ``row`` (cached): its unvocoded log-mel
    goes to the classifier."""
    row = int(row)
    if row not in self._recordings:
      log_mel = audio.denormalize_log_spectrogram(
          self.index.features(self.audio_config)[row], self.audio_config).numpy()
      self._recordings[row] = self.judge(self.index.audio(row), log_mel,
                                         self.index.content[row].item())
    return self._recordings[row]

  def toward_target_speaker(self, f0_hz, source_style, target_style) -> bool:
    """Is ``f0_hz`` closer in log-F0 to the target speaker's median than to the
    source speaker's? False when unvoiced or a speaker's F0 is unknown."""
    target, source = self.speaker_f0.get(target_style), self.speaker_f0.get(source_style)
    if not all(v is not None and math.isfinite(v) and v > 0 for v in (f0_hz, target, source)):
      return False
    return abs(math.log(f0_hz / target)) < abs(math.log(f0_hz / source))


def _at_least(waveform, samples=metrics.WORLD_FFT_SIZE):
  """Zero-pads a clip shorter than the WORLD analysis window (a model that stops
  after a frame or two) so it is judged, as the near-silence it is."""
  waveform = np.asarray(waveform, np.float32)
  return np.pad(waveform, (0, max(0, samples - len(waveform))))


def score_pair(judges: Judges, candidates: dict, source: Judgement, target: Judgement,
               source_style: int, target_style: int, content) -> dict:
  """Per-pair measures for each candidate against the real target recording.

  Args:
    candidates: {prefix: Judgement}: "" the model's output, "copy_" the source
      recording, "oracle_" the true target vocoded.
    source, target: judgements of the real source and target recordings.

  Returns:
    {prefix + measure: value}; measures: ``mcd`` (to the target recording),
    ``mcd_to_source`` (to the source recording), ``closer_to_target``,
    ``voiced``, ``style_recognised``, ``source_style_recognised``; notes:
    ``pitch_cents``; words: ``word_recognised``, ``duration_ratio``, ``f0_hz``,
    ``f0_toward_target_speaker``; and ``real_target_pitch_cents`` /
    ``real_target_word_recognised`` for the real target recording itself.
  """
  record = {}
  word = str(content).lower()
  for prefix, judgement in candidates.items():
    mcd = metrics.standard_mcd(target.analysis, judgement.analysis)
    to_source = (0.0 if judgement is source else
                 metrics.standard_mcd(source.analysis, judgement.analysis))
    record.update({
        prefix + "mcd": mcd, prefix + "mcd_to_source": to_source,
        prefix + "closer_to_target": bool(mcd < to_source),
        prefix + "voiced": bool(judgement.analysis.mcd_frames()[1]),
        prefix + "style_recognised": judgement.style == target_style,
        prefix + "source_style_recognised": judgement.style == source_style,
    })
    if judges.kind == "pitch":
      record[prefix + "pitch_cents"] = judgement.pitch_cents
    elif judges.kind == "word":
      f0 = judgement.analysis.median_f0()
      record.update({
          prefix + "word_recognised": judgement.word == word,
          prefix + "duration_ratio": judgement.seconds / target.seconds,
          prefix + "f0_hz": f0,
          prefix + "f0_toward_target_speaker": judges.toward_target_speaker(
              f0, source_style, target_style),
      })
  if judges.kind == "pitch":
    record["real_target_pitch_cents"] = target.pitch_cents
  elif judges.kind == "word":
    record["real_target_word_recognised"] = target.word == word
    record["real_target_f0_toward_target_speaker"] = judges.toward_target_speaker(
        target.analysis.median_f0(), source_style, target_style)
  return record


def count_test_pairs(index: data.Index, seed: int = 0) -> int:
  """How many pairs ``evaluate_run`` scores (one per test-split example)."""
  return len(data.sample_pairs(index, "test", seed=seed))


def evaluate_run(run: Run, index: data.Index, judges: Judges, *, batch_size=16,
                 max_pairs=None, seed=0, keep=4, progress=print):
  """Generates every test pair with ``run`` and scores it (``score_pair``).

  Notes are generated for exactly the target's frame count; words until the
  stop token. Outputs and the true targets are vocoded by the model's own
  in-graph path (``model.to_audio``).

  Returns:
    (records: one dict per pair, examples: up to ``keep`` for Figure 2).
  """
  audio_config = run.config.audio
  fixed = data.DATASETS[run.config.dataset].fixed_length
  total = count_test_pairs(index, seed)
  total = total if max_pairs is None else min(total, max_pairs)
  records, examples = [], []
  test = data.pair_dataset(index, "test", batch_size, seed=seed, epochs=1, cache_features=True,
                           audio_config=audio_config)
  vocode = tf.function(lambda outputs: run.model.to_audio(outputs, audio_config))

  def natural(frames, length):  # normalised [T, F] -> natural-log mel, trimmed
    return audio.denormalize_log_spectrogram(
        np.asarray(frames[:int(length)], np.float32), audio_config).numpy()

  def clip(waveforms, i, frames):
    return waveforms[i, :max(1, (int(frames) - 1) * audio_config.frame_step)]

  started = time.monotonic()
  for batch in test:
    outputs = run.model.generate(batch["source"], batch["source_length"],
                                 batch["source_style"], batch["target_style"],
                                 num_frames=int(tf.reduce_max(batch["target_length"]))
                                 if fixed else None)
    waveforms = vocode(outputs).numpy()
    target_waveforms = vocode({"frames": batch["target"]}).numpy()
    lengths = outputs["lengths"].numpy()
    for i in range(int(batch["source"].shape[0])):
      if len(records) >= total:
        break
      target_length = int(batch["target_length"][i])
      length = target_length if fixed else int(lengths[i])
      source_row, target_row = int(batch["source_row"][i]), int(batch["target_row"][i])
      source_style, target_style = int(batch["source_style"][i]), int(batch["target_style"][i])
      content = index.content[target_row].item()
      waveform = clip(waveforms, i, length)
      target_waveform = clip(target_waveforms, i, target_length)
      candidates = {
          "": judges.judge(waveform, audio.log_mel_spectrogram(waveform, audio_config).numpy(),
                           content),
          "copy_": judges.recording(source_row),
          "oracle_": judges.judge(target_waveform, audio.log_mel_spectrogram(
              target_waveform, audio_config).numpy(), content),
      }
      prediction = natural(outputs["frames"][i], length)
      target = natural(batch["target"][i], target_length)
      source = natural(batch["source"][i], batch["source_length"][i])
      record = {"source_row": source_row, "target_row": target_row, "content": content,
                "source_style": run.vocabulary.name(source_style),
                "target_style": run.vocabulary.name(target_style),
                "paper_mcd": metrics.paper_mcd(target, prediction),
                "copy_paper_mcd": metrics.paper_mcd(target, source),
                **score_pair(judges, candidates, candidates["copy_"],
                             judges.recording(target_row), source_style, target_style,
                             content)}
      records.append(record)
      if len(examples) < keep:
        examples.append({"record": record, "source": source, "target": target,
                         "prediction": prediction, "waveform": waveform,
                         "source_audio": index.audio(source_row),
                         "target_audio": index.audio(target_row)})
    progress(f"{run.label}: {len(records)}/{total} test pairs scored "
             f"({time.monotonic() - started:.0f} s)")
    if len(records) >= total:
      break
  return records, examples


def share(values):
  """Share of True in ``values`` with its 95% Wilson score interval."""
  values = np.asarray(values, bool).ravel()
  low, high = metrics.share_confidence_interval(int(values.sum()), values.size)
  return {"share": float(values.mean()) if values.size else math.nan,
          "ci95": [low, high], "n": int(values.size)}


def mean_ci(values):
  """Mean and 95% CI half-width of the finite ``values``."""
  values = [v for v in values if v is not None and math.isfinite(v)]
  if len(values) < 2:
    return {"mean": float(values[0]) if values else math.nan, "ci95": math.nan,
            "n": len(values)}
  mean, half = metrics.mean_confidence_interval(values)
  return {"mean": mean, "ci95": half, "n": len(values)}


def summarize(records, prefix=""):
  """Table 2's numbers for one candidate (``prefix``: "" the model, "copy_"
  the copy-the-source baseline, "oracle_" the vocoded true target)."""
  def column(key):
    return [r[prefix + key] for r in records]

  summary = {"pairs": len(records), "mcd": mean_ci(column("mcd")),
             "closer_to_target": share(column("closer_to_target")),
             "style_recognised": share(column("style_recognised")),
             "source_style_recognised": share(column("source_style_recognised")),
             "voiced": share(column("voiced"))}
  if records and prefix + "paper_mcd" in records[0]:
    summary["paper_mcd"] = mean_ci(column("paper_mcd"))
  if records and prefix + "pitch_cents" in records[0]:
    summary.update(pitch_summary(records, prefix + "pitch_cents"))
  if records and prefix + "word_recognised" in records[0]:
    summary.update({"word_recognised": share(column("word_recognised")),
                    "duration_ratio": mean_ci(column("duration_ratio")),
                    "f0_toward_target_speaker": share(column("f0_toward_target_speaker"))})
  return summary


def real_target_summary(records):
  """What the judges say about the real target recordings (no vocoder)."""
  if records and "real_target_pitch_cents" in records[0]:
    return pitch_summary(records, "real_target_pitch_cents")
  if records and "real_target_word_recognised" in records[0]:
    return {"word_recognised": share([r["real_target_word_recognised"] for r in records]),
            "f0_toward_target_speaker": share(
                [r["real_target_f0_toward_target_speaker"] for r in records])}
  return {}


def pitch_summary(records, key="pitch_cents"):
  """Share of ``records[key]`` (cents off the target note; nan: unvoiced)
  within 50 cents, overall and per content (test pitch), and the median
  absolute error (unvoiced counts as a miss and is left out of the median).
  ``key="real_target_pitch_cents"``: what pyin reads from the real target
  recordings -- the pitch measurement's own ceiling."""
  cents = np.array([r[key] for r in records], np.float64)
  within = np.abs(cents) <= 50.0  # nan -> False
  contents = np.array([r["content"] for r in records])
  voiced = np.isfinite(cents)
  return {"pitch_within_50_cents": share(within),
          "pitch_median_abs_cents": float(np.median(np.abs(cents[voiced])))
          if voiced.any() else math.nan,
          "pitch_unvoiced": float(np.mean(~voiced)),
          "pitch_within_50_cents_by_content": {
              str(c): float(np.mean(within[contents == c]))
              for c in sorted(set(contents.tolist()))}}


def _cell(stat):
  return f"{stat['mean']:.2f} ± {stat['ci95']:.2f}" if math.isfinite(stat["ci95"]) else (
      f"{stat['mean']:.2f}" if math.isfinite(stat["mean"]) else "—")


def _share_cell(stat):
  if stat is None or not stat["n"]:
    return "—"
  low, high = stat["ci95"]
  return f"{100 * stat['share']:.0f}% ({100 * low:.0f}–{100 * high:.0f})"


def table_2(rows, kind, judges_note=""):
  """Markdown table shaped like the paper's Table 2 (objective columns).

  Args:
    rows: [(label, summary)] from ``summarize`` / ``real_target_summary``.
    kind: "pitch" (notes) or "word" (speech): which content columns.
    judges_note: a line under the table naming the judges and their ceilings.
  """
  content_header = {"pitch": ["pitch ±50 cents", "median abs. cents"],
                    "word": ["word recognised", "duration ÷ target",
                             "F0 toward target speaker"]}.get(kind, [])
  header = (["method", "MCD dB", "closer to target than source", "target style recognised",
             "source style recognised", "paper eq. (3)"] + content_header + ["pairs"])
  lines = ["| " + " | ".join(header) + " |", "|" + " --- |" + " ---: |" * (len(header) - 1)]
  for label, summary in rows:
    cells = [label, _cell(summary["mcd"]) if "mcd" in summary else "0 (itself)",
             _share_cell(summary.get("closer_to_target")),
             _share_cell(summary.get("style_recognised")),
             _share_cell(summary.get("source_style_recognised")),
             _cell(summary["paper_mcd"]) if "paper_mcd" in summary else "—"]
    if kind == "pitch":
      median = summary.get("pitch_median_abs_cents")
      cells += [_share_cell(summary.get("pitch_within_50_cents")),
                "—" if median is None or not math.isfinite(median) else f"{median:.0f}"]
    elif kind == "word":
      ratio = summary.get("duration_ratio")
      cells += [_share_cell(summary.get("word_recognised")),
                _cell(ratio) if ratio else "—",
                _share_cell(summary.get("f0_toward_target_speaker"))]
    cells.append(str(summary.get("pairs", "")))
    lines.append("| " + " | ".join(cells) + " |")
  note = (f"\nMCD: {metrics.MCD_CONVENTION}; mean ± 95% CI over pairs. Shares: 95% Wilson "
          "intervals in brackets. paper eq. (3): the paper's formula on 80-band log-mel "
          "frames (not comparable with MCD).")
  return "\n".join(lines) + note + (f"\n{judges_note}" if judges_note else "")


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
                 f" | {100 * summary['pitch_within_50_cents']['share']:.0f}% |")
  return "\n".join(lines)


def table_3(rows):
  """Markdown table shaped like Table 3: MCD by acoustic context size."""
  lines = ["| context size | MCD dB | closer to target than source | paper eq. (3) | run |",
           "| ---: | ---: | ---: | ---: | --- |"]
  for context_ms, label, summary in sorted(rows):
    lines.append(f"| {context_ms:g} ms | {_cell(summary['mcd'])} | "
                 f"{_share_cell(summary['closer_to_target'])} | "
                 f"{_cell(summary['paper_mcd'])} | {label} |")
  return "\n".join(lines) + f"\n\nMCD: {metrics.MCD_CONVENTION}."

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


def check_runs(runs):
  """Refuses runs that cannot share one evaluation (other data, features or
  styles, or two runs with the same label); returns None or raises ValueError."""
  first = runs[0].config
  labels = [run.label for run in runs]
  duplicates = sorted({label for label in labels if labels.count(label) > 1})
  if duplicates:
    raise ValueError(f"--model_dir: several runs are named {duplicates}; results are keyed by "
                     "the directory's name, so give each run a distinct one")
  for run in runs[1:]:
    if (run.config.dataset, run.config.dataset_config, run.config.soundfont,
        run.config.audio) != (first.dataset, first.dataset_config, first.soundfont, first.audio):
      raise ValueError(f"{run.model_dir} was trained on other data or features than "
                       f"{runs[0].model_dir}; evaluate them separately")


def output_names(runs, sweep=None):
  """Every file ``evaluate_runs`` writes, relative to the output directory."""
  names = ["table2.md", "results.json"]
  pitched = content_kind(runs[0].config.dataset) == "pitch"
  names += ["pitch.md"] if pitched else []
  names += ["table3.md"] if sweep else []
  for run in runs:
    names.append(f"figure2_{run.label}.png")
    names += [f"figure3_{run.label}.png"] if pitched else []
    names += [os.path.join(run.label, f"example{n}_{kind}.wav")
              for n in range(4) for kind in ("input", "target", "prediction")]
  return names


def check_outputs(runs, output_dir, *, sweep=None, overwrite=False):
  """Refuses, before any work, what ``evaluate_runs`` could not do: runs that
  cannot share an evaluation (``check_runs``), an unknown sweep, or outputs
  that exist already (unless ``overwrite``). Raises ValueError / FileExistsError."""
  if sweep not in (None, "context_ms"):
    raise ValueError(f"--sweep supports context_ms only. Received {sweep!r}")
  check_runs(runs)
  existing = [n for n in output_names(runs, sweep)
              if tf.io.gfile.exists(os.path.join(output_dir, n))]
  if existing and not overwrite:
    raise FileExistsError(f"{os.path.join(output_dir, existing[0])}: already exists; "
                          "pass --overwrite to replace it")


def evaluate_runs(runs, index: data.Index, output_dir, *, sweep=None, max_pairs=None, seed=0,
                  overwrite=False, progress=print):
  """Scores ``runs`` on ``index``'s test pairs; writes tables, figures and WAVs.

  Args:
    runs: ``Run``s trained on the same data (``check_runs``).
    output_dir: receives table2.md, pitch.md (notes), table3.md (``sweep``
      "context_ms"), results.json (every number, per pair too), and per run
      figure2_<run>.png, figure3_<run>.png (notes) and <run>/example*.wav.
    overwrite: replace existing outputs; without it, an existing one is
      refused before any work is done.

  Returns:
    The results dict written to results.json.
  """
  check_outputs(runs, output_dir, sweep=sweep, overwrite=overwrite)
  first = runs[0].config
  for run in runs:
    if run.vocabulary != index.vocabulary:
      raise ValueError(f"{run.model_dir}/styles.json does not match the dataset's styles")
  tf.io.gfile.makedirs(output_dir)
  progress("training the style classifier (and, for words, building the recogniser)...")
  judges = Judges(index, first.dataset, first.audio)
  judges_note = (f"Style classifier: {judges.classifier_accuracy:.0%} on vocoded real test "
                 f"clips ({len(index.vocabulary)} styles; chance "
                 f"{1 / len(index.vocabulary):.0%}).")
  if judges.recognizer is not None:
    judges_note += (f" Word recogniser: pocketsphinx en-US, grammar of the dataset's "
                    f"{len(judges.recognizer.vocabulary)} words (chance "
                    f"{1 / len(judges.recognizer.vocabulary):.1%}).")
  progress(judges_note)

  results = {"dataset": first.dataset, "mcd_convention": metrics.MCD_CONVENTION,
             "style_classifier_test_accuracy": judges.classifier_accuracy, "runs": {}}
  if judges.recognizer is not None:
    results["recognizer_vocabulary"] = list(judges.recognizer.vocabulary)
    results["speaker_median_f0_hz"] = {index.vocabulary.name(s): f
                                       for s, f in judges.speaker_f0.items()}
  rows, sweep_rows = [], []
  for number, run in enumerate(runs):
    records, examples = evaluate_run(run, index, judges, max_pairs=max_pairs, seed=seed,
                                     progress=progress)
    if number == 0:
      real = real_target_summary(records)
      if real:
        rows.append(("real target recordings (no vocoder)", real))
        results["real_target"] = real
      results["copy_baseline"] = summarize(records, prefix="copy_")
      rows.append(("copy the source (output = input)", results["copy_baseline"]))
      results["vocoded_target"] = summarize(records, prefix="oracle_")
      rows.append(("vocoded true target (ceiling)", results["vocoded_target"]))
    summary = summarize(records)
    rows.append((f"{run.config.model.method} ({run.label})", summary))
    sweep_rows.append((run.config.model.context_frames * 12.5, run.label, summary))
    results["runs"][run.label] = {"model_dir": run.model_dir, "summary": summary,
                                  "run_config": run.config.to_json(), "pairs": records}
    run_dir = os.path.join(output_dir, run.label)
    tf.io.gfile.makedirs(run_dir)
    write_example_audio(examples, run_dir, run.config.audio, overwrite)
    figures.figure_2(examples, os.path.join(output_dir, f"figure2_{run.label}.png"),
                     run.config.audio)
    if judges.kind == "pitch":
      progress(f"{run.label}: Figure 3 (t-SNE of every note's encoder output)...")
      results["runs"][run.label]["figure3"] = figures.figure_3(
          run.model, index, os.path.join(output_dir, f"figure3_{run.label}.png"),
          run.config.audio, run.label, seed=seed)

  outputs = {"table2.md": table_2(rows, judges.kind, judges_note)}
  if judges.kind == "pitch":
    outputs["pitch.md"] = pitch_table(rows)
  if sweep == "context_ms":
    outputs["table3.md"] = table_3(sweep_rows)
  for name, text in outputs.items():
    write_output(os.path.join(output_dir, name), text + "\n", overwrite)
    progress(f"\n{name}:\n{text}")
  write_output(os.path.join(output_dir, "results.json"),
               json.dumps(results, indent=1, default=_json_default), overwrite)
  return results


def _json_default(value):
  if isinstance(value, (np.integer, np.floating, np.bool_)):
    return value.item()
  raise TypeError(f"not JSON serialisable: {type(value)}")
