"""tts_words builder tests (need espeak-ng, flite and festival with its voices;
scripts/setup.sh installs them)."""

import pytest
import tensorflow_datasets as tfds

from tf_transforms.core.errors import DatasetError
from tfds_builders.tts_words import tts_words


class TtsWordsSmallTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = tts_words.TtsWords
  BUILDER_CONFIG_NAMES_TO_TEST = ["small"]
  SPLITS = {"train": 3 * 4}
  SKIP_CHECKSUMS = True


def test_word_list_and_voices_are_the_documented_set():
  words = tts_words.WORDS
  assert len(words) == len(set(words)) == 1200
  assert all(w.isascii() and w.isalpha() and w.islower() and len(w) >= 3 for w in words)
  voices = tts_words.VOICES
  assert len({v.speaker for v in voices}) == len(voices) == 20
  assert {v.engine for v in voices} == {"espeak-ng", "flite", "festival"}
  assert sum(v.sex == "f" for v in voices) == 7 and sum(v.sex == "m" for v in voices) == 13


@pytest.mark.parametrize("speaker", ["festival_kal", "festival_ked", "festival_slt",
                                     "flite_kal16", "espeak_f5"])
def test_every_engine_speaks_a_word_list_in_one_call(speaker, tmp_path):
  """Festival speaks a whole list in one process; each word is its own clip,
  longer words are longer, and the voice check passes."""
  voice = tts_words.VOICES_BY_SPEAKER[speaker]
  spoken = tts_words.synthesize(voice, ("yes", "understanding"), str(tmp_path))
  clips = {w: tts_words.prepare(b, w) for w, b in spoken.items()}
  assert set(clips) == {"yes", "understanding"}
  assert len(clips["understanding"]) > 1.3 * len(clips["yes"])
  for clip in clips.values():
    assert abs(abs(clip).max() - tts_words.PEAK) < 1e-6
  tts_words.check_voices([voice])


def test_a_missing_program_or_voice_names_the_package(monkeypatch):
  voice = tts_words.VOICES_BY_SPEAKER["festival_slt"]
  monkeypatch.setattr(tts_words.shutil, "which", lambda program: None)
  with pytest.raises(DatasetError, match="needs the `festival` program: apt-get install "
                                         "festvox-us-slt-hts"):
    tts_words.check_voices([voice])
  monkeypatch.undo()
  missing = tts_words.Voice("festival_nobody", "festival", "nobody_diphone", "m",
                            "festvox-nobody")
  with pytest.raises(DatasetError, match="festival_nobody .* does not speak.*apt-get install "
                                         "festvox-nobody"):
    tts_words.check_voices([missing])


if __name__ == "__main__":
  tfds.testing.test_main()
