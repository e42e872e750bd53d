"""Writes dummy_data/: a few-KB tree in the official json/wav layout.

Run from the repository root: python tfds_builders/nsynth/make_dummy_data.py
"""

import json
import os

import numpy as np
import soundfile

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dummy_data")
FAMILIES = ["bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ", "reed",
            "string", "synth_lead", "vocal"]
SOURCES = ["acoustic", "electronic", "synthetic"]
# split -> [(family, source, instrument number, pitch)]
NOTES = {
    "train": [("guitar", "acoustic", 0, 60), ("guitar", "acoustic", 0, 90),
              ("keyboard", "electronic", 1, 60)],
    "valid": [("guitar", "acoustic", 0, 62), ("bass", "synthetic", 2, 30)],
    "test": [("guitar", "acoustic", 0, 64), ("keyboard", "electronic", 1, 64)],
}


def main():
  rng = np.random.default_rng(0)
  for split, notes in NOTES.items():
    folder = os.path.join(HERE, f"nsynth-{split}")
    os.makedirs(os.path.join(folder, "audio"), exist_ok=True)
    index = {}
    for family, source, number, pitch in notes:
      instrument_str = f"{family}_{source}_{number:03d}"
      note_str = f"{instrument_str}-{pitch:03d}-100"
      t = np.arange(800) / 16000
      audio = 0.3 * np.sin(2 * np.pi * 440 * 2 ** ((pitch - 69) / 12) * t)
      audio += 0.01 * rng.standard_normal(t.size)
      soundfile.write(os.path.join(folder, "audio", f"{note_str}.wav"), audio, 16000,
                      subtype="PCM_16")
      qualities = [int(q) for q in rng.integers(0, 2, 10)]
      index[note_str] = {
          "note": len(index), "note_str": note_str, "instrument": number,
          "instrument_str": instrument_str, "pitch": pitch, "velocity": 100,
          "sample_rate": 16000, "qualities": qualities,
          "qualities_str": [], "instrument_family": FAMILIES.index(family),
          "instrument_family_str": family, "instrument_source": SOURCES.index(source),
          "instrument_source_str": source,
      }
    with open(os.path.join(folder, "examples.json"), "w") as handle:
      json.dump(index, handle, indent=1)


if __name__ == "__main__":
  main()
