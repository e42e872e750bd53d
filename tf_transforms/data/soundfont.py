"""Render single notes from a General MIDI SoundFont (real sampled instruments).

The default SoundFont is ``TimGM6mb.sf2``, shipped inside the ``pretty_midi``
wheel (found without importing pretty_midi); rendering uses ``tinysoundfont``.
Both are installed with ``pip install --no-deps`` by ``scripts/setup.sh``:
tinysoundfont declares a dependency on pyaudio (live playback only), which
has no wheel, so they cannot be ordinary requirements in setup.py.
"""

import importlib.util
import os

import numpy as np

from tf_transforms.core.configs import AudioConfig


def default_soundfont_path() -> str:
  """Path of TimGM6mb.sf2 inside the installed pretty_midi package."""
  spec = importlib.util.find_spec("pretty_midi")
  if spec is None or spec.origin is None:
    raise FileNotFoundError(
        "The default SoundFont ships in the pretty_midi wheel, which is not installed. "
        "Run `pip install --no-deps pretty_midi` (scripts/setup.sh does), or pass an "
        ".sf2 path.")
  path = os.path.join(os.path.dirname(spec.origin), "TimGM6mb.sf2")
  if not os.path.isfile(path):
    raise FileNotFoundError(f"{path}: TimGM6mb.sf2 missing from the pretty_midi package")
  return path


class NoteRenderer:
  """Renders isolated notes, NSynth style: note-on, hold, note-off, release.

  Args:
    soundfont_path: an .sf2 file; default ``default_soundfont_path()``.
    sample_rate: Hz.
  """

  def __init__(self, soundfont_path=None, sample_rate=AudioConfig.sample_rate):
    import tinysoundfont  # Imported here: only dataset generation needs it.
    self.soundfont_path = soundfont_path or default_soundfont_path()
    if not os.path.isfile(self.soundfont_path):
      raise FileNotFoundError(f"{self.soundfont_path}: no such SoundFont file")
    self.sample_rate = sample_rate
    self._tinysoundfont = tinysoundfont
    # Loaded once (parsing a 478 MB SoundFont takes seconds); render() returns
    # it to a fresh synth's state before every note.
    self._synth, self._soundfont = self._new_synth()  # a bad file fails here

  def _new_synth(self):
    synth = self._tinysoundfont.Synth(samplerate=self.sample_rate)
    soundfont = synth.sfload(self.soundfont_path)
    if soundfont < 0:
      raise ValueError(f"{self.soundfont_path}: tinysoundfont could not load it")
    return synth, soundfont

  DRAIN_BLOCK = 1600  # samples; TinySoundFont's quick release takes 10 ms

  def _reset(self):
    """The synth, with every voice ended and every controller reset: renders
    exactly as a newly loaded synth would (tested bit for bit). ``sounds_off``
    starts a 10 ms quick release, so the synth is run until it is silent."""
    synth = self._synth
    synth.sounds_off()
    for _ in range(100):
      if not np.any(np.frombuffer(synth.generate(self.DRAIN_BLOCK), np.float32)):
        break
    else:
      raise RuntimeError(f"{self.soundfont_path}: the synthesiser did not fall silent")
    for channel in range(16):
      synth.control_change(channel, 121, 0)  # reset all controllers
    return synth

  # Pitch-bend range set before every note: semitones either way of the
  # 14-bit wheel's centre (the General MIDI default).
  BEND_RANGE_SEMITONES = 2.0

  def render(self, program, pitch, velocity=100, hold_seconds=0.75,
             total_seconds=1.0, bank=0, cents=0.0) -> np.ndarray:
    """One note as mono float32 ``[round(total_seconds * sample_rate)]``.

    Args:
      program: General MIDI program 0-127 (bank 128 for drums).
      pitch: MIDI note number 0-127.
      velocity: 1-127.
      hold_seconds: time between note-on and note-off.
      total_seconds: clip length; the release rings until then.
      cents: pitch bend applied before note-on, within +-200 (the bend
        range): the same sample played that many cents sharp (+) or flat.
    """
    if not (0 <= program <= 127 and 0 <= pitch <= 127 and 1 <= velocity <= 127):
      raise ValueError(f"program, pitch must be in 0..127 and velocity in 1..127. "
                       f"Received program={program}, pitch={pitch}, velocity={velocity}")
    if not abs(cents) < 100 * self.BEND_RANGE_SEMITONES:
      raise ValueError(f"cents must be within +-{100 * self.BEND_RANGE_SEMITONES:g} (the "
                       f"pitch-bend range). Received cents={cents}")
    if not 0 < hold_seconds <= total_seconds:
      raise ValueError(f"need 0 < hold_seconds <= total_seconds. Received "
                       f"hold_seconds={hold_seconds}, total_seconds={total_seconds}")
    hold = int(round(hold_seconds * self.sample_rate))
    total = int(round(total_seconds * self.sample_rate))
    synth = self._reset()
    synth.program_select(0, self._soundfont, bank, program)
    synth.pitchbend_range(0, self.BEND_RANGE_SEMITONES)
    synth.pitchbend(0, int(round(8192 + 8192 * cents / (100 * self.BEND_RANGE_SEMITONES))))
    synth.noteon(0, pitch, velocity)
    held = np.frombuffer(synth.generate(hold), np.float32)
    synth.noteoff(0, pitch)
    released = np.frombuffer(synth.generate(total - hold), np.float32)
    stereo = np.concatenate([held, released]).reshape(-1, 2)   # [samples, 2]
    return stereo.mean(axis=1).astype(np.float32)
