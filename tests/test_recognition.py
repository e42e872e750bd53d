"""The word judge: pocketsphinx restricted to a word list, on espeak-ng words."""

import shutil
import subprocess

import numpy as np
import pytest

from tf_transforms.evaluation import recognition
from tf_transforms.signal import audio_files

WORDS = ("water", "garden", "music", "yellow", "window", "river", "money", "evening",
         "don't", "people")


def spoken(word, voice="en-us+m3"):
  assert shutil.which("espeak-ng"), "bash scripts/setup.sh installs espeak-ng"
  wav = subprocess.run(["espeak-ng", "-v", voice, "--stdout", word], capture_output=True,
                       check=True).stdout
  return audio_files.decode_audio(wav, word, 16000)


@pytest.fixture(scope="module")
def recognizer():
  return recognition.WordRecognizer(WORDS + ("zzyzxq",))


def test_unknown_words_are_left_out_and_listed(recognizer):
  assert recognizer.out_of_vocabulary == ("zzyzxq",)
  assert "don't" in recognizer.vocabulary and not recognizer.knows("zzyzxq")
  with pytest.raises(ValueError, match="pronouncing dictionary"):
    recognition.WordRecognizer(["zzyzxq", "qqqxv"])


@pytest.mark.parametrize("voice", ["en-us+m3", "en-us+f2"])
def test_recognises_synthetic_words_of_its_list(recognizer, voice):
  heard = [recognizer.recognize(spoken(w, voice), 16000) for w in WORDS]
  assert np.mean([h == w for h, w in zip(heard, WORDS)]) >= 0.8, heard


def test_other_rates_gains_and_silence(recognizer):
  word = spoken("garden")
  import librosa
  at_22k = librosa.resample(word, orig_sr=16000, target_sr=22050)
  assert recognizer.recognize(0.05 * at_22k, 22050) == "garden"
  assert recognizer.recognize(np.zeros(8000, np.float32), 16000) == ""


def test_time_reversed_words_are_mostly_not_recognised(recognizer):
  """The judge can fail: reversed speech keeps the spectrum, loses the word."""
  heard = [recognizer.recognize(spoken(w)[::-1].copy(), 16000) for w in WORDS]
  assert np.mean([h == w for h, w in zip(heard, WORDS)]) <= 0.4, heard
