r"""Rendering gm_notes from a full General MIDI SoundFont: load once vs once per note.

Prints, in one run on the same SoundFont: seconds per note with a freshly
loaded synthesiser per note (the renderer before it kept its SoundFont) and
with the renderer's one loaded SoundFont (reset between notes; identical
output, tests/test_soundfont.py), their ratio, and the time to render every
note of gm_notes' default config (the dataset build's rendering loop).

Usage:
  python bench/soundfont.py --soundfont=/usr/share/sounds/sf2/FluidR3_GM.sf2
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import numpy as np  # noqa: E402

from tf_transforms.data.soundfont import NoteRenderer, default_soundfont_path  # noqa: E402

flags.DEFINE_string("soundfont", None, "A .sf2 file (default: the bundled TimGM6mb).")
flags.DEFINE_integer("sample_notes", 5, "Notes timed with a fresh synthesiser each.")
FLAGS = flags.FLAGS


def default_config_notes():
  """(program, pitch) of every note gm_notes' default config renders."""
  from tfds_builders.gm_notes.gm_notes import FAMILY_RANGES, INSTRUMENTS, GmNotesConfig
  config = GmNotesConfig(name="bench")
  by_program = {program: family for program, family, _ in INSTRUMENTS}
  return [(program, pitch) for program in config.programs
          for pitch in range(max(FAMILY_RANGES[by_program[program]][0], config.min_pitch),
                             min(FAMILY_RANGES[by_program[program]][1], config.max_pitch) + 1)]


def main(argv):
  del argv
  path = FLAGS.soundfont or default_soundfont_path()
  notes = default_config_notes()
  started = time.perf_counter()
  renderer = NoteRenderer(path)
  load = time.perf_counter() - started
  sample = notes[::max(1, len(notes) // FLAGS.sample_notes)][:FLAGS.sample_notes]
  started = time.perf_counter()
  for program, pitch in sample:
    NoteRenderer(path).render(program, pitch)          # what every note used to cost
  fresh = (time.perf_counter() - started) / len(sample)
  started = time.perf_counter()
  clips = [renderer.render(program, pitch) for program, pitch in notes]
  total = time.perf_counter() - started
  reused = total / len(notes)
  size = os.path.getsize(path) / 1e6
  print(f"{os.path.basename(path)} ({size:.0f} MB), loaded in {load:.2f} s; "
        f"{len(notes)} notes of gm_notes' default config")
  print("| renderer | s per note | notes/s | vs fresh synth per note |")
  print("| --- | ---: | ---: | ---: |")
  print(f"| fresh synthesiser per note ({len(sample)} notes) | {fresh:.3f} | {1 / fresh:.1f} | 1.0x |")
  print(f"| one loaded SoundFont, reset per note | {reused:.4f} | {1 / reused:.0f} | "
        f"{fresh / reused:.0f}x |")
  print(f"all {len(notes)} notes: {total + load:.1f} s including the load "
        f"(peak of the loudest: {max(float(np.abs(c).max()) for c in clips):.2f})")


if __name__ == "__main__":
  app.run(main)
