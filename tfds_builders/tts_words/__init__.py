"""tts_words: the same words spoken by many synthetic voices (TIMIT schema)."""

from tfds_builders.tts_words.tts_words import TtsWords, TtsWordsConfig

__all__ = ["TtsWords", "TtsWordsConfig"]
