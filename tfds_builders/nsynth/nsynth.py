"""NSynth (Engel et al., 2017) from its official json/wav distribution.

TFDS's own ``nsynth`` reads TFRecords from a cloud bucket with Apache Beam;
this builder reads the json/wav archives (or their extracted folders) from
the manual directory instead, in plain Python. Registered as
``nsynth_jsonwav`` so the two never collide.

Manual directory, per split (train, valid, test), either
  nsynth-<split>.jsonwav.tar.gz            (as downloaded), or
  nsynth-<split>/examples.json + nsynth-<split>/audio/<note_str>.wav
"""

import json
import os

import tensorflow as tf
import tensorflow_datasets as tfds

from tf_transforms.core.errors import DatasetError
from tfds_builders import common

SPLITS = ("train", "valid", "test")
MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Download the json/wav archives from https://magenta.tensorflow.org/datasets/nsynth
(nsynth-train.jsonwav.tar.gz, nsynth-valid.jsonwav.tar.gz, nsynth-test.jsonwav.tar.gz)
into the manual directory; extracted nsynth-<split>/ folders work too.
"""


class NsynthConfig(tfds.core.BuilderConfig):
  """Which notes to keep.

  Attributes:
    source: keep only this instrument source ("acoustic", ...), or None.
    min_pitch, max_pitch: keep MIDI pitches in this range (inclusive).
  """

  def __init__(self, *, source=None, min_pitch=0, max_pitch=127, **kwargs):
    super().__init__(**kwargs)
    self.source = source
    self.min_pitch = min_pitch
    self.max_pitch = max_pitch


class NsynthJsonWav(tfds.core.GeneratorBasedBuilder):
  """NSynth single notes from the official json/wav archives."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release (json/wav distribution, no Beam)."}
  MANUAL_DOWNLOAD_INSTRUCTIONS = MANUAL_DOWNLOAD_INSTRUCTIONS
  BUILDER_CONFIGS = [
      NsynthConfig(name="full", description="All 305,979 notes, official splits."),
      NsynthConfig(name="acoustic_24_84", source="acoustic", min_pitch=24, max_pitch=84,
                   description="Acoustic instruments, MIDI pitches 24-84."),
  ]
  DEFAULT_CONFIG_NAME = "full"

  def _info(self):
    return self.dataset_info_from_configs(
        features=common.nsynth_features(),
        homepage="https://magenta.tensorflow.org/datasets/nsynth",
    )

  def _split_generators(self, dl_manager):
    manual_dir = os.fspath(dl_manager.manual_dir)
    common.require_manual_files(
        manual_dir,
        {f"NSynth {split}": [f"nsynth-{split}.jsonwav.tar.gz", f"nsynth-{split}/examples.json"]
         for split in SPLITS},
        MANUAL_DOWNLOAD_INSTRUCTIONS)
    generators = {}
    for split in SPLITS:
      folder = os.path.join(manual_dir, f"nsynth-{split}")
      if not tf.io.gfile.exists(os.path.join(folder, "examples.json")):
        extracted = dl_manager.extract(os.path.join(manual_dir, f"nsynth-{split}.jsonwav.tar.gz"))
        folder = os.path.join(os.fspath(extracted), f"nsynth-{split}")
      generators[split] = self._generate_examples(folder, split)
    return generators

  def _generate_examples(self, folder, split):
    config = self.builder_config
    examples_path = os.path.join(folder, "examples.json")
    try:
      with tf.io.gfile.GFile(examples_path) as handle:
        notes = json.load(handle)
    except (tf.errors.OpError, json.JSONDecodeError) as error:
      raise DatasetError(f"{examples_path}: cannot read the NSynth index ({error})") from error
    _check_index(notes, examples_path)
    guard = common.BadFileGuard(split)
    for note_str in sorted(notes):
      note = notes[note_str]
      if config.source is not None and note["instrument_source_str"] != config.source:
        continue
      if not config.min_pitch <= note["pitch"] <= config.max_pitch:
        continue
      audio = guard.read_audio(os.path.join(folder, "audio", f"{note_str}.wav"))
      if audio is None:
        continue
      yield note_str, {
          "id": note_str,
          "audio": audio,
          "pitch": note["pitch"],
          "velocity": note["velocity"],
          "instrument": {
              "label": note["instrument"],
              "name": note["instrument_str"],
              "family": note["instrument_family_str"],
              "source": note["instrument_source_str"],
          },
          "qualities": {quality: bool(flag) for quality, flag in
                        zip(common.NSYNTH_QUALITIES, note["qualities"])},
      }
    guard.check()


# The fields of an NSynth examples.json entry the builder reads, and their types.
INDEX_FIELDS = {"pitch": int, "velocity": int, "instrument": int, "instrument_str": str,
                "instrument_family_str": str, "instrument_source_str": str, "qualities": list}


def _check_index(notes, path):
  """Raises DatasetError, naming the first bad entry and field, if ``notes``
  (a parsed examples.json) is not NSynth's {note_str: {field: value}} index
  with ``INDEX_FIELDS`` of the right types (pitch a MIDI number 0-127);
  checked before any audio is read."""
  if not isinstance(notes, dict):
    raise DatasetError(f"{path}: expected an object of notes ({{note_str: {{...}}}}), found a "
                       f"{type(notes).__name__}")
  for note_str, note in notes.items():
    if not isinstance(note, dict):
      raise DatasetError(f"{path}: note {note_str!r} is a {type(note).__name__}, not an object")
    for field, kind in INDEX_FIELDS.items():
      if field not in note:
        raise DatasetError(f"{path}: note {note_str!r} has no {field!r}")
      value = note[field]
      if isinstance(value, bool) or not isinstance(value, kind):
        raise DatasetError(f"{path}: note {note_str!r} has {field}={value!r}; expected "
                           f"{'an integer' if kind is int else 'a ' + kind.__name__}")
    if not 0 <= note["pitch"] <= 127:
      raise DatasetError(f"{path}: note {note_str!r} has pitch={note['pitch']}; expected a "
                         "MIDI number 0-127")
