"""nsynth_jsonwav builder tests on dummy_data (official json/wav layout)."""

import tensorflow_datasets as tfds

from tfds_builders.nsynth import nsynth


class NsynthFullTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = nsynth.NsynthJsonWav
  BUILDER_CONFIG_NAMES_TO_TEST = ["full"]
  SPLITS = {"train": 3, "valid": 2, "test": 2}
  SKIP_CHECKSUMS = True


class NsynthAcousticTest(NsynthFullTest):
  BUILDER_CONFIG_NAMES_TO_TEST = ["acoustic_24_84"]
  # train drops pitch 90 and the electronic keyboard; valid the synthetic bass;
  # test the electronic keyboard.
  SPLITS = {"train": 1, "valid": 1, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
