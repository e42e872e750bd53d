"""Writes dummy_data/: segment CSVs in AudioSet's format and a few audio files.

train: 3 Speech segments (one without audio) + 1 Music segment; eval: 1 Speech.
Run from the repository root: python tfds_builders/audioset_speech/make_dummy_data.py
"""

import os

import numpy as np
import soundfile

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dummy_data")
HEADER = ("# Segments csv created Sun Mar  5 10:54:31 2017\n"
          "# num_ytids=4, num_segs=4, num_unique_labels=2, num_positive_labels=5\n"
          "# YTID, start_seconds, end_seconds, positive_labels\n")
TRAIN = [("--PJHxphWEs", 30.0, 40.0, "/m/09x0r,/t/dd00088", "wav"),
         ("--ZhevVpy1s", 50.0, 60.0, "/m/012xff", "wav"),           # music: dropped
         ("--aE2O5G5WE", 0.0, 10.0, "/m/09x0r,/m/03fwl", "flac"),
         ("--aO5cdqSAg", 20.0, 30.0, "/m/09x0r", None)]             # no audio: absent
EVAL = [("-0RWZT-miFs", 420.0, 430.0, "/m/09x0r,/m/07rwj3x", "ogg")]


def write(csv_name, rows, rng):
  with open(os.path.join(HERE, csv_name), "w") as handle:
    handle.write(HEADER)
    for ytid, start, end, labels, extension in rows:
      handle.write(f'{ytid}, {start:.3f}, {end:.3f}, "{labels}"\n')
      if extension:
        audio = 0.1 * rng.standard_normal(2205)  # 0.05 s at 44.1 kHz: exercises resampling
        subtype = "VORBIS" if extension == "ogg" else "PCM_16"
        soundfile.write(os.path.join(HERE, "audio", f"{ytid}_{int(start)}.{extension}"),
                        np.stack([audio, audio], 1), 44100, subtype=subtype)


def main():
  os.makedirs(os.path.join(HERE, "audio"), exist_ok=True)
  rng = np.random.default_rng(0)
  write("balanced_train_segments.csv", TRAIN, rng)
  write("eval_segments.csv", EVAL, rng)


if __name__ == "__main__":
  main()
