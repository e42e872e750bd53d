"""AudioSet (Gemmeke et al., 2017) segments labelled Speech (/m/09x0r).

The paper pre-trains the model as an autoencoder on AudioSet speech. AudioSet
is distributed as CSV lists of YouTube segments; the audio must be fetched by
the user. Manual directory::

  balanced_train_segments.csv     # and/or unbalanced_train_segments.csv
  eval_segments.csv
  audio/<YTID>.<ext>  or  audio/<YTID>_<anything>.<ext>   (wav, flac, ogg, mp3)

CSV rows (``#`` lines are comments): ``YTID, start_seconds, end_seconds,
"label,label,..."``. Segments labelled Speech are kept; a segment whose audio
file is absent (videos disappear from YouTube; every copy of AudioSet is
partial) is counted and logged, not an error; an audio file that cannot be
decoded is counted as bad and more than 1% bad fails the build. Audio files
are taken as the segment already cut (as the usual download tools write them).
"""

import csv
import logging
import os

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from tfds_builders import common

SPEECH = "/m/09x0r"
CSVS = {
    "train": ["balanced_train_segments.csv", "unbalanced_train_segments.csv"],
    "eval": ["eval_segments.csv"],
}
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")
MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Get the segment lists from https://research.google.com/audioset/download.html
(balanced_train_segments.csv, unbalanced_train_segments.csv, eval_segments.csv) and the
audio of the segments you have, one file per segment, into <manual_dir>/audio/ named
<YTID>.wav or <YTID>_<start>.wav (flac, ogg and mp3 also read).
"""


def read_segments(path):
  """[(ytid, start, end, [labels])] from an AudioSet segments CSV."""
  segments = []
  with tf.io.gfile.GFile(path) as handle:
    rows = csv.reader((line for line in handle if not line.startswith("#")),
                      skipinitialspace=True)
    for number, row in enumerate(rows, 1):
      if not row:
        continue
      if len(row) != 4:
        raise ValueError(f"{path}: row {number} has {len(row)} fields, expected 4: {row}")
      ytid, start, end, labels = row
      segments.append((ytid.strip(), float(start), float(end), labels.split(",")))
  return segments


class AudiosetSpeech(tfds.core.GeneratorBasedBuilder):
  """AudioSet segments labelled Speech, for autoencoder pre-training."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release."}
  MANUAL_DOWNLOAD_INSTRUCTIONS = MANUAL_DOWNLOAD_INSTRUCTIONS

  def _info(self):
    return self.dataset_info_from_configs(
        features=tfds.features.FeaturesDict({
            "id": tfds.features.Text(doc="<YTID>_<start seconds>"),
            "audio": tfds.features.Audio(shape=(None,), dtype=np.float32,
                                         sample_rate=common.SAMPLE_RATE),
            "labels": tfds.features.Sequence(tfds.features.Text()),
            "start_seconds": np.float32,
            "end_seconds": np.float32,
        }),
        homepage="https://research.google.com/audioset/",
    )

  def _split_generators(self, dl_manager):
    manual_dir = os.fspath(dl_manager.manual_dir)
    common.require_manual_files(
        manual_dir,
        {"train segment list": CSVS["train"], "eval segment list": CSVS["eval"],
         "audio folder": ["audio"]},
        MANUAL_DOWNLOAD_INSTRUCTIONS)
    audio_dir = os.path.join(manual_dir, "audio")
    files = {}
    for name in sorted(tf.io.gfile.listdir(audio_dir)):
      stem, extension = os.path.splitext(name)
      if extension.lower() in AUDIO_EXTENSIONS:
        files.setdefault(stem[:11], os.path.join(audio_dir, name))  # YTIDs are 11 chars
    return {
        split: self._generate_examples(
            [os.path.join(manual_dir, n) for n in names
             if tf.io.gfile.exists(os.path.join(manual_dir, n))], files, split)
        for split, names in CSVS.items()
    }

  def _generate_examples(self, csv_paths, files, split):
    guard = common.BadFileGuard(split)
    absent = 0
    for csv_path in csv_paths:
      for ytid, start, end, labels in read_segments(csv_path):
        if SPEECH not in labels:
          continue
        path = files.get(ytid)
        if path is None:
          absent += 1
          continue
        audio = guard.read_audio(path)
        if audio is None:
          continue
        key = f"{ytid}_{start:g}"
        yield key, {"id": key, "audio": audio, "labels": labels,
                    "start_seconds": start, "end_seconds": end}
    if absent:
      logging.info("audioset_speech %s: %d Speech segments have no audio file", split, absent)
    guard.check()
