"""nsynth: the official NSynth json/wav distribution, read from a manual directory."""

from tfds_builders.nsynth.nsynth import NsynthJsonWav

__all__ = ["NsynthJsonWav"]
