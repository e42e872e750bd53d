"""gm_notes builder test (renders the small config; no dummy files needed)."""

import tensorflow_datasets as tfds

from tfds_builders.gm_notes import gm_notes


class GmNotesSmallTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = gm_notes.GmNotes
  BUILDER_CONFIG_NAMES_TO_TEST = ["small"]
  # piano, guitar, violin: MIDI 55..67 (13 each); flute plays from 60: 8.
  SPLITS = {"train": 3 * 13 + 8}
  SKIP_CHECKSUMS = True


if __name__ == "__main__":
  tfds.testing.test_main()
