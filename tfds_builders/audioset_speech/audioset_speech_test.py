"""audioset_speech builder test on dummy_data (AudioSet CSV format)."""

import tensorflow_datasets as tfds

from tfds_builders.audioset_speech import audioset_speech


class AudiosetSpeechTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = audioset_speech.AudiosetSpeech
  SPLITS = {"train": 2, "eval": 1}  # Speech with audio only
  SKIP_CHECKSUMS = True


if __name__ == "__main__":
  tfds.testing.test_main()
