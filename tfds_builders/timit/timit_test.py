"""timit_words builder test on dummy_data (LDC layout, mixed letter case)."""

import tensorflow_datasets as tfds

from tfds_builders.timit import timit


class TimitWordsTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = timit.TimitWords
  SPLITS = {"train": 6, "test": 3}  # 3 words per sentence
  SKIP_CHECKSUMS = True


if __name__ == "__main__":
  tfds.testing.test_main()
