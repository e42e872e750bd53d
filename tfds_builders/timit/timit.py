"""TIMIT (Garofolo et al., 1993) as word segments, from the LDC layout.

Manual directory: the LDC tree, in any letter case, at the top or under one
or two folders (``TIMIT/``, ``data/``, ...)::

  TRAIN/DR1/FCJF0/SA1.WAV   NIST SPHERE (or RIFF) audio, 16 kHz
  TRAIN/DR1/FCJF0/SA1.WRD   "<start sample> <end sample> <word>" per line
  TEST/...

One example per word: its audio segment, the word, speaker (FCJF0),
dialect region (DR1), sex (from the speaker id's first letter) and
sentence id (SA1). Registered as ``timit_words``.
"""

import os

import tensorflow as tf
import tensorflow_datasets as tfds

from tf_transforms.core.errors import DatasetError
from tfds_builders import common

SPLITS = ("train", "test")
MANUAL_DOWNLOAD_INSTRUCTIONS = """\
TIMIT is distributed by the LDC (https://catalog.ldc.upenn.edu/LDC93S1). Put its TRAIN/
and TEST/ folders (any letter case; a TIMIT/ or data/ folder around them is fine) into
the manual directory.
"""


def find_split_dir(manual_dir, split, depth=3):
  """The folder named ``split`` (any case) at most ``depth`` levels down, or None."""
  level = [manual_dir]
  for _ in range(depth):
    next_level = []
    for folder in level:
      for name in sorted(tf.io.gfile.listdir(folder)):
        path = os.path.join(folder, name.rstrip("/"))
        if not tf.io.gfile.isdir(path):
          continue
        if name.rstrip("/").lower() == split:
          return path
        next_level.append(path)
    level = next_level
  return None


def parse_word_alignment(path):
  """[(start, end, word)] from a .WRD file; raises ValueError if malformed."""
  words = []
  with tf.io.gfile.GFile(path) as handle:
    for number, line in enumerate(handle, 1):
      if not line.strip():
        continue
      parts = line.split()
      if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise ValueError(f"{path}:{number}: expected '<start> <end> <word>', got {line!r}")
      start, end = int(parts[0]), int(parts[1])
      if end <= start:
        raise ValueError(f"{path}:{number}: end {end} <= start {start}")
      words.append((start, end, parts[2].lower()))
  return words


# A word may end this many samples past the audio (10 ms, one TIMIT frame)
# before the alignment is taken not to match the recording.
WORD_END_SLACK = 160


class TimitWords(tfds.core.GeneratorBasedBuilder):
  """TIMIT word segments (speaker, dialect region, sex, sentence)."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release."}
  MANUAL_DOWNLOAD_INSTRUCTIONS = MANUAL_DOWNLOAD_INSTRUCTIONS

  def _info(self):
    return self.dataset_info_from_configs(
        features=common.word_features(),
        homepage="https://catalog.ldc.upenn.edu/LDC93S1",
    )

  def _split_generators(self, dl_manager):
    manual_dir = os.fspath(dl_manager.manual_dir)
    if not tf.io.gfile.isdir(manual_dir):
      raise DatasetError(f"--manual_dir={manual_dir} does not exist. "
                         + " ".join(MANUAL_DOWNLOAD_INSTRUCTIONS.split()))
    folders = {split: find_split_dir(manual_dir, split) for split in SPLITS}
    missing = [split.upper() for split, folder in folders.items() if folder is None]
    if missing:
      raise DatasetError(
          f"--manual_dir={manual_dir} has no {' or '.join(missing)} folder "
          "(expected e.g. TIMIT/TRAIN/DR1/FCJF0/SA1.WAV with SA1.WRD beside it). "
          + " ".join(MANUAL_DOWNLOAD_INSTRUCTIONS.split()))
    return {split: self._generate_examples(folder, split) for split, folder in folders.items()}

  def _generate_examples(self, split_dir, split):
    guard = common.BadFileGuard(split)
    for directory, _, files in sorted(tf.io.gfile.walk(split_dir)):
      by_name = {name.lower(): name for name in files}
      for name in sorted(by_name):
        stem, extension = os.path.splitext(name)
        if extension != ".wav":
          continue
        speaker = os.path.basename(directory).upper()
        region = os.path.basename(os.path.dirname(directory)).upper()
        wav = os.path.join(directory, by_name[name])
        alignment = by_name.get(stem + ".wrd")
        if alignment is None:
          guard.skip(f"{wav}: no .WRD word alignment beside it")
          continue
        try:
          words = parse_word_alignment(os.path.join(directory, alignment))
        except ValueError as error:
          guard.skip(str(error))
          continue
        audio = guard.read_audio(wav)
        if audio is None:
          continue
        past = [(word, end) for _, end, word in words if end > len(audio) + WORD_END_SLACK]
        if past:  # an alignment of another recording, or a cut-off WAV
          word, end = past[0]
          guard.reject(f"{wav}: {len(past)} words of {alignment} end past its "
                       f"{len(audio)} samples (first: {word!r} at sample {end}); the "
                       "alignment does not match the recording")
          continue
        sentence = stem.upper()
        for index, (start, end, word) in enumerate(words):
          segment = audio[start:min(end, len(audio))]
          if len(segment) == 0:
            continue
          key = f"{speaker}/{sentence}/{index}"
          yield key, {
              "id": key, "audio": segment, "word": word, "speaker": speaker,
              "dialect_region": region, "sex": speaker[0].lower(), "sentence_id": sentence,
          }
    guard.check()
