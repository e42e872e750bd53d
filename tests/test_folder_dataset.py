"""The folder dataset: a user's folder of recordings, checked, prepared and paired."""

import json
import os
import shutil

import librosa
import numpy as np
import pytest
import soundfile

from tests import folders
from tests.commands import run_command, without_tensorflow
from tf_transforms.core.errors import DatasetError
from tf_transforms.data import folder_dataset, pipeline
from tf_transforms.training.run import make_run_config


@pytest.fixture(scope="module")
def notes_folder(tmp_path_factory):
  """4 instruments x MIDI 55-67 as WAV 16 kHz mono, FLAC 44.1 kHz stereo, Ogg
  22.05 kHz and MP3 48 kHz stereo (``folders.NOTE_STYLES``)."""
  return folders.write_notes_folder(str(tmp_path_factory.mktemp("notes") / "my_notes"))


@pytest.fixture(scope="module")
def notes(notes_folder, tmp_path_factory):
  return pipeline.load_index("folder", data_dir=str(tmp_path_factory.mktemp("tfds")),
                             manual_dir=notes_folder)


def copy_of(folder, tmp_path):
  target = str(tmp_path / "copy")
  shutil.copytree(folder, target)
  return target


def test_describe_reads_the_layout_and_the_declared_content(notes_folder):
  folder = folder_dataset.describe(notes_folder)
  assert folder.kind == "pitch" and folder.styles == ["flute", "guitar", "piano", "violin"]
  assert len(folder.recordings) == 4 * 13
  assert {r.content for r in folder.recordings} == set(range(55, 68))
  assert folder.config_name == f"my_notes_{folder.fingerprint}"
  assert folder_dataset.describe(notes_folder).fingerprint == folder.fingerprint


def test_every_recording_is_read_as_16_khz_mono_like_librosa(notes, notes_folder):
  """The prepared audio of each format and rate against librosa.load (mono
  average, soxr HQ resampling), within 1e-3; content and style as named."""
  assert notes.spec.pitched and notes.vocabulary.names == ("flute", "guitar", "piano", "violin")
  for style in notes.vocabulary.names:
    rows = np.flatnonzero(notes.style == notes.vocabulary.id(style))
    assert len(rows) == 13
    row = rows[0]
    extension = {name: ext for _, name, ext, _, _ in folders.NOTE_STYLES}[style]
    path = os.path.join(notes_folder, style, f"{notes.content[row]}{extension}")
    reference, _ = librosa.load(path, sr=16000, mono=True)
    audio = notes.audio(row)
    assert abs(len(audio) - len(reference)) <= 2
    n = min(len(audio), len(reference))
    np.testing.assert_allclose(audio[:n], reference[:n], atol=1e-3)
  # Pairs share a pitch, differ in instrument; the test pitches are unseen in training.
  pairs = pipeline.sample_pairs(notes, "train", seed=0)
  assert np.all(notes.content[pairs[:, 0]] == notes.content[pairs[:, 1]])
  assert np.all(notes.style[pairs[:, 0]] != notes.style[pairs[:, 1]])
  test = set(notes.content[pipeline.sample_pairs(notes, "test", seed=0)[:, 0]].tolist())
  assert test and not test & set(notes.content[pairs[:, 0]].tolist())


def test_a_manifest_and_word_content(notes_folder, tmp_path):
  """manifest.csv for data organised otherwise; words are lower-cased keys."""
  root = tmp_path / "spoken"
  (root / "clips").mkdir(parents=True)
  lines = ["path,style,content"]
  for style in ("ann", "bob"):
    for number, word in enumerate(["Hello", "world", "again", "seven", "music"]):
      name = f"clips/{style}{number}.wav"
      shutil.copy(os.path.join(notes_folder, "piano", f"{55 + number}.wav"), root / name)
      lines.append(f"{name},{style},{word}")
  (root / "manifest.csv").write_text("\n".join(lines) + "\n")
  (root / "dataset.json").write_text(json.dumps({"content": "word"}))
  folder = folder_dataset.describe(str(root))
  assert folder.kind == "word" and folder.styles == ["ann", "bob"]
  assert {r.content for r in folder.recordings} == {"hello", "world", "again", "seven", "music"}
  index = pipeline.load_index("folder", data_dir=str(tmp_path / "tfds"), manual_dir=str(root))
  assert index.spec.spoken and sorted(set(index.content.tolist()))[0] == "again"


def _break(folder, how):
  """Damages a copy of the notes folder in one way."""
  if how == "unreadable":
    open(os.path.join(folder, "piano", "60.wav"), "wb").write(b"RIFF....not audio")
  elif how == "duplicate":
    shutil.copy(os.path.join(folder, "piano", "60.wav"), os.path.join(folder, "piano", "60.flac"))
  elif how == "single_style":
    for style in ("flute", "guitar", "violin"):
      shutil.rmtree(os.path.join(folder, style))
  elif how == "unpaired":
    for name in ("90.wav", "91.wav"):
      shutil.copy(os.path.join(folder, "piano", "60.wav"), os.path.join(folder, "piano", name))
  elif how == "too_little":
    for style in os.listdir(folder):
      if os.path.isdir(os.path.join(folder, style)):
        for name in os.listdir(os.path.join(folder, style)):
          if int(os.path.splitext(name)[0]) > 57:
            os.remove(os.path.join(folder, style, name))
  elif how == "bad_pitch":
    os.rename(os.path.join(folder, "piano", "60.wav"), os.path.join(folder, "piano", "C4.wav"))
  elif how == "bad_description":
    open(os.path.join(folder, "dataset.json"), "w").write('{"content": "notes"}')
  elif how == "empty":
    for style in os.listdir(folder):
      if os.path.isdir(os.path.join(folder, style)):
        shutil.rmtree(os.path.join(folder, style))
  elif how == "manifest":
    open(os.path.join(folder, "manifest.csv"), "w").write("file,style\nx.wav,a\n")


@pytest.mark.parametrize("how, message", [
    ("unreadable", r"1 of 52 files cannot be read as audio: .*piano/60.wav"),
    ("duplicate", r"1 recordings repeat a style and content another one has.*60.flac = "
                  r"piano/60.wav|piano/60.wav = piano/60.flac"),
    ("single_style", r"one style \('piano'\); a conversion needs recordings of the same "
                     "contents in at least two styles"),
    ("unpaired", r"2 of 15 contents are recorded in one style only \(unpaired\): 90 \(piano\), "
                 r"91 \(piano\)"),
    ("too_little", r"too little data: 3 paired contents; holding out a validation and a test "
                   "content needs at least 4"),
    ("bad_pitch", r"piano/C4.wav: content 'C4' is not a pitch"),
    ("bad_description", r"dataset.json: \"content\" must be one of pitch, word, key"),
    ("empty", r"no recordings found: expected <style>/<content>"),
    ("manifest", r"manifest.csv: needs a header row with the columns path, style, content "
                 r"and one row per recording \(missing: path, content\)"),
])
def test_a_bad_folder_is_refused_in_one_line_before_anything_is_written(
    notes_folder, tmp_path, how, message):
  folder = copy_of(notes_folder, tmp_path)
  _break(folder, how)
  with pytest.raises(DatasetError, match=message) as refused:
    make_run_config(dataset="folder", manual_dir=folder)
  assert "\n" not in str(refused.value)
  with pytest.raises(DatasetError, match=message):
    pipeline.load_index("folder", data_dir=str(tmp_path / "tfds"), manual_dir=folder)
  assert not os.path.exists(tmp_path / "tfds" / "recordings_folder")


def test_train_py_refuses_a_bad_folder_before_tensorflow_starts(notes_folder, tmp_path):
  folder = copy_of(notes_folder, tmp_path)
  _break(folder, "unpaired")
  refused = run_command_in(without_tensorflow(tmp_path), [
      "train.py", "--dataset=folder", f"--manual_dir={folder}", f"--model_dir={tmp_path}/run"])
  assert refused.returncode == 1
  assert refused.stderr.strip().splitlines() == [
      f"train.py: error: --manual_dir={folder}: 2 of 15 contents are recorded in one style "
      "only (unpaired): 90 (piano), 91 (piano); record them in another style too, or move "
      "them out of the folder"]
  assert not os.path.exists(tmp_path / "run")
  missing = run_command_in(without_tensorflow(tmp_path), [
      "train.py", "--dataset=folder", f"--model_dir={tmp_path}/run"])
  assert "--dataset=folder needs --manual_dir=DIR" in missing.stderr


def run_command_in(env, arguments):
  import subprocess
  import sys

  from tests.commands import ROOT
  return subprocess.run([sys.executable, *arguments], cwd=ROOT, env=env, capture_output=True,
                        text=True, timeout=300)


def test_a_changed_folder_is_a_new_dataset_and_a_run_reads_its_own(notes_folder, notes,
                                                                    tmp_path):
  folder = copy_of(notes_folder, tmp_path)
  before = folder_dataset.describe(folder).config_name
  audio, rate = soundfile.read(os.path.join(folder, "piano", "60.wav"))
  soundfile.write(os.path.join(folder, "piano", "60.wav"), 0.5 * audio, rate)
  after = folder_dataset.describe(folder)
  assert after.config_name != before
  # The config name alone reads the prepared copy back (evaluate / export need
  # no --manual_dir); a folder that no longer matches an unprepared run is refused.
  config = os.path.basename(os.path.dirname(notes.data_dir))
  tfds_dir = os.path.dirname(os.path.dirname(os.path.dirname(notes.data_dir)))
  again = pipeline.load_index("folder", data_dir=tfds_dir, config=config)
  assert len(again.content) == len(notes.content)
  with pytest.raises(DatasetError, match="holds other recordings"):
    pipeline.load_index("folder", data_dir=str(tmp_path / "elsewhere"), config=before,
                        manual_dir=folder)


@pytest.mark.slow
def test_train_evaluate_export_and_convert_a_folder_end_to_end(notes_folder, tmp_path):
  """The README's three commands on a folder of mixed formats and rates:
  train.py, evaluate.py (no --manual_dir: the run names its prepared copy),
  export.py; then transform.py's folder mode on the same folder, with any
  source (unknown), one bad file among them, and existing outputs refused."""
  from tf_transforms.core.errors import TransformError
  from tf_transforms.evaluation import report
  from tf_transforms.export import convert, saved_model
  tfds_dir, run_dir = str(tmp_path / "tfds"), str(tmp_path / "run")
  trained = run_command(["python", "train.py", "--dataset=folder", f"--manual_dir={notes_folder}",
                         f"--data_dir={tfds_dir}", "--preset=tiny", "--steps=8",
                         "--checkpoint_every=8", f"--model_dir={run_dir}"])
  assert trained.returncode == 0, trained.stderr[-3000:]
  assert "folder: 52 examples, 4 styles" in trained.stdout
  stored = json.load(open(os.path.join(run_dir, "run_config.json")))
  assert stored["dataset"] == "folder" and stored["content_kind"] == "pitch"
  assert stored["dataset_config"] == folder_dataset.describe(notes_folder).config_name
  results = report.evaluate([run_dir], str(tmp_path / "eval"), data_dir=tfds_dir, max_pairs=4,
                            processes=1, progress=lambda line: None)
  summary = results["runs"]["run"]["summary"]
  assert summary["pairs"] == 4 and "pitch_within_50_cents" in json.dumps(summary)
  export = saved_model.export_saved_model(run_dir, str(tmp_path / "exports"))
  inputs = copy_of(notes_folder, tmp_path)
  open(os.path.join(inputs, "violin", "60.ogg"), "wb").write(b"OggS broken")
  out = str(tmp_path / "converted")
  lines = []
  summary = convert.transform_files(export, inputs, out, None, "flute", progress=lines.append)
  assert len(summary.converted) == 51 and [p for p, _ in summary.failed] == [
      os.path.join(inputs, "violin", "60.ogg")]
  assert "cannot decode audio" in summary.failed[0][1]
  assert len(lines) == 52 and "converted 51 of 52 files" in summary.line()
  written = soundfile.read(os.path.join(out, "guitar", "60.wav"))[0]
  assert len(written) == 16000 and np.all(np.isfinite(written))
  with pytest.raises(TransformError, match=r"51 of the 52 outputs exist already: .*--overwrite"):
    convert.transform_files(export, inputs, out, None, "flute")
  with pytest.raises(TransformError, match="'tuba' is not a style"):
    convert.transform_files(export, inputs, str(tmp_path / "other"), None, "tuba")
  assert not os.path.exists(tmp_path / "other")
  # Several notes in one file, cut at their silences and joined: as long as the input.
  notes = [soundfile.read(os.path.join(notes_folder, "piano", f"{p}.wav"), dtype="float32")[0]
           for p in (57, 62, 66)]
  gap = np.zeros(6000, np.float32)
  melody = np.concatenate([gap, notes[0], gap, notes[1], gap, notes[2], gap])
  soundfile.write(str(tmp_path / "melody.wav"), melody, 16000)
  seconds = convert.transform_file(export, str(tmp_path / "melody.wav"),
                                   str(tmp_path / "melody_flute.wav"), "piano", "flute",
                                   segmentation="silence")
  assert abs(seconds - len(melody) / 16000) < 0.01
  # 12 s without a silence: one segment, too long
  held = (0.3 * np.sin(2 * np.pi * 220 * np.arange(12 * 16000) / 16000)).astype(np.float32)
  soundfile.write(str(tmp_path / "held.wav"), held, 16000)
  with pytest.raises(TransformError, match=r"segment at 0.00-12.00 s is longer than this "
                     r"export's maximum of 10 s.*continuous speech is not cut"):
    convert.transform_file(export, str(tmp_path / "held.wav"), str(tmp_path / "held_out.wav"),
                           "piano", "flute", segmentation="silence")


def test_content_keys_from_file_names():
  """Pitches as MIDI numbers or, declared "hz", frequencies (rounded to the
  nearest MIDI note: 69 + 12 log2(f / 440)); words lower-cased; keys as written."""
  key = folder_dataset.content_key
  assert key("60", "pitch", "midi", "x") == 60 and key("060", "pitch", "midi", "x") == 60
  assert key("440", "pitch", "hz", "x") == 69 and key("261.63", "pitch", "hz", "x") == 60
  assert key("277.0", "pitch", "hz", "x") == 61  # C#4 is 277.18 Hz
  assert key("Hello", "word", "midi", "x") == "hello" and key("Take 2", "key", "midi", "x") == "Take 2"
  with pytest.raises(DatasetError, match="x: pitch 130 is outside MIDI 0-127"):
    key("130", "pitch", "midi", "x")
  with pytest.raises(DatasetError, match="frequency -5 Hz must be positive"):
    key("-5", "pitch", "hz", "x")
