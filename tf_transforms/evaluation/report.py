"""``evaluate.py``'s work: check the request, judge every run, write the results.

``check_outputs`` refuses, before any work, what cannot be done;
``evaluate_runs`` builds the judges once, scores every run
(``scoring.evaluate_run``), and writes the tables (``tables.py``), figures
(``figures.py``), example WAVs and results.json.
"""

import json
import os

import numpy as np
import tensorflow as tf

from tf_transforms.core.configs import EVALUATION_SPLITS
from tf_transforms.core.errors import RunError
from tf_transforms.core.files import staged_directory, write_text
from tf_transforms.data import pipeline
from tf_transforms.evaluation import figures, metrics, tables
from tf_transforms.evaluation.judges import CLASSIFIER_CLIPS_PER_STYLE, Judges
from tf_transforms.evaluation.scoring import evaluate_run, prepare_judgements
from tf_transforms.signal import audio_files
from tf_transforms.training.run import RunConfig, load_run
from tf_transforms.training.run_files import (check_model_dirs, check_started,
                                              check_writable_directory)


def write_example_audio(examples, output_dir, audio_config):
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
      audio_files.write_audio(path, waveform, audio_config.sample_rate)
      paths.append(path)
  return paths


def check_runs(runs):
  """Refuses runs that cannot share one evaluation (other data, features or
  styles, or two runs with the same label); returns None or raises ValueError."""
  first = runs[0].config
  labels = [run.label for run in runs]
  duplicates = sorted({label for label in labels if labels.count(label) > 1})
  if duplicates:
    raise ValueError(f"--model_dir: several runs are named {duplicates}; results are keyed by "
                     "the directory's name, so give each run a distinct one")
  for run in runs:
    if not run.label or run.label.startswith("."):
      raise ValueError(f"--model_dir={run.model_dir}: results are named after the run's "
                       "directory; give a directory with a plain name")
  for run in runs[1:]:
    if (run.config.dataset, run.config.dataset_config, run.config.soundfont,
        run.config.audio) != (first.dataset, first.dataset_config, first.soundfont, first.audio):
      raise ValueError(f"{run.model_dir} was trained on other data or features than "
                       f"{runs[0].model_dir}; evaluate them separately")


def check_split(split):
  """Refuses an evaluation split other than ``EVALUATION_SPLITS`` (ValueError)."""
  if split not in EVALUATION_SPLITS:
    raise ValueError(f"--split must be one of {EVALUATION_SPLITS}. Received {split!r}")


def output_names(runs, sweep=None, foreign=False):
  """Every file ``evaluate_runs`` writes, relative to the output directory
  (``foreign``: scoring foreign sources, without Figure 3)."""
  names = ["table2.md", "results.json"]
  pitched = runs[0].spec.pitched
  names += ["pitch.md", "family.md"] if pitched else []
  names += ["table3.md"] if sweep else []
  for run in runs:
    names.append(f"figure2_{run.label}.png")
    names += [f"figure3_{run.label}.png"] if pitched and not foreign else []
    names += [os.path.join(run.label, f"example{n}_{kind}.wav")
              for n in range(4) for kind in ("input", "target", "prediction")]
  return names


# What the last evaluation into an --output_dir wrote (files.staged_directory):
# --overwrite replaces that set whole, so two runs' files never mix.
OUTPUT_MANIFEST = ".evaluation-files.json"


SOURCE_AS = ("named", "unknown", "nearest")


def check_outputs(runs, output_dir, *, sweep=None, overwrite=False, split="test",
                  source_as="named", foreign=False):
  """Refuses, before any work, what ``evaluate_runs`` could not do: runs that
  cannot share an evaluation (``check_runs``), an unknown sweep or split,
  sources given as unknown to a run not trained for them (``source_as``),
  foreign sources "named" or in-set ones "nearest", or outputs that exist
  already (unless ``overwrite``). Raises ValueError / FileExistsError."""
  if sweep not in (None, "context_ms"):
    raise ValueError(f"--sweep supports context_ms only. Received {sweep!r}")
  check_split(split)
  check_runs(runs)
  if source_as not in SOURCE_AS:
    raise ValueError(f"--source_as must be one of {SOURCE_AS}. Received {source_as!r}")
  if foreign and source_as == "named":
    raise ValueError("--source_as=named: foreign sources have no training style; give "
                     "--source_as=unknown or nearest")
  if not foreign and source_as == "nearest":
    raise ValueError("--source_as=nearest is for --foreign_sources (in-set sources are named)")
  if foreign and sweep:
    raise ValueError("--foreign_sources: give no --sweep")
  if source_as == "unknown":
    refused = [run.model_dir for run in runs if not run.config.accepts_unknown_source]
    if refused:
      raise ValueError(f"--source_as=unknown: {refused[0]} was trained with every source named "
                       "(unknown_source_share 0)")
  check_writable_directory(output_dir, "--output_dir")
  existing = [n for n in output_names(runs, sweep, foreign=foreign)
              if tf.io.gfile.exists(os.path.join(output_dir, n))]
  if existing and not overwrite:
    raise FileExistsError(f"{os.path.join(output_dir, existing[0])}: already exists; "
                          "pass --overwrite to replace it")


def evaluate_runs(runs, index: pipeline.Index, output_dir, *, sweep=None, max_pairs=None, seed=0,
                  overwrite=False, processes=None, progress=print, split="test",
                  source_as="named"):
  """Scores ``runs`` on ``index``'s test pairs (``split="valid"``: the
  validation split's, to choose settings); writes tables, figures and WAVs.

  Everything is written to a staging directory first and moved into
  ``output_dir`` only when the whole evaluation succeeded
  (``files.staged_directory``): a failed or interrupted evaluation leaves the
  previous results as they were.

  Args:
    runs: ``Run``s trained on the same data (``check_runs``).
    output_dir: receives table2.md, pitch.md and family.md (notes), table3.md (``sweep``
      "context_ms"), results.json (every number, per pair too), and per run
      figure2_<run>.png, figure3_<run>.png (notes) and <run>/example*.wav.
    overwrite: replace existing outputs; without it, an existing one is
      refused before any work is done.
    processes: worker processes for the judges' WORLD, pyin and recogniser
      (``clip_analysis.Analyser``; None: one per available CPU, 1: none).
    source_as: what the model is told of each source's style: "named" (its
      own), or "unknown"; for an ``index`` with foreign sources
      (``pipeline.with_foreign_sources``), whose pairs are scored instead of
      ``split``'s, "unknown" or their "nearest" training style
      (``nearest_styles``).

  Returns:
    The results dict written to results.json.
  """
  check_outputs(runs, output_dir, sweep=sweep, overwrite=overwrite, split=split,
                source_as=source_as, foreign=index.foreign_from is not None)
  for run in runs:
    if run.vocabulary != index.vocabulary:
      raise ValueError(f"{run.model_dir}/styles.json does not match the dataset's styles")
  with staged_directory(output_dir, manifest=OUTPUT_MANIFEST) as staging:
    return _evaluate_into(runs, index, staging, sweep, max_pairs, seed, progress, processes,
                          split, source_as)


def _evaluate_into(runs, index, output_dir, sweep, max_pairs, seed, progress, processes, split,
                   source_as):
  first = runs[0].config
  progress("training the style classifier (and, for words, building the recogniser)...")
  with Judges(index, first.audio, cache_dir=index.data_dir,
              processes=processes) as judges:
    return _judge_into(runs, index, judges, output_dir, sweep, max_pairs, seed, progress, split,
                       source_as)


def nearest_styles(index: pipeline.Index, judges: Judges, every=6) -> dict:
  """Sets each foreign source's ``index.style`` to its nearest training style
  -- the one the style classifier assigns most of that source's recordings
  of training-split content to (the first ``CLASSIFIER_CLIPS_PER_STYLE``;
  all its recordings if it has none there) -- and returns {foreign style name: nearest training style name}."""
  rows = np.arange(index.foreign_from, len(index.content))
  assignment = pipeline.split_content(index.content[index.recordings], every)
  names = np.array([index.style_name(r) for r in rows])
  limit = CLASSIFIER_CLIPS_PER_STYLE["train"]  # as many as the classifier learns a style from
  nearest = {}
  for name in sorted(set(names)):
    own = rows[names == name]
    voting = [r for r in own if assignment.get(index.content[r].item()) == "train"] or own
    votes = np.bincount(judges.recorded_styles(voting[:limit]), minlength=len(index.vocabulary))
    index.style[own] = int(np.argmax(votes))
    nearest[name] = index.vocabulary.name(int(np.argmax(votes)))
  return nearest


def _judge_into(runs, index, judges, output_dir, sweep, max_pairs, seed, progress, split,
                source_as):
  first = runs[0].config
  judges_note = (f"Style classifier: {judges.classifier_accuracy:.0%} on vocoded real test "
                 f"clips ({len(index.vocabulary)} styles; chance "
                 f"{1 / len(index.vocabulary):.0%}).")
  pairs, foreign = None, None
  if source_as == "unknown" and index.foreign_from is None:
    judges_note += " Every source's style hidden from the model (source unknown)."
  if index.foreign_from is not None:
    nearest = nearest_styles(index, judges)
    pairs = pipeline.foreign_pairs(index, split, seed=seed)
    if not len(pairs):
      raise RunError(f"--foreign_sources: none of their recordings' contents is in the run's "
                     f"{split} split, in another style: nothing to score")
    foreign = {"source_as": source_as, "nearest_training_style": nearest,
               "styles": len(nearest), "recordings": len(index.content) - index.foreign_from}
    judges_note += (f" Sources: {foreign['recordings']} recordings of {len(nearest)} styles the "
                    f"runs never heard, told to the model as "
                    + ("unknown" if source_as == "unknown" else "their nearest training style")
                    + "; 'source style recognised' is their nearest training style's (the "
                    "style classifier's majority on their training-split recordings).")
  if judges.recognizer is not None:
    judges_note += (f" Word recogniser: pocketsphinx en-US, grammar of the dataset's "
                    f"{len(judges.recognizer.vocabulary)} words (chance "
                    f"{1 / len(judges.recognizer.vocabulary):.1%}).")
  progress(judges_note)

  if split != "test":
    judges_note += f" Scored on the {split} split's pairs, not the test split's."
  results = {"dataset": first.dataset, "split": split, "mcd_convention": metrics.MCD_CONVENTION,
             "style_classifier_test_accuracy": judges.classifier_accuracy, "runs": {}}
  results["source_as"] = source_as
  if foreign:
    results["foreign_sources"] = foreign
  if judges.recognizer is not None:
    results["recognizer_vocabulary"] = list(judges.recognizer.vocabulary)
    results["speaker_median_f0_hz"] = {index.vocabulary.name(s): f
                                       for s, f in judges.speaker_f0.items()}
  rows, run_rows, sweep_rows = [], [], []
  for number, run in enumerate(runs):
    records, examples = evaluate_run(run, index, judges, max_pairs=max_pairs, seed=seed,
                                     progress=progress, split=split, pairs=pairs,
                                     hide_source=source_as == "unknown")
    judges.cache.save()  # model-independent judgements, for the next evaluation
    if number == 0:
      real = tables.real_target_summary(records)
      if real:
        rows.append(("real target recordings (no vocoder)", real))
        results["real_target"] = real
      results["copy_baseline"] = tables.summarize(records, prefix="copy_")
      rows.append(("copy the source (output = input)", results["copy_baseline"]))
      results["vocoded_target"] = tables.summarize(records, prefix="oracle_")
      rows.append(("vocoded true target (ceiling)", results["vocoded_target"]))
    summary = tables.summarize(records)
    rows.append((f"{run.config.model.method} ({run.label})", summary))
    run_rows.append(rows[-1])
    sweep_rows.append((run.config.context_ms, run.label, summary))
    results["runs"][run.label] = {"model_dir": run.model_dir, "summary": summary,
                                  "run_config": run.config.to_json(), "pairs": records}
    run_dir = os.path.join(output_dir, run.label)
    tf.io.gfile.makedirs(run_dir)
    write_example_audio(examples, run_dir, run.config.audio)
    figures.figure_2(examples, os.path.join(output_dir, f"figure2_{run.label}.png"),
                     run.config.audio)
    if judges.kind == "pitch" and not foreign:
      progress(f"{run.label}: Figure 3 (t-SNE of every note's encoder output)...")
      results["runs"][run.label]["figure3"] = figures.figure_3(
          run.model, index, os.path.join(output_dir, f"figure3_{run.label}.png"),
          run.config.audio, run.label, seed=seed)

  outputs = {"table2.md": tables.table_2(rows, judges.kind, judges_note)}
  if judges.kind == "pitch":
    outputs["pitch.md"] = tables.pitch_table(rows)
    outputs["family.md"] = tables.family_table(run_rows)
  if sweep == "context_ms":
    outputs["table3.md"] = tables.table_3(sweep_rows)
  for name, text in outputs.items():
    write_text(os.path.join(output_dir, name), text + "\n")
    progress(f"\n{name}:\n{text}")
  write_text(os.path.join(output_dir, "results.json"),
             json.dumps(results, indent=1, default=_json_default))
  return results


def _json_default(value):
  if isinstance(value, (np.integer, np.floating, np.bool_)):
    return value.item()
  raise TypeError(f"not JSON serialisable: {type(value)}")


def evaluate(model_dirs, output_dir, *, data_dir=None, manual_dir=None, sweep=None,
             max_pairs=None, seed=0, overwrite=False, processes=None, progress=print,
             split="test", foreign_sources=None, source_as=None):
  """``evaluate.py``: loads the runs, refuses what cannot be done (before the
  dataset is loaded or built), then ``evaluate_runs`` on their dataset.

  Raises:
    RunError: a directory is not a finished run, the runs cannot share an
      evaluation, or outputs exist (without ``overwrite``) -- before any work.
  """
  check_model_dirs(model_dirs)  # all of them, before the first is loaded
  if foreign_sources is not None:
    from tf_transforms.data import folder_dataset
    folder_dataset.describe(foreign_sources)  # (refused before the runs load)
  runs = [load_run(d) for d in model_dirs]
  if source_as is None:  # (the default: named in-set sources, unknown foreign ones)
    source_as = "named" if foreign_sources is None else "unknown"
  try:
    check_outputs(runs, output_dir, sweep=sweep, overwrite=overwrite, split=split,
                  source_as=source_as, foreign=foreign_sources is not None)
  except (ValueError, FileExistsError) as error:
    raise RunError(str(error)) from None
  first = runs[0].config
  index = pipeline.load_index(first.dataset, data_dir=data_dir, manual_dir=manual_dir,
                              config=first.dataset_config, soundfont=first.soundfont)
  if foreign_sources is not None:
    index = pipeline.with_foreign_sources(
        index, pipeline.load_index("folder", data_dir=data_dir, manual_dir=foreign_sources))
  return evaluate_runs(runs, index, output_dir, sweep=sweep, max_pairs=max_pairs, seed=seed,
                       overwrite=overwrite, processes=processes, progress=progress, split=split,
                       source_as=source_as)


def warm_cache(model_dir, *, data_dir=None, manual_dir=None, max_pairs=None, seed=0,
               processes=None, progress=print, split="test"):
  """``evaluate.py --warm_cache``: the model-independent part of evaluating
  ``model_dir`` -- the style classifier's vocoded training clips, the real
  recordings' and the vocoded true targets' judgements -- into the judges'
  cache beside the dataset, so that the evaluation itself judges only the
  model's outputs. Needs only the run's run_config.json (written once the
  training has prepared its dataset): ``scripts/main.sh`` runs it beside the
  training at the lowest CPU priority. Writes nothing else.

  Returns:
    How many pairs' judgements were prepared.

  Raises:
    RunError: ``model_dir`` has no run_config.json, or ``split`` is unknown --
      before any work.
  """
  check_started(model_dir, tf.io.gfile.exists)
  try:
    check_split(split)
  except ValueError as error:
    raise RunError(str(error)) from None
  with tf.io.gfile.GFile(os.path.join(model_dir, "run_config.json")) as handle:
    config = RunConfig.from_json(handle.read())
  index = pipeline.load_index(config.dataset, data_dir=data_dir, manual_dir=manual_dir,
                          config=config.dataset_config, soundfont=config.soundfont)
  progress("training the style classifier (and, for words, building the recogniser)...")
  with Judges(index, config.audio, cache_dir=index.data_dir,
              processes=processes) as judges:
    judges.cache.save()  # the classifier's features, whatever comes next
    return prepare_judgements(index, judges, config.audio, max_pairs=max_pairs, seed=seed,
                              split=split, progress=progress)
