"""Writes dummy_data/: a tiny TIMIT tree (NIST SPHERE audio, .WRD, .TXT).

The train split is upper case and the test split lower case, as both occur.
Run from the repository root: python tfds_builders/timit/make_dummy_data.py
"""

import os

import numpy as np
import soundfile

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dummy_data")
SENTENCE = [("she", 0, 1200), ("had", 1200, 2600), ("your", 2600, 4000)]
UTTERANCES = [
    ("TIMIT/TRAIN/DR1/FCJF0", "SA1", ".WAV", ".WRD", ".TXT"),
    ("TIMIT/TRAIN/DR2/MABC0", "SA1", ".WAV", ".WRD", ".TXT"),
    ("TIMIT/test/dr1/mxyz0", "sa1", ".wav", ".wrd", ".txt"),
]


def main():
  rng = np.random.default_rng(0)
  for folder, stem, wav, wrd, txt in UTTERANCES:
    path = os.path.join(HERE, folder)
    os.makedirs(path, exist_ok=True)
    audio = 0.2 * rng.standard_normal(4200)
    soundfile.write(os.path.join(path, stem + wav), audio, 16000, format="NIST",
                    subtype="PCM_16")
    with open(os.path.join(path, stem + wrd), "w") as handle:
      handle.writelines(f"{start} {end} {word}\n" for word, start, end in SENTENCE)
    with open(os.path.join(path, stem + txt), "w") as handle:
      handle.write("0 4200 She had your.\n")


if __name__ == "__main__":
  main()
