"""timit: TIMIT word segments from the LDC distribution in a manual directory."""

from tfds_builders.timit.timit import TimitWords

__all__ = ["TimitWords"]
