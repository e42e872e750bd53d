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

Splits: ``train`` holds every note as played (``detune_cents`` 0); the
evaluation's held-out pitches are taken from it (``tf_transforms.data``).
``detuned`` (1.1.0; absent when the config's ``detune_cents`` is empty)
holds the *training* pitches' notes again, bent by each of
``detune_cents`` (pitch-wheel, within +-50 cents): training-only variants,
so that pitch is a continuous quantity in training. No detuned note comes
within 50 cents of a held-out pitch, whose neighbours are a semitone away.
"""

import dataclasses
import logging
import typing

import numpy as np
import tensorflow_datasets as tfds

from tf_transforms.data import pipeline
from tf_transforms.data.soundfont import NoteRenderer
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
    detune_cents: pitch bends, in cents, each training pitch's notes are
      rendered with again (the ``detuned`` split); each within (-50, 50) and
      not 0. Empty: no ``detuned`` split.
  """

  programs: tuple = tuple(program for program, _, _ in INSTRUMENTS)
  min_pitch: int = 36
  max_pitch: int = 84
  velocity: int = 100
  hold_seconds: float = 0.75
  total_seconds: float = 1.0
  soundfont_path: str | None = None
  detune_cents: tuple = (-40.0, -20.0, 20.0, 40.0)


class _Note(typing.NamedTuple):
  """One note a config renders: its GM program, instrument name, NSynth
  family and source, and MIDI pitch."""
  program: int
  name: str
  family: str
  source: str
  pitch: int


# Detuned renders stay this far from the pitch they bend (cents, exclusive):
# half-way to the next semitone, where a held-out pitch may be.
MAX_DETUNE_CENTS = 50.0


class GmNotes(tfds.core.GeneratorBasedBuilder):
  """NSynth-schema notes rendered from a General MIDI SoundFont."""

  VERSION = tfds.core.Version("1.1.0")
  RELEASE_NOTES = {
      "1.0.0": "Initial release: 22 GM programs, 11 families.",
      "1.1.0": "The `detuned` split (training pitches bent by -40, -20, +20, +40 cents) "
               "and the `detune_cents` feature.",
  }
  BUILDER_CONFIGS = [
      GmNotesConfig(name="default", description="22 instruments, MIDI 36-84, 1 s notes."),
      GmNotesConfig(name="as_played", detune_cents=(),
                    description="The default's notes without the detuned training notes "
                                "(the paper's data: scripts/paper_tables.sh)."),
      GmNotesConfig(name="small", description="4 instruments, MIDI 55-67 (tests, demos).",
                    programs=(0, 24, 40, 73), min_pitch=55, max_pitch=67, detune_cents=()),
  ]
  DEFAULT_CONFIG_NAME = "default"

  def _info(self):
    return self.dataset_info_from_configs(
        features=common.nsynth_features(detune_cents=True),
        supervised_keys=None,
        homepage="https://github.com/craffel/pretty-midi (TimGM6mb.sf2)",
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # nothing to download
    config = self.builder_config
    bad = [c for c in config.detune_cents if not 0 < abs(c) < MAX_DETUNE_CENTS]
    if bad:
      raise ValueError(f"gm_notes: detune_cents must be non-zero and within "
                       f"+-{MAX_DETUNE_CENTS:g}. Received {bad}")
    renderer = NoteRenderer(config.soundfont_path, common.SAMPLE_RATE)
    notes = list(self._notes(renderer))
    splits = {"train": self._generate_examples(renderer, notes, 0.0)}
    if config.detune_cents:
      # The training pitches as the data pipeline will split them: the same
      # rule over the same distinct pitches.
      assignment = pipeline.split_content([note.pitch for note in notes])
      training = [note for note in notes if assignment[note.pitch] == "train"]
      splits["detuned"] = (example for cents in config.detune_cents
                           for example in self._generate_examples(renderer, training, cents))
    return splits

  def _notes(self, renderer):
    """A ``_Note`` for every note the SoundFont sounds."""
    config = self.builder_config
    by_program = {program: (family, source) for program, family, source in INSTRUMENTS}
    unknown = sorted(set(config.programs) - set(by_program))
    if unknown:
      raise ValueError(f"gm_notes: programs {unknown} are not in INSTRUMENTS "
                       f"({sorted(by_program)})")
    silent = []
    for program in config.programs:
      family, source = by_program[program]
      low, high = FAMILY_RANGES[family]
      name = f"{family}_{source}_{program:03d}"
      for pitch in range(max(low, config.min_pitch), min(high, config.max_pitch) + 1):
        if self._render(renderer, program, pitch, 0.0) is None:
          silent.append(f"{name}-{pitch:03d}")
        else:
          yield _Note(program, name, family, source, pitch)
    if silent:
      logging.info("gm_notes: %d pitches have no sample in the SoundFont: %s",
                   len(silent), ", ".join(silent))

  def _render(self, renderer, program, pitch, cents):
    """The note peak-normalised to ``PEAK``, or None if it is silent."""
    config = self.builder_config
    clip = renderer.render(program, pitch, config.velocity, config.hold_seconds,
                           config.total_seconds, cents=cents)
    peak = float(np.abs(clip).max())
    return None if peak < SILENCE_PEAK else (PEAK / peak * clip).astype(np.float32)

  def _generate_examples(self, renderer, notes, cents):
    config = self.builder_config
    for note in notes:
      clip = self._render(renderer, note.program, note.pitch, cents)
      if clip is None:  # a bend that silences a note: left out
        continue
      key = (f"{note.name}-{note.pitch:03d}-{config.velocity:03d}"
             + (f"{cents:+.0f}c" if cents else ""))
      yield key, {
          "id": key,
          "audio": clip,
          "pitch": note.pitch,
          "detune_cents": cents,
          "velocity": config.velocity,
          "instrument": {"label": note.program, "name": note.name, "family": note.family,
                         "source": note.source},
          "qualities": {quality: False for quality in common.NSYNTH_QUALITIES},
      }
