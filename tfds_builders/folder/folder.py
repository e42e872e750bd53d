"""recordings_folder: the user's own recordings, read from ``--manual_dir``.

``DIR/<style>/<content>.<wav|flac|ogg|mp3>`` or ``DIR/manifest.csv`` (path,
style, content), with an optional ``DIR/dataset.json`` declaring what the
content is; ``tf_transforms/data/folder_dataset.py`` reads and checks the
folder (the README's "Your own recordings"). Every recording is written as 16
kHz mono float32, whatever its rate and channels, like the other builders.

One TFDS config per folder content: ``FolderConfig.for_folder`` names it after
the folder and its fingerprint, so a changed folder is prepared afresh and a
prepared one is read back by its config name alone (evaluate.py and
export.py need no --manual_dir). The content kind is stored in the
dataset's metadata (``metadata.json``). One split, ``train``: the pairing
pipeline holds out contents for validation and test, as for gm_notes.
"""

import dataclasses
import os

import numpy as np
import tensorflow_datasets as tfds

from tf_transforms.core.errors import DatasetError
from tf_transforms.data import folder_dataset
from tfds_builders import common


@dataclasses.dataclass
class FolderConfig(tfds.core.BuilderConfig):
  """One folder's content (its name holds the folder's fingerprint)."""

  @classmethod
  def for_folder(cls, folder: folder_dataset.FolderDataset) -> "FolderConfig":
    return cls(name=folder.config_name,
               description=f"{len(folder.recordings)} recordings of {len(folder.styles)} "
                           f"styles from {folder.root} (content: {folder.kind})")


class RecordingsFolder(tfds.core.GeneratorBasedBuilder):
  """A folder of recordings: <style>/<content>.<ext>, or a manifest."""

  CONFIG_CLASS = FolderConfig  # (pipeline.make_builder makes one per folder)
  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release."}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  --manual_dir=DIR with DIR/<style>/<content>.wav (also .flac, .ogg, .mp3) or
  DIR/manifest.csv (columns path, style, content), and optionally
  DIR/dataset.json: {"content": "pitch" | "word" | "key"}.
  """

  def _info(self):
    return self.dataset_info_from_configs(
        features=tfds.features.FeaturesDict({
            "id": tfds.features.Text(doc="<style>/<content>"),
            "audio": tfds.features.Audio(shape=(None,), dtype=np.float32,
                                         sample_rate=common.SAMPLE_RATE,
                                         doc="mono, 16 kHz, [-1, 1]"),
            "style": tfds.features.Text(),
            "content": tfds.features.Text(
                doc="the content key: a MIDI pitch, a lower-case word or a plain key"),
            "path": tfds.features.Text(doc="the file, relative to the folder"),
        }),
        metadata=tfds.core.MetadataDict(),
        supervised_keys=None,
    )

  def _split_generators(self, dl_manager):
    folder = folder_dataset.describe(dl_manager.manual_dir)
    if folder.config_name != self.builder_config.name:
      raise DatasetError(
          f"--manual_dir={folder.root}: its recordings are not the ones config "
          f"{self.builder_config.name} was made from (now {folder.config_name}): the folder "
          "changed since the run was trained")
    self.info.metadata["content"] = folder.kind
    self.info.metadata["root"] = folder.root
    return {"train": self._generate_examples(folder)}

  def _generate_examples(self, folder):
    guard = common.BadFileGuard("train", max_fraction=0.0)  # the user's files: none may be bad
    for recording in folder.recordings:
      audio = guard.read_audio(recording.path)
      if audio is None:
        continue
      key = f"{recording.style}/{recording.content}"
      yield key, {"id": key, "audio": audio, "style": recording.style,
                  "content": str(recording.content),
                  "path": os.path.relpath(recording.path, folder.root)}
    guard.check()
