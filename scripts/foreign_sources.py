r"""Recordings of voices and instruments the embedded datasets never use, as a
folder dataset (``<style>/<content>.wav`` + dataset.json): the sources of
``evaluate.py --foreign_sources`` (docs/results.md, "Sources the model never
heard").

* notes: gm_notes' 22 General MIDI programs over its pitches, rendered from
  another SoundFont (default: Debian's csound-soundfont, sf_GMbank.sf2), as
  gm_notes renders them (velocity 100, 0.75 s held, 1 s, peak 0.5); style
  names ``<soundfont>_<gm_notes name>``. With ``--programs``, other GM
  programs instead (instruments gm_notes never plays; MIDI 40-84), e.g.
  from the bundled SoundFont: ``--soundfont=bundled --programs=...``.
* words: tts_words' words spoken by espeak-ng voice variants that tts_words
  does not use (``HELD_OUT_VOICES``), trimmed and normalised as tts_words'.

Usage:
  python scripts/foreign_sources.py --kind=notes --output=data/foreign_notes
  python scripts/foreign_sources.py --kind=notes --soundfont=bundled \
      --programs=6,25,41,57,68,70,74,79 --output=data/foreign_programs
  python scripts/foreign_sources.py --kind=words --output=data/foreign_words [--max_words=N]
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import numpy as np  # noqa: E402

from tf_transforms.core.errors import RunError, reported_in_one_line  # noqa: E402
from tf_transforms.data.soundfont import NoteRenderer  # noqa: E402
from tf_transforms.signal import audio_files  # noqa: E402

DEFAULT_SOUNDFONT = "/usr/share/sounds/sf2/sf_GMbank.sf2"  # apt-get install csound-soundfont
# espeak-ng variants tts_words does not use (it has en-us+m1..m7, +f1..f5).
HELD_OUT_VOICES = ("en-us+klatt", "en-us+Andy", "en-us+Steph", "en-us+Annie", "en-us+grandpa",
                   "en-us+Mr_Serious")

flags.DEFINE_enum("kind", "notes", ["notes", "words"], "What to render.")
flags.DEFINE_string("output", None, "The folder to write (must not exist).", required=True)
flags.DEFINE_string("soundfont", DEFAULT_SOUNDFONT, "notes: the .sf2 to render from "
                    "(bundled: gm_notes' own, TimGM6mb).")
flags.DEFINE_list("programs", [], "notes: GM programs to render instead of gm_notes' 22.")
flags.DEFINE_list("voices", list(HELD_OUT_VOICES), "words: espeak-ng voices.")
flags.DEFINE_integer("max_words", None, "words: only the first N words of tts_words' list.")
FLAGS = flags.FLAGS


OTHER_RANGE = (40, 84)  # MIDI pitches of programs gm_notes does not play


def render_notes(output, soundfont, programs=()):
  from tf_transforms.data.soundfont import default_soundfont_path
  from tfds_builders.gm_notes import gm_notes
  config = gm_notes.GmNotesConfig(name="default")
  soundfont = default_soundfont_path() if soundfont == "bundled" else soundfont
  renderer = NoteRenderer(soundfont)
  stem = os.path.splitext(os.path.basename(soundfont))[0].lower()
  written = 0
  if programs:
    chosen = [(program, None, None) for program in programs]
  else:
    chosen = gm_notes.INSTRUMENTS
  for program, family, source in chosen:
    if family is None:
      style, (low, high) = f"{stem}_program_{program:03d}", OTHER_RANGE
    else:
      style, (low, high) = f"{stem}_{family}_{source}_{program:03d}", gm_notes.FAMILY_RANGES[family]
    for pitch in range(max(low, config.min_pitch), min(high, config.max_pitch) + 1):
      clip = renderer.render(program, pitch, config.velocity, config.hold_seconds,
                             config.total_seconds)
      peak = float(np.abs(clip).max())
      if peak < gm_notes.SILENCE_PEAK:
        continue
      os.makedirs(os.path.join(output, style), exist_ok=True)
      audio_files.write_audio(os.path.join(output, style, f"{pitch}.wav"),
                              (gm_notes.PEAK / peak * clip).astype(np.float32))
      written += 1
  return written, "pitch"


def render_words(output, voices, max_words):
  import librosa

  from tfds_builders.tts_words import tts_words
  words = tts_words.WORDS[:max_words] if max_words else tts_words.WORDS
  written = 0
  for voice in voices:
    style = "espeak_" + voice.split("+")[-1].lower()
    os.makedirs(os.path.join(output, style), exist_ok=True)
    for word in words:
      data = subprocess.run(["espeak-ng", "-v", voice, "--stdout", word], capture_output=True,
                            check=True, timeout=60).stdout
      clip = audio_files.decode_audio(data, f"espeak-ng -v {voice} {word!r}")
      trimmed, (start, end) = librosa.effects.trim(clip, top_db=40)
      margin = int(tts_words.MARGIN_SECONDS * audio_files.DEFAULT_SAMPLE_RATE)
      clip = clip[max(0, start - margin):end + margin]
      peak = float(np.abs(clip).max())
      if peak <= 0:
        continue
      audio_files.write_audio(os.path.join(output, style, f"{word}.wav"),
                              (tts_words.PEAK / peak * clip).astype(np.float32))
      written += 1
  return written, "word"


@reported_in_one_line
def main(argv):
  del argv
  if os.path.exists(FLAGS.output):
    raise RunError(f"--output={FLAGS.output}: exists; give a new folder")
  if FLAGS.kind == "notes" and FLAGS.soundfont != "bundled" and \
      not os.path.isfile(FLAGS.soundfont):
    raise RunError(f"--soundfont={FLAGS.soundfont}: no such file (apt-get install "
                   "csound-soundfont, or give another .sf2)")
  partial = FLAGS.output + ".partial"
  if os.path.exists(partial):
    import shutil
    shutil.rmtree(partial)
  if FLAGS.kind == "notes":
    written, kind = render_notes(partial, FLAGS.soundfont, [int(p) for p in FLAGS.programs])
  else:
    written, kind = render_words(partial, FLAGS.voices, FLAGS.max_words)
  with open(os.path.join(partial, "dataset.json"), "w") as handle:
    json.dump({"content": kind}, handle)
  os.rename(partial, FLAGS.output)
  print(f"wrote {written} recordings to {FLAGS.output}/")


if __name__ == "__main__":
  app.run(main)
