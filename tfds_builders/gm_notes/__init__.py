"""gm_notes: NSynth-schema notes rendered from a General MIDI SoundFont."""

from tfds_builders.gm_notes.gm_notes import GmNotes, GmNotesConfig

__all__ = ["GmNotes", "GmNotesConfig"]
