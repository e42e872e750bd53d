"""audioset_speech: AudioSet segments labelled Speech, from a manual directory."""

from tfds_builders.audioset_speech.audioset_speech import AudiosetSpeech

__all__ = ["AudiosetSpeech"]
