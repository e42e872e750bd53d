"""The note renderer: one loaded SoundFont, every note as a fresh synthesiser renders it."""

import numpy as np
import pytest

from tf_transforms.data.soundfont import NoteRenderer

# Programs of several families, a repeated note, and a long release before a
# short note: what could leak from one note into the next.
NOTES = [(0, 60), (24, 50), (40, 70), (73, 55), (0, 60), (56, 65), (118, 40), (40, 70),
         (48, 36), (11, 84)]


def fresh_render(renderer, program, pitch, velocity=100, hold=0.75, total=1.0):
  """Reference: a newly created synthesiser for this one note."""
  synth, soundfont = renderer._new_synth()
  synth.program_select(0, soundfont, 0, program)
  synth.noteon(0, pitch, velocity)
  held = np.frombuffer(synth.generate(int(hold * 16000)), np.float32)
  synth.noteoff(0, pitch)
  released = np.frombuffer(synth.generate(int((total - hold) * 16000)), np.float32)
  return np.concatenate([held, released]).reshape(-1, 2).mean(axis=1)


def test_notes_rendered_in_sequence_equal_fresh_synthesisers_bit_for_bit():
  renderer = NoteRenderer(sample_rate=16000)
  for program, pitch in NOTES:
    note = renderer.render(program, pitch)
    np.testing.assert_array_equal(note, fresh_render(renderer, program, pitch),
                                  err_msg=f"program {program}, pitch {pitch}")
    assert np.abs(note).max() > 1e-3   # a sounding note, not two silences
  # Shorter clips too: the previous note's release is cut off by the reset.
  short = renderer.render(40, 70, hold_seconds=0.1, total_seconds=0.2)
  np.testing.assert_array_equal(short, fresh_render(renderer, 40, 70, hold=0.1, total=0.2))


def test_bad_arguments_are_refused():
  renderer = NoteRenderer()
  with pytest.raises(ValueError, match="program, pitch must be in 0..127"):
    renderer.render(128, 60)
  with pytest.raises(ValueError, match="hold_seconds <= total_seconds"):
    renderer.render(0, 60, hold_seconds=2.0, total_seconds=1.0)


def test_a_bent_note_sounds_that_many_cents_away():
  """Judged by librosa's pyin, not by the renderer: the same sample bent by
  +-40 cents is 40 cents sharp / flat of the unbent note (within 3 cents)."""
  import librosa
  renderer = NoteRenderer(sample_rate=16000)

  def cents_above_c4(note):
    f0, voiced, _ = librosa.pyin(note[:8000], fmin=130, fmax=520, sr=16000,
                                 resolution=0.01, frame_length=2048)  # 1-cent bins
    return float(np.median(1200 * np.log2(f0[voiced] / librosa.midi_to_hz(60))))

  played = cents_above_c4(renderer.render(40, 60))
  for cents in (40.0, -40.0):
    bent = cents_above_c4(renderer.render(40, 60, cents=cents))
    assert bent - played == pytest.approx(cents, abs=3.0)
  with pytest.raises(ValueError, match="pitch-bend range"):
    renderer.render(40, 60, cents=200.0)
