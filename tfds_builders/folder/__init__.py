"""recordings_folder: a folder of the user's own recordings as a TFDS dataset."""

from tfds_builders.folder.folder import FolderConfig, RecordingsFolder

__all__ = ["FolderConfig", "RecordingsFolder"]
