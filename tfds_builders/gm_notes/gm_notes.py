"""gm_notes: the embedded default dataset, rendered locally.

NSynth-schema single notes played by real sampled instruments: General MIDI
programs across the 11 NSynth families, rendered from a SoundFont with
tinysoundfont (default: TimGM6mb.sf2 from the pretty_midi wheel; any .sf2
via ``GmNotesConfig(soundfont_path=...)``). Nothing is downloaded.

Each note: velocity 100, held ``hold_seconds`` then released, clipped to
``total_seconds``, averaged to mono at 16 kHz and peak-normalised to 0.5
(TimGM6mb renders at about -21 dBFS, which would leave most of the log-mel
range unused). Pitches are the config's range intersected with a range the
instrument's family plays; a pitch the SoundFont has no sample for renders
silent and is left out (counted in the log). Qualities are unknown and all
False. Deterministic: every note is rendered by a fresh synthesizer.
"""

import dataclasses
import logging

import numpy as np
import tensorflow_datasets as tfds

from tf_transforms.soundfont import NoteRenderer
from tfds_builders import common

# (GM program, NSynth family, NSynth source): two per family.
INSTRUMENTS = [
    (32, "bass", "acoustic"), (33, "bass", "electronic"),
    (56, "brass", "acoustic"), (61, "brass", "acoustic"),
    (73, "flute", "acoustic"), (72, "flute", "acoustic"),
    (24, "guitar", "acoustic"), (26, "guitar", "electronic"),
    (0, "keyboard", "acoustic"), (4, "keyboard", "electronic"),
    (11, "mallet", "acoustic"), (12, "mallet", "acoustic"),
    (19, "organ", "acoustic"), (16, "organ", "electronic"),
    (65, "reed", "acoustic"), (71, "reed", "acoustic"),
    (40, "string", "acoustic"), (42, "string", "acoustic"),
    (80, "synth_lead", "synthetic"), (81, "synth_lead", "synthetic"),
    (52, "vocal", "acoustic"), (53, "vocal", "acoustic"),
]

# MIDI pitches each family plays (inclusive), roughly the real instruments'.
FAMILY_RANGES = {
    "bass": (28, 67), "brass": (40, 84), "flute": (60, 96), "guitar": (40, 84),
    "keyboard": (21, 108), "mallet": (48, 96), "organ": (36, 96), "reed": (44, 84),
    "string": (40, 96), "synth_lead": (36, 96), "vocal": (48, 79),
}
SILENCE_PEAK = 1e-4
PEAK = 0.5


@dataclasses.dataclass
class GmNotesConfig(tfds.core.BuilderConfig):
  """Which notes to render.

  Attributes:
    programs: GM programs to use (a subset of INSTRUMENTS' programs).
    min_pitch, max_pitch: MIDI pitch range (inclusive) before family limits.
    velocity: MIDI velocity.
    hold_seconds: time the key is held.
    total_seconds: clip length (the release rings until then).
    soundfont_path: an .sf2 file; None means TimGM6mb.sf2 from pretty_midi.
  """

  programs: tuple = tuple(program for program, _, _ in INSTRUMENTS)
  min_pitch: int = 36
  max_pitch: int = 84
  velocity: int = 100
  hold_seconds: float = 0.75
  total_seconds: float = 1.0
  soundfont_path: str | None = None


class GmNotes(tfds.core.GeneratorBasedBuilder):
  """NSynth-schema notes rendered from a General MIDI SoundFont."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release: 22 GM programs, 11 families."}
  BUILDER_CONFIGS = [
      GmNotesConfig(name="default", description="22 instruments, MIDI 36-84, 1 s notes."),
      GmNotesConfig(name="small", description="4 instruments, MIDI 55-67 (tests, demos).",
                    programs=(0, 24, 40, 73), min_pitch=55, max_pitch=67),
  ]
  DEFAULT_CONFIG_NAME = "default"

  def _info(self):
    return self.dataset_info_from_configs(
        features=common.nsynth_features(),
        supervised_keys=None,
        homepage="https://github.com/craffel/pretty-midi (TimGM6mb.sf2)",
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # nothing to download
    return {"train": self._generate_examples()}

  def _generate_examples(self):
    config = self.builder_config
    by_program = {program: (family, source) for program, family, source in INSTRUMENTS}
    unknown = sorted(set(config.programs) - set(by_program))
    if unknown:
      raise ValueError(f"gm_notes: programs {unknown} are not in INSTRUMENTS "
                       f"({sorted(by_program)})")
    renderer = NoteRenderer(config.soundfont_path, common.SAMPLE_RATE)
    silent = []
    for program in config.programs:
      family, source = by_program[program]
      low, high = FAMILY_RANGES[family]
      name = f"{family}_{source}_{program:03d}"
      for pitch in range(max(low, config.min_pitch), min(high, config.max_pitch) + 1):
        clip = renderer.render(program, pitch, config.velocity, config.hold_seconds,
                               config.total_seconds)
        peak = float(np.abs(clip).max())
        if peak < SILENCE_PEAK:
          silent.append(f"{name}-{pitch:03d}")
          continue
        key = f"{name}-{pitch:03d}-{config.velocity:03d}"
        yield key, {
            "id": key,
            "audio": (PEAK / peak * clip).astype(np.float32),
            "pitch": pitch,
            "velocity": config.velocity,
            "instrument": {"label": program, "name": name, "family": family,
                           "source": source},
            "qualities": {quality: False for quality in common.NSYNTH_QUALITIES},
        }
    if silent:
      logging.info("gm_notes: %d pitches have no sample in the SoundFont: %s",
                   len(silent), ", ".join(silent))
