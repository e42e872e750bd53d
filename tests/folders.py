"""Folders of recordings as a user would bring them (the folder dataset's tests)."""

import json
import os

import numpy as np
import soundfile
import soxr

from tf_transforms.data.soundfont import NoteRenderer

# (GM program, style folder, file extension, sample rate, channels): the
# formats and rates a user's folder mixes.
NOTE_STYLES = [(0, "piano", ".wav", 16000, 1), (24, "guitar", ".flac", 44100, 2),
               (40, "violin", ".ogg", 22050, 1), (73, "flute", ".mp3", 48000, 2)]
NOTE_PITCHES = range(55, 68)
MP3 = {"format": "MP3", "subtype": "MPEG_LAYER_III"}


def write_clip(path, clip, rate, channels):
  """Writes a 16 kHz mono ``clip`` at ``rate`` with ``channels`` (by extension)."""
  audio = soxr.resample(clip, 16000, rate) if rate != 16000 else clip
  if channels == 2:
    audio = np.stack([audio, 0.8 * audio], axis=1)
  extra = MP3 if path.endswith(".mp3") else {}
  soundfile.write(path, audio, rate, **extra)


def write_notes_folder(root, styles=NOTE_STYLES, pitches=NOTE_PITCHES, description=True):
  """``root``/<instrument>/<MIDI pitch>.<ext>: GM notes of ``styles`` (1 s,
  rendered from the embedded SoundFont), and a dataset.json declaring pitch."""
  renderer = NoteRenderer()
  for program, name, extension, rate, channels in styles:
    os.makedirs(os.path.join(root, name), exist_ok=True)
    for pitch in pitches:
      clip = renderer.render(program, pitch, 100, 0.75, 1.0)
      clip = (0.5 / max(1e-6, float(np.abs(clip).max())) * clip).astype(np.float32)
      write_clip(os.path.join(root, name, f"{pitch}{extension}"), clip, rate, channels)
  if description:
    with open(os.path.join(root, "dataset.json"), "w") as handle:
      json.dump({"content": "pitch"}, handle)
  return root
