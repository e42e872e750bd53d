"""tts_words builder test (needs espeak-ng and flite; scripts/setup.sh installs them)."""

import tensorflow_datasets as tfds

from tfds_builders.tts_words import tts_words


class TtsWordsSmallTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = tts_words.TtsWords
  BUILDER_CONFIG_NAMES_TO_TEST = ["small"]
  SPLITS = {"train": 3 * 4}
  SKIP_CHECKSUMS = True


def test_word_list_has_forty_distinct_words():
  assert len(tts_words.WORDS) == len(set(tts_words.WORDS)) == 40


if __name__ == "__main__":
  tfds.testing.test_main()
