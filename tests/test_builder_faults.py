"""Dataset builders on bad manual directories: clear errors, nothing half-built."""

import os
import shutil

import pytest
import tensorflow_datasets as tfds

from tf_transforms.core.errors import DatasetError
from tfds_builders.audioset_speech import audioset_speech
from tfds_builders.nsynth import nsynth
from tfds_builders.timit import timit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NSYNTH_DUMMY = os.path.join(ROOT, "tfds_builders", "nsynth", "dummy_data")
TIMIT_DUMMY = os.path.join(ROOT, "tfds_builders", "timit", "dummy_data")


def prepare(builder_class, manual_dir, data_dir, **kwargs):
  builder = builder_class(data_dir=str(data_dir), **kwargs)
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))
  return builder


def no_dataset_left(data_dir):
  """Nothing under data_dir that TFDS would load as a prepared dataset."""
  found = []
  for directory, _, files in os.walk(data_dir):
    if "dataset_info.json" in files:
      found.append(directory)
  return not found


@pytest.mark.parametrize("builder_class, expected", [
    (nsynth.NsynthJsonWav, "nsynth-train.jsonwav.tar.gz"),
    (timit.TimitWords, "TRAIN or TEST"),
    (audioset_speech.AudiosetSpeech, "eval_segments.csv"),
])
def test_wrong_manual_dir_names_the_expected_files(tmp_path, builder_class, expected):
  manual = tmp_path / "manual"
  manual.mkdir()
  (manual / "something_else.txt").write_text("not the dataset")
  with pytest.raises(DatasetError, match=expected) as error:
    prepare(builder_class, manual, tmp_path / "data")
  assert str(manual) in str(error.value)
  assert no_dataset_left(tmp_path / "data")


@pytest.mark.parametrize("builder_class", [nsynth.NsynthJsonWav, timit.TimitWords,
                                           audioset_speech.AudiosetSpeech])
def test_empty_manual_dir_shows_the_download_instructions(tmp_path, builder_class):
  manual = tmp_path / "manual"
  manual.mkdir()
  with pytest.raises(AssertionError, match="does not exist or is empty") as error:
    prepare(builder_class, manual, tmp_path / "data")
  assert builder_class.MANUAL_DOWNLOAD_INSTRUCTIONS.splitlines()[0] in str(error.value)


def test_nsynth_with_one_split_missing_says_which(tmp_path):
  manual = tmp_path / "manual"
  shutil.copytree(NSYNTH_DUMMY, manual)
  shutil.rmtree(manual / "nsynth-valid")
  with pytest.raises(DatasetError, match="NSynth valid") as error:
    prepare(nsynth.NsynthJsonWav, manual, tmp_path / "data")
  assert "NSynth train" not in str(error.value)


def test_too_many_bad_files_fail_the_build_and_leave_no_dataset(tmp_path):
  manual = tmp_path / "manual"
  shutil.copytree(NSYNTH_DUMMY, manual)
  (manual / "nsynth-train" / "audio" / "guitar_acoustic_000-060-100.wav").write_text("junk")
  with pytest.raises(DatasetError, match=r"(?s)1 of 3 audio files are bad.*guitar_acoustic_000-060-100.wav: "
                     r"cannot decode audio \(Format not recognised"):
    prepare(nsynth.NsynthJsonWav, manual, tmp_path / "data")
  assert no_dataset_left(tmp_path / "data")


def test_a_few_bad_files_are_skipped_and_counted(tmp_path, monkeypatch):
  manual = tmp_path / "manual"
  shutil.copytree(TIMIT_DUMMY, manual)
  (manual / "TIMIT" / "TRAIN" / "DR2" / "MABC0" / "SA1.WAV").write_bytes(b"")
  from tfds_builders import common
  monkeypatch.setattr(common, "MAX_BAD_FRACTION", 0.5)  # 1 of 2 train files is bad
  monkeypatch.setattr(common.BadFileGuard.__init__, "__defaults__", (0.5,))
  builder = prepare(timit.TimitWords, manual, tmp_path / "data")
  assert builder.info.splits["train"].num_examples == 3  # FCJF0's three words only
  assert builder.info.splits["test"].num_examples == 3


def test_words_past_the_end_of_the_recording_skip_the_sentence_and_are_counted(
    tmp_path, monkeypatch, caplog):
  """A .WRD whose words end past its WAV (another recording's alignment, or a
  cut-off file): the sentence is skipped and counted as a bad file, named with
  the first such word (before 0.12 its words were cut or dropped silently)."""
  manual = tmp_path / "manual"
  shutil.copytree(TIMIT_DUMMY, manual)
  (manual / "TIMIT" / "TRAIN" / "DR2" / "MABC0" / "SA1.WRD").write_text(
      "0 1200 she\n1200 2600 had\n2600 90000 your\n")
  from tfds_builders import common
  monkeypatch.setattr(common.BadFileGuard.__init__, "__defaults__", (0.5,))
  builder = prepare(timit.TimitWords, manual, tmp_path / "data")
  assert builder.info.splits["train"].num_examples == 3  # FCJF0's three words only
  assert any("1 words of SA1.WRD end past its" in r.getMessage()
             and "'your' at sample 90000" in r.getMessage() for r in caplog.records)
  with pytest.raises(DatasetError, match=r"1 of 2 audio files are bad.*end past its"):
    monkeypatch.setattr(common.BadFileGuard.__init__, "__defaults__", (0.01,))
    prepare(timit.TimitWords, manual, tmp_path / "data2")


def test_malformed_word_alignment_is_reported_with_file_and_line(tmp_path):
  path = tmp_path / "SA1.WRD"
  path.write_text("0 100 she\n100 oops had\n")
  with pytest.raises(ValueError, match=r"SA1.WRD:2: expected '<start> <end> <word>'"):
    timit.parse_word_alignment(str(path))


def test_interrupted_build_leaves_no_dataset(tmp_path, monkeypatch):
  from tfds_builders import common
  calls = []
  real_read = common.BadFileGuard.read_audio

  def read_then_interrupt(self, path):
    calls.append(path)
    if len(calls) == 2:
      raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-build
    return real_read(self, path)

  monkeypatch.setattr(common.BadFileGuard, "read_audio", read_then_interrupt)
  with pytest.raises(KeyboardInterrupt):
    prepare(nsynth.NsynthJsonWav, NSYNTH_DUMMY, tmp_path / "data")
  assert no_dataset_left(tmp_path / "data")
  monkeypatch.setattr(common.BadFileGuard, "read_audio", real_read)
  builder = prepare(nsynth.NsynthJsonWav, NSYNTH_DUMMY, tmp_path / "data")  # rerun completes
  assert builder.info.splits["train"].num_examples == 3


@pytest.mark.parametrize("damage, message", [
    (lambda notes: list(notes.values()), "expected an object of notes"),
    (lambda notes: {k: {f: v for f, v in n.items() if f != "pitch"} for k, n in notes.items()},
     "has no 'pitch'"),
    (lambda notes: {k: {**n, "pitch": str(n["pitch"])} for k, n in notes.items()},
     "has pitch='[0-9]+'; expected an integer"),
    (lambda notes: {k: {**n, "pitch": 200} for k, n in notes.items()},
     "pitch=200; expected a MIDI number"),
])
def test_a_malformed_nsynth_index_names_the_note_and_field(tmp_path, damage, message):
  """Before any audio is read: one DatasetError naming examples.json, the note
  and the field (before 0.11: a KeyError or TypeError traceback)."""
  import json
  manual = tmp_path / "manual"
  shutil.copytree(NSYNTH_DUMMY, manual)
  index = manual / "nsynth-train" / "examples.json"
  index.write_text(json.dumps(damage(json.loads(index.read_text()))))
  with pytest.raises(DatasetError, match=message) as error:
    prepare(nsynth.NsynthJsonWav, manual, tmp_path / "data")
  assert "examples.json" in str(error.value)
  assert no_dataset_left(tmp_path / "data")
