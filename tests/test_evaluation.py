"""evaluate.py's measurements: pitch, judges, per-pair scores, summaries, the command."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from tests import signals
from tf_transforms.core.configs import AudioConfig
from tf_transforms.data import pipeline
from tf_transforms.data.styles import StyleVocabulary
from tf_transforms.evaluation import judges, metrics, pitch, report, tables
from tf_transforms.signal import melspec
from tf_transforms.training.run import Run, RunConfig, load_run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("midi, detune_cents", [(48, 0.0), (60, 30.0), (69, -20.0), (76, 0.0)])
def test_median_f0_measures_pitch_within_8_cents(midi, detune_cents):
  """pyin's grid is 5 cents here; the criterion evaluated is 50 cents."""
  frequency = 440.0 * 2 ** ((midi + detune_cents / 100.0 - 69) / 12)
  tone = signals.harmonic_tone(f0=frequency, seconds=1.0)
  measured = pitch.median_f0_midi(tone, 16000, midi)
  assert abs(100.0 * (measured - midi) - detune_cents) < 8.0


def test_median_f0_is_nan_for_noise(rng):
  noise = 0.1 * rng.standard_normal(16000).astype(np.float32)
  assert math.isnan(pitch.median_f0_midi(noise, 16000, 60))


def _judgement(waveform, style, **kwargs):
  return judges.Judgement(metrics.world_analysis(waveform, 16000), style,
                              len(waveform) / 16000, **kwargs)


class _Judges:
  kind = "word"
  speaker_f0 = {0: 110.0, 1: 220.0}
  toward_target_speaker = judges.Judges.toward_target_speaker


def test_score_pair_by_hand():
  """Source: a low voice saying the word; target: a high voice; the "model"
  outputs a copy of the target (moved), the "oracle" a copy of the source."""
  low = signals.speech_like(seconds=1.0, seed=0)
  high = signals.harmonic_tone(f0=220.0, seconds=0.5)
  source = _judgement(low, 0, word="water")
  target = _judgement(high, 1, word="water")
  moved = _judgement(high, 1, word="water")
  unmoved = _judgement(low, 0, word="river")
  record = judges.score_pair(_Judges(), {"": moved, "copy_": source, "oracle_": unmoved},
                                 source, target, 0, 1, "Water")
  assert record["mcd"] == 0.0 and record["mcd_to_source"] > 3.0
  assert record["closer_to_target"] and not record["oracle_closer_to_target"]
  assert record["copy_mcd_to_source"] == 0.0 and not record["copy_closer_to_target"]
  assert record["copy_mcd"] == pytest.approx(metrics.standard_mcd(target.analysis,
                                                                  source.analysis))
  assert record["style_recognised"] and not record["source_style_recognised"]
  assert record["copy_source_style_recognised"] and not record["copy_style_recognised"]
  assert record["word_recognised"] and not record["oracle_word_recognised"]
  assert record["duration_ratio"] == 1.0 and record["copy_duration_ratio"] == 2.0
  assert record["f0_hz"] == pytest.approx(220.0, rel=0.02)
  assert record["f0_toward_target_speaker"] and not record["copy_f0_toward_target_speaker"]
  assert record["real_target_word_recognised"]


def test_toward_target_speaker_uses_log_f0_and_refuses_unknowns():
  judges = _Judges()
  assert judges.toward_target_speaker(160.0, 0, 1)       # log-midpoint is 155.6 Hz
  assert not judges.toward_target_speaker(150.0, 0, 1)
  assert not judges.toward_target_speaker(math.nan, 0, 1)
  assert not judges.toward_target_speaker(200.0, 0, 7)  # speaker without an F0


def test_summary_matches_the_metric_helpers():
  records = [{"mcd": m, "paper_mcd": 2 * m, "closer_to_target": c, "voiced": True,
              "style_recognised": s, "source_style_recognised": not s,
              "pitch_cents": p, "content": k}
             for m, c, s, p, k in [(5.0, True, True, 10.0, 60), (7.0, False, False, -80.0, 60),
                                   (6.0, True, True, 49.0, 66)]]
  summary = tables.summarize(records)
  mean, half = metrics.mean_confidence_interval([5.0, 7.0, 6.0])
  assert summary["mcd"] == {"mean": mean, "ci95": half, "n": 3}
  low, high = metrics.share_confidence_interval(2, 3)
  assert summary["style_recognised"] == {"share": pytest.approx(2 / 3), "ci95": [low, high],
                                         "n": 3}
  assert summary["closer_to_target"]["share"] == pytest.approx(2 / 3)
  assert summary["source_style_recognised"]["share"] == pytest.approx(1 / 3)
  assert summary["pitch_within_50_cents"]["share"] == pytest.approx(2 / 3)
  assert summary["pitch_median_abs_cents"] == 49.0
  assert summary["pitch_within_50_cents_by_content"] == {"60": 0.5, "66": 1.0}
  table = tables.table_2([("ours (x)", summary)], "pitch")
  assert f"| ours (x) | 6.00 ± {half:.2f} | 67% ({100 * low:.0f}–{100 * high:.0f}) |" in table
  assert "| 49 | 3 |" in table and "alpha 0.42" in table
  assert "| ours (x) | 50% | 100% | 67% |" in tables.pitch_table([("ours (x)", summary)])
  for record, cents in zip(records, [float("nan"), 20.0, -1200.0]):
    record["real_target_pitch_cents"] = cents
  real = tables.real_target_summary(records)
  assert real["pitch_within_50_cents_by_content"] == {"60": 0.5, "66": 0.0}
  assert real["pitch_median_abs_cents"] == 610.0 and real["pitch_unvoiced"] == pytest.approx(1 / 3)


def test_family_table_splits_pairs_by_the_target_instruments_family():
  records = [{"mcd": m, "closer_to_target": c, "style_recognised": s, "voiced": True,
              "source_style_recognised": False, "content": 60, "target_style": t}
             for m, c, s, t in [(5.0, True, True, "keyboard_electronic_004"),
                                (7.0, False, False, "keyboard_acoustic_000"),
                                (9.0, True, False, "mallet_acoustic_011")]]
  families = tables.summarize(records)["by_target_family"]
  assert list(families) == ["keyboard", "mallet"]
  assert families["keyboard"]["pairs"] == 2
  assert families["keyboard"]["mcd"]["mean"] == 6.0
  assert families["keyboard"]["closer_to_target"]["share"] == 0.5
  assert families["mallet"]["style_recognised"]["share"] == 0.0
  table = tables.family_table([("ours (x)", {"mcd": None}),
                               ("ours (y)", tables.summarize(records))])
  assert table.startswith("ours (y):")
  assert "| keyboard | 2 | 6.00 ± " in table and "| mallet | 1 | 9.00 | 100% " in table
  assert tables.style_family("espeak") == "espeak"


@pytest.fixture(scope="module")
def notes(tfds_dir):
  return pipeline.load_index("gm_notes", data_dir=tfds_dir,
                         config="small")


def test_style_classifier_recognises_real_instruments_and_judgements_are_cached(notes,
                                                                                tmp_path):
  """The classifier (4 instruments, unseen pitches, after the vocoding path),
  and the on-disk cache of model-independent judgements: a second Judges on
  the same directory takes the classifier's features and the recordings'
  WORLD analyses and pitches from it, equal to what was computed."""
  first = judges.Judges(notes, AudioConfig(), cache_dir=str(tmp_path))
  assert first.classifier_accuracy >= 0.9
  rows = [0, 5, 17]
  computed = [first.recording(r) for r in rows]
  first.cache.save()
  (cache_file,) = os.listdir(tmp_path)
  assert cache_file.startswith("tf_transforms_judgements.")
  second = judges.Judges(notes, AudioConfig(), cache_dir=str(tmp_path))
  assert second.classifier_accuracy == first.classifier_accuracy
  for row, judgement in zip(rows, computed):
    cached = second.recording(row)
    np.testing.assert_array_equal(cached.analysis.mel_cepstrum, judgement.analysis.mel_cepstrum)
    np.testing.assert_array_equal(cached.analysis.f0, judgement.analysis.f0)
    assert cached.style == judgement.style and cached.seconds == judgement.seconds
    assert cached.pitch_cents == judgement.pitch_cents or (
        math.isnan(cached.pitch_cents) and math.isnan(judgement.pitch_cents))
  # A keyed clip is cached whole: judged again without its audio, the same judgement.
  clip = notes.audio(3)
  log_mel = melspec.log_mel_spectrogram(clip, AudioConfig()).numpy()
  assert not second.is_cached("oracle/3")
  with pytest.raises(ValueError, match="'oracle/3' has no waveform and is not cached whole"):
    second.judge_many([(None, None, notes.content[3], "oracle/3")])
  fresh = second.judge(clip, log_mel, notes.content[3], key="oracle/3")
  assert second.is_cached("oracle/3")
  again = second.judge(None, None, notes.content[3], key="oracle/3")
  np.testing.assert_array_equal(again.analysis.mel_cepstrum, fresh.analysis.mel_cepstrum)
  assert (again.style, again.seconds) == (fresh.style, len(clip) / 16000)
  assert again.seconds == fresh.seconds
  # Another front-end or vocoder setting is another file: never a stale judgement.
  other = judges.JudgementCache(str(tmp_path), AudioConfig(griffin_lim_iters=8), "pitch")
  assert other.path != second.cache.path and other.get("recording/0") is None


def test_the_style_classifier_takes_every_clip_of_small_sets_and_a_bounded_sample_of_large(
    notes, monkeypatch):
  """gm_notes (at most 32 training and 8 test clips per instrument) is used
  whole; a larger set, the first clips of each style in each split."""
  assignment = pipeline.split_content(notes.content)
  split = np.array([assignment[c.item()] for c in notes.content])
  everything = np.flatnonzero(np.isin(split, ["train", "test"])).tolist()
  assert judges.classifier_rows(notes) == everything
  monkeypatch.setattr(judges, "CLASSIFIER_CLIPS_PER_STYLE", {"train": 2, "test": 1})
  rows = judges.classifier_rows(notes)
  for style in range(len(notes.vocabulary)):
    for part, limit in (("train", 2), ("test", 1)):
      mine = np.flatnonzero((notes.style == style) & (split == part))
      assert [r for r in rows if r in set(mine.tolist())] == mine[:limit].tolist()
  assert len(rows) == 3 * len(notes.vocabulary)


def _run(*args):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
  return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                        text=True, timeout=900)


def _train(tmp_path, data_dir, dataset):
  """A finished tiny run, trained in-process (train.py's own path is tested in
  test_training.py; a second process would only add TensorFlow's start-up)."""
  from tf_transforms.training import loop
  from tf_transforms.training import run as runs
  model_dir = str(tmp_path / "run")
  config = runs.make_run_config(dataset=dataset, dataset_config="small", preset="tiny",
                                steps=8, checkpoint_every=8)
  loop.train(config, model_dir, data_dir=data_dir, verbose=0)
  return model_dir


def _evaluate(model_dir, tmp_path, data_dir, *extra, command=True):
  """evaluate.py on a run (``command``), or its library call in this process
  (what evaluate.py calls, without a second TensorFlow start-up)."""
  output_dir = str(tmp_path / "out")
  if command:
    evaluated = _run("evaluate.py", f"--model_dir={model_dir}", f"--data_dir={data_dir}",
                     f"--output_dir={output_dir}", *extra)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    progress = evaluated.stdout
  else:
    lines = []
    report.evaluate([model_dir], output_dir, data_dir=data_dir, progress=lines.append)
    progress = "\n".join(lines)
  assert "test pairs scored" in progress  # progress is shown
  results = json.load(open(os.path.join(output_dir, "results.json")))
  table = open(os.path.join(output_dir, "table2.md")).read()
  for column in ("| MCD dB |", "closer to target than source", "source style recognised",
                 "alpha 0.42"):
    assert column in table
  # A second call is refused before any work (in-process: no second TF start-up).
  run = load_run(model_dir)
  with pytest.raises(FileExistsError, match="already exists; pass --overwrite"):
    report.check_outputs([run], output_dir)
  report.check_outputs([run], output_dir, overwrite=True)
  with pytest.raises(ValueError, match="several runs are named"):
    report.check_outputs([run, run], str(tmp_path / "elsewhere"))
  return results, table, output_dir


def _check_common(results):
  baseline, ceiling = results["copy_baseline"], results["vocoded_target"]
  summary = results["runs"]["run"]["summary"]
  assert summary["pairs"] == baseline["pairs"] > 0
  # The field's scale: single digits to low teens of dB, not ~100.
  assert 5.0 < baseline["mcd"]["mean"] < 25.0
  assert 0.0 < ceiling["mcd"]["mean"] < baseline["mcd"]["mean"]
  assert math.isfinite(summary["mcd"]["mean"]) and math.isfinite(summary["paper_mcd"]["mean"])
  assert baseline["closer_to_target"]["share"] == 0.0  # it *is* the source
  assert ceiling["closer_to_target"]["share"] >= 0.5
  assert baseline["source_style_recognised"]["share"] >= 0.5
  assert ceiling["style_recognised"]["share"] >= 0.5


@pytest.mark.slow
def test_evaluate_command_on_notes(tmp_path, tfds_dir, tiny_notes_run):
  # In this process: worker processes (the words test runs them) would cost more
  # CPU to start than the few clips here take to judge.
  results, table, output_dir = _evaluate(tiny_notes_run, tmp_path, tfds_dir, "--processes=1")
  _check_common(results)
  # The source is the same note on another instrument: its pitch is the target's.
  assert results["copy_baseline"]["pitch_within_50_cents"]["share"] >= 0.9
  assert results["real_target"]["pitch_within_50_cents"]["share"] >= 0.9
  assert results["vocoded_target"]["pitch_within_50_cents"]["share"] >= 0.75
  assert "median abs. cents" in table
  assert "| real target recordings (no vocoder) |" in open(
      os.path.join(output_dir, "pitch.md")).read()
  figure3 = results["runs"]["run"]["figure3"]
  assert figure3["notes"] == 47 and 0.0 <= figure3["pitch_class_purity"] <= 1.0
  assert 0.0 <= figure3["style_purity"] <= 1.0 and figure3["neighbour_semitones_median"] >= 0
  family = open(os.path.join(output_dir, "family.md")).read()
  assert "| target family | pairs |" in family
  by_family = results["runs"]["run"]["summary"]["by_target_family"]
  assert sum(f["pairs"] for f in by_family.values()) == results["copy_baseline"]["pairs"]
  for name in ("table2.md", "pitch.md", "family.md", "figure2_run.png", "figure3_run.png",
               "run/example0_prediction.wav"):
    assert os.path.getsize(os.path.join(output_dir, name)) > 0
  # --split=valid scores the validation split's pairs (for choosing settings)
  lines = []
  valid = report.evaluate([tiny_notes_run], str(tmp_path / "valid"), data_dir=tfds_dir,
                          processes=1, split="valid", progress=lines.append)
  index = pipeline.load_index("gm_notes", data_dir=tfds_dir, config="small")
  contents = pipeline.split_content(index.content.tolist())
  pairs = valid["runs"]["run"]["pairs"]
  assert valid["split"] == "valid" and results["split"] == "test"
  assert len(pairs) == pipeline.count_pairs(index, "valid") > 0
  assert {contents[p["content"]] for p in pairs} == {"valid"}
  assert any("valid pairs scored" in line for line in lines)
  with pytest.raises(ValueError, match="--split must be one of"):
    report.check_outputs([load_run(tiny_notes_run)], str(tmp_path / "x"), split="train")


@pytest.mark.slow
def test_a_warmed_cache_gives_the_cold_evaluation_and_leaves_only_the_outputs_to_judge(
    tmp_path, tfds_dir, tiny_notes_run):
  """``evaluate.py --warm_cache`` (what scripts/main.sh runs beside the
  training) on a directory holding only the run's configuration prepares
  every model-independent judgement: the evaluation afterwards adds nothing
  to the cache, and its results equal those of an evaluation that judged
  everything itself (its own copy of the dataset, no cache)."""
  import shutil
  pipeline.load_index("gm_notes", data_dir=tfds_dir, config="small")  # built (shared)
  copies = {}
  for name in ("warm", "cold"):
    copies[name] = str(tmp_path / name)
    shutil.copytree(os.path.join(tfds_dir, "gm_notes"), os.path.join(copies[name], "gm_notes"),
                    ignore=shutil.ignore_patterns("tf_transforms_judgements.*"))
  started = tmp_path / "started"  # a run whose training has only begun
  started.mkdir()
  shutil.copy(os.path.join(tiny_notes_run, "run_config.json"), started)
  warmed = _run("evaluate.py", "--warm_cache", f"--model_dir={started}",
                f"--data_dir={copies['warm']}", "--processes=1")
  assert warmed.returncode == 0, warmed.stderr[-3000:]
  assert "test pairs' recordings and vocoded targets judged" in warmed.stdout
  (cache,) = [os.path.join(root, f) for root, _, files in os.walk(copies["warm"])
              for f in files if f.startswith("tf_transforms_judgements.")]
  prepared = open(cache, "rb").read()
  results = {name: report.evaluate([tiny_notes_run], str(tmp_path / f"out_{name}"),
                                   data_dir=copies[name], processes=1, progress=lambda _: None)
             for name in ("warm", "cold")}
  assert open(cache, "rb").read() == prepared  # nothing model-independent was left to judge
  # The recordings' judgements are the same; the vocoded targets are made in
  # another process, so equal to float32 round-off (MCD within 1e-8 relative).
  for key in ("copy_baseline", "real_target", "style_classifier_test_accuracy"):
    assert results["warm"][key] == results["cold"][key], key
  _assert_close(results["warm"]["vocoded_target"], results["cold"]["vocoded_target"])
  _assert_close(results["warm"]["runs"]["run"]["pairs"], results["cold"]["runs"]["run"]["pairs"])


def _assert_close(first, second, path="results"):
  """Equal structures and strings, floats within 1e-6 relative or 1e-5 absolute (dB)."""
  if isinstance(first, dict):
    assert sorted(first) == sorted(second), path
    for key in first:
      _assert_close(first[key], second[key], f"{path}.{key}")
  elif isinstance(first, (list, tuple)):
    assert len(first) == len(second), path
    for number, (a, b) in enumerate(zip(first, second)):
      _assert_close(a, b, f"{path}[{number}]")
  elif isinstance(first, float) and not isinstance(first, bool):
    assert first == pytest.approx(second, rel=1e-6, abs=1e-5, nan_ok=True), path
  else:
    assert first == second, path


@pytest.mark.slow
def test_evaluate_command_on_words(tmp_path, tfds_dir):
  # In this process (the notes test runs the command), with the judges'
  # worker processes (one per CPU, as a user's evaluation).
  results, table, output_dir = _evaluate(_train(tmp_path, tfds_dir, "tts_words"), tmp_path,
                                         tfds_dir, command=False)
  _check_common(results)
  assert results["recognizer_vocabulary"] == ["dark", "had", "she", "water"]
  assert results["real_target"]["word_recognised"]["share"] >= 0.6
  assert results["vocoded_target"]["word_recognised"]["share"] >= 0.6
  # The speakers' medians: espeak's f1 and flite's slt above espeak's m1.
  f0 = results["speaker_median_f0_hz"]
  assert f0["espeak_m1"] < 0.8 * min(f0["espeak_f1"], f0["flite_slt"])
  for column in ("word recognised", "duration ÷ target", "F0 toward target speaker"):
    assert column in table
  assert math.isfinite(results["runs"]["run"]["summary"]["duration_ratio"]["mean"])
  assert os.path.getsize(os.path.join(output_dir, "figure2_run.png")) > 0
  for name in ("pitch.md", "family.md"):
    assert not os.path.exists(os.path.join(output_dir, name))


def _fake_run(model_dir):
  return Run(model_dir, None, RunConfig(), StyleVocabulary(("a", "b")))


def test_run_labels_stay_inside_the_output_dir(tmp_path, monkeypatch):
  (tmp_path / "sub").mkdir()
  monkeypatch.chdir(tmp_path / "sub")
  run = _fake_run("..")
  assert run.label == tmp_path.name              # the directory ".." means
  for name in report.output_names([run]):
    assert not os.path.isabs(name) and ".." not in name.split(os.sep)
  with pytest.raises(ValueError, match="plain name"):
    report.check_runs([_fake_run(str(tmp_path / ".hidden"))])


def test_outputs_are_refused_before_any_work(tmp_path):
  runs = [_fake_run(str(tmp_path / "run"))]
  (tmp_path / "file").write_text("x")
  with pytest.raises(ValueError, match="exists and is not a directory"):
    report.check_outputs(runs, str(tmp_path / "file"))
  with pytest.raises(ValueError, match="--sweep supports context_ms only"):
    report.check_outputs(runs, str(tmp_path / "out"), sweep="layers")
  (tmp_path / "out").mkdir()
  (tmp_path / "out" / "table2.md").write_text("old")
  with pytest.raises(FileExistsError, match="table2.md: already exists; pass --overwrite"):
    report.check_outputs(runs, str(tmp_path / "out"))


def test_a_failed_evaluation_leaves_the_previous_results(tmp_path, monkeypatch):
  out = tmp_path / "out"
  out.mkdir()
  (out / "table2.md").write_text("previous")

  def fails_half_way(runs, index, staging, *args):
    (open(os.path.join(staging, "table2.md"), "w")).write("partial")
    raise RuntimeError("judge crashed")

  monkeypatch.setattr(report, "_evaluate_into", fails_half_way)
  fake_index = type("Index", (), {"vocabulary": StyleVocabulary(("a", "b")), "foreign_from": None})()
  with pytest.raises(RuntimeError, match="judge crashed"):
    report.evaluate_runs([_fake_run(str(tmp_path / "run"))], fake_index, str(out),
                         overwrite=True)
  assert os.listdir(out) == ["table2.md"] and (out / "table2.md").read_text() == "previous"


def test_evaluate_py_refuses_a_busy_or_unwritable_output_dir_before_loading(tiny_notes_run,
                                                                           tmp_path):
  """An --output_dir another evaluate.py writes is refused naming its PID, and
  an unwritable one in one line, both before TensorFlow starts (TensorFlow is
  made unimportable); a refused command leaves no directory behind."""
  from tests.commands import without_tensorflow
  from tf_transforms.training import run_files
  busy = tmp_path / "busy"
  command = [sys.executable, "evaluate.py", f"--model_dir={tiny_notes_run}"]
  with run_files.directory_lock(str(busy), run_files.EVALUATE_LOCK_FILE, "--output_dir",
                                "evaluate.py"):
    env = without_tensorflow(tmp_path)
    result = subprocess.run(command + [f"--output_dir={busy}"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
  assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
  assert f"in use by another evaluate.py process (PID {os.getpid()})" in result.stderr
  (tmp_path / "file").write_text("x")
  result = subprocess.run(command + [f"--output_dir={tmp_path / 'file' / 'out'}"], cwd=ROOT,
                          env=without_tensorflow(tmp_path), capture_output=True, text=True,
                          timeout=300)
  assert "is not a writable directory" in result.stderr and "Traceback" not in result.stderr
  fresh = tmp_path / "fresh"  # refused after the lock was taken: no directory left behind
  with pytest.raises(RuntimeError), run_files.removed_if_left_empty(
      str(fresh), run_files.EVALUATE_LOCK_FILE), run_files.directory_lock(
          str(fresh), run_files.EVALUATE_LOCK_FILE, "--output_dir", "evaluate.py"):
    raise RuntimeError("refused")
  assert not fresh.exists()


@pytest.mark.slow
def test_foreign_sources_are_scored_against_the_run_s_own_recordings(tmp_path, tfds_dir,
                                                                      tiny_notes_run):
  """``--foreign_sources``: two instruments the tiny run never heard (steel
  guitar and viola, GM 25 and 41) and, under another name, one it did (the
  piano: its nearest style must be the run's piano), as unknown; pairs are
  their notes of the run's test pitches, each with a recording of the same
  pitch in another training style than the nearest."""
  import dataclasses

  from tests import folders
  foreign = folders.write_notes_folder(
      str(tmp_path / "foreign"), styles=[(25, "steel", ".wav", 16000, 1),
                                         (41, "viola", ".flac", 32000, 1),
                                         (0, "my_piano", ".wav", 16000, 1)])
  index = pipeline.load_index("gm_notes", data_dir=tfds_dir, config="small")
  merged = pipeline.with_foreign_sources(
      index, pipeline.load_index("folder", data_dir=tfds_dir, manual_dir=foreign))
  assert merged.foreign_from == len(index.content) == 47
  assert sorted(set(merged.foreign_names)) == ["my_piano", "steel", "viola"]
  assert merged.recordings.tolist() == index.recordings.tolist()  # foreign rows never paired
  assert merged.recording_key(47).startswith("foreign/foreign_")
  test_pitches = {k for k, v in pipeline.split_content(index.content.tolist()).items()
                  if v == "test"}
  results = report.evaluate([tiny_notes_run], str(tmp_path / "out"), data_dir=tfds_dir,
                            processes=1, foreign_sources=foreign, source_as="unknown",
                            progress=lambda line: None)
  found = results["foreign_sources"]
  assert found["source_as"] == "unknown" and found["styles"] == 3
  assert found["recordings"] == 39
  assert found["nearest_training_style"]["my_piano"] == "keyboard_acoustic_000"
  assert set(found["nearest_training_style"].values()) <= set(index.vocabulary.names)
  pairs = results["runs"]["run"]["pairs"]
  assert len(pairs) == 3 * len(test_pitches)  # each foreign note of a test pitch, once
  for pair in pairs:
    assert pair["source_style"] in ("my_piano", "steel", "viola")
    assert pair["content"] in test_pitches
    assert pair["target_style"] != pair["nearest_source_style"]
    assert pair["target_style"] == index.vocabulary.name(index.style[pair["target_row"]])
    assert index.content[pair["target_row"]] == pair["content"]
  assert not os.path.exists(tmp_path / "out" / "figure3_run.png")
  assert "told to the model as unknown" in open(tmp_path / "out" / "table2.md").read()
  # A run trained with every source named cannot be told "unknown".
  run = load_run(tiny_notes_run)
  named = dataclasses.replace(run, config=dataclasses.replace(
      run.config, training=dataclasses.replace(run.config.training, unknown_source_share=0.0)))
  with pytest.raises(ValueError, match="was trained with every source named"):
    report.check_outputs([named], str(tmp_path / "x"), source_as="unknown", foreign=True)
  report.check_outputs([named], str(tmp_path / "x"), source_as="nearest", foreign=True)
  with pytest.raises(ValueError, match="foreign sources have no training style"):
    report.check_outputs([run], str(tmp_path / "x"), source_as="named", foreign=True)
  with pytest.raises(ValueError, match="nearest is for --foreign_sources"):
    report.check_outputs([run], str(tmp_path / "x"), source_as="nearest")
  # The run's own pairs with every source hidden (the same hiding as above, which
  # every foreign pair took) are accepted for a run trained for it.
  report.check_outputs([run], str(tmp_path / "x"), source_as="unknown")
