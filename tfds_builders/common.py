"""Shared pieces of the dataset builders: NSynth schema, manual-dir checks,
and the bad-file guard.

A bad file (unreadable, empty, non-finite...) is skipped and counted; once a
split is generated, ``BadFileGuard.check`` fails the whole build if more than
``max_fraction`` of its files were bad. TFDS writes a build into a temporary
directory and renames it only on success, so a failed or interrupted build
leaves no dataset behind that could pass for complete.
"""

import logging
import os

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from tf_transforms.core.configs import AudioConfig
from tf_transforms.core.errors import AudioError, DatasetError
from tf_transforms.signal import audio_files

SAMPLE_RATE = AudioConfig.sample_rate  # every builder writes the front-end's rate
MAX_BAD_FRACTION = 0.01

NSYNTH_FAMILIES = ["bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ",
                   "reed", "string", "synth_lead", "vocal"]
NSYNTH_SOURCES = ["acoustic", "electronic", "synthetic"]
NSYNTH_QUALITIES = ["bright", "dark", "distortion", "fast_decay", "long_release",
                    "multiphonic", "nonlinear_env", "percussive", "reverb", "tempo-synced"]


def nsynth_features(detune_cents=False) -> tfds.features.FeaturesDict:
  """The NSynth note schema, shared by nsynth_jsonwav and gm_notes; with
  ``detune_cents``, gm_notes' pitch bend of the note (cents, 0 as played)."""
  extra = {"detune_cents": tfds.features.Scalar(
      np.float32, doc="pitch bend in cents; 0: the note as played")} if detune_cents else {}
  return tfds.features.FeaturesDict({
      **extra,
      "id": tfds.features.Text(doc="note_str, e.g. guitar_acoustic_000-060-100"),
      "audio": tfds.features.Audio(shape=(None,), dtype=np.float32,
                                   sample_rate=SAMPLE_RATE, doc="mono, 16 kHz, [-1, 1]"),
      "pitch": tfds.features.ClassLabel(num_classes=128, doc="MIDI pitch"),
      "velocity": tfds.features.ClassLabel(num_classes=128, doc="MIDI velocity"),
      "instrument": {
          "label": np.int64,
          "name": tfds.features.Text(doc="instrument_str"),
          "family": tfds.features.ClassLabel(names=NSYNTH_FAMILIES),
          "source": tfds.features.ClassLabel(names=NSYNTH_SOURCES),
      },
      "qualities": {quality: np.bool_ for quality in NSYNTH_QUALITIES},
  })


def word_features() -> tfds.features.FeaturesDict:
  """The TIMIT word-segment schema, shared by timit_words and tts_words."""
  return tfds.features.FeaturesDict({
      "id": tfds.features.Text(doc="<speaker>/<sentence>/<word index>"),
      "audio": tfds.features.Audio(shape=(None,), dtype=np.float32,
                                   sample_rate=SAMPLE_RATE, doc="mono, 16 kHz, [-1, 1]"),
      "word": tfds.features.Text(),
      "speaker": tfds.features.Text(),
      "dialect_region": tfds.features.Text(doc="TIMIT DR1..DR8; the voice family for TTS"),
      "sex": tfds.features.ClassLabel(names=["f", "m"]),
      "sentence_id": tfds.features.Text(),
  })


def require_manual_files(manual_dir, expected, instructions):
  """Raises DatasetError naming what is missing and where it should be.

  Args:
    manual_dir: the TFDS manual directory.
    expected: {description: list of alternative relative paths}; one of each
      must exist.
    instructions: where to get the data.
  """
  manual_dir = os.fspath(manual_dir)
  missing = [f"{description} (one of {', '.join(paths)})"
             for description, paths in expected.items()
             if not any(tf.io.gfile.exists(os.path.join(manual_dir, p)) for p in paths)]
  if missing:
    raise DatasetError(f"--manual_dir={manual_dir} is missing: {'; '.join(missing)}. "
                       + " ".join(instructions.split()))


class BadFileGuard:
  """Counts files that could not be used; fails the build past a threshold."""

  def __init__(self, split, max_fraction=MAX_BAD_FRACTION):
    self.split = split
    self.max_fraction = max_fraction
    self.total = 0
    self.bad = []

  def read_audio(self, path):
    """Mono float32 at 16 kHz, or None (counted) if the file is bad."""
    try:
      audio = audio_files.read_audio(path, SAMPLE_RATE)
    except AudioError as error:
      self.skip(str(error))
      return None
    self.accept()
    return audio

  def accept(self):
    """Counts one good file."""
    self.total += 1

  def skip(self, reason):
    """Counts one bad file; ``reason`` names it and says what was wrong."""
    logging.warning("skipping %s", reason)
    self.total += 1
    self.bad.append(reason)

  def reject(self, reason):
    """Turns the file just counted good (``read_audio``) into a bad one: its
    audio decoded, but it cannot be used (``reason`` names it)."""
    logging.warning("skipping %s", reason)
    self.bad.append(reason)

  def check(self):
    """Raises DatasetError if too many files were bad (call after the split)."""
    if self.total and len(self.bad) > self.max_fraction * self.total:
      shown = "; ".join(self.bad[:3])
      raise DatasetError(
          f"split {self.split!r}: {len(self.bad)} of {self.total} audio files are bad "
          f"(more than {self.max_fraction:.0%}); refusing to build an incomplete dataset. "
          f"First ones: {shown}")
    if self.bad:
      logging.warning("split %r: skipped %d of %d bad audio files", self.split,
                      len(self.bad), self.total)
