"""tts_words: a TIMIT-schema stand-in spoken by local speech synthesizers.

Every word of a word list spoken by every voice: espeak-ng's US English with
voice variants m1-m7 and f1-f5, and flite's kal, awb, rms and slt (Debian
packages ``espeak-ng`` and ``flite``, installed by scripts/setup.sh). The
result has real speech structure (formants, phone durations, prosody) and a
TIMIT-like shape -- speakers x words -- so voice conversion trains and is
evaluated on unseen words without TIMIT. Nothing is downloaded.

Each clip: the synthesizer's WAV (read from its stdout), resampled to 16 kHz
mono, leading/trailing silence trimmed (40 dB below peak, 50 ms kept), and
peak-normalised to 0.5. ``dialect_region`` holds the engine's name.
"""

import dataclasses
import shutil
import subprocess

import librosa
import numpy as np
import tensorflow_datasets as tfds

from tf_transforms import io
from tf_transforms.errors import AudioError, DatasetError
from tfds_builders import common

# TIMIT's two dialect sentences (SA1, SA2) and frequent words.
WORDS = tuple(dict.fromkeys((  # order-preserving, no duplicates (keys are speaker/word)
    "she had your dark suit in greasy wash water all year don't ask me to carry an "
    "oily rag like that the people would never know about money time house little "
    "music morning evening yellow window garden famous simple river"
).split()))
# (speaker, engine, voice, sex)
VOICES = (
    [(f"espeak_m{i}", "espeak-ng", f"en-us+m{i}", "m") for i in range(1, 8)] +
    [(f"espeak_f{i}", "espeak-ng", f"en-us+f{i}", "f") for i in range(1, 6)] +
    [("flite_kal", "flite", "kal", "m"), ("flite_awb", "flite", "awb", "m"),
     ("flite_rms", "flite", "rms", "m"), ("flite_slt", "flite", "slt", "f")]
)
PEAK = 0.5
MARGIN_SECONDS = 0.05


def synthesize(engine, voice, word):
  """The synthesizer's WAV bytes for one word."""
  if engine == "espeak-ng":
    command = ["espeak-ng", "-v", voice, "--stdout", word]
  else:
    command = ["flite", "-voice", voice, "-t", word, "-o", "/dev/stdout"]
  return subprocess.run(command, capture_output=True, check=True, timeout=60).stdout


@dataclasses.dataclass
class TtsWordsConfig(tfds.core.BuilderConfig):
  """Attributes: speakers (names from VOICES) and words to speak."""

  speakers: tuple = tuple(v[0] for v in VOICES)
  words: tuple = tuple(WORDS)


class TtsWords(tfds.core.GeneratorBasedBuilder):
  """The same words spoken by 16 synthetic voices, TIMIT schema."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release: 16 voices (espeak-ng, flite), 40 words."}
  BUILDER_CONFIGS = [
      TtsWordsConfig(name="default", description="16 voices x 40 words."),
      TtsWordsConfig(name="small", description="3 voices x 4 words (tests, demos).",
                     speakers=("espeak_m1", "espeak_f1", "flite_slt"),
                     words=("she", "had", "dark", "water")),
  ]
  DEFAULT_CONFIG_NAME = "default"

  def _info(self):
    return self.dataset_info_from_configs(
        features=common.word_features(),
        homepage="https://github.com/espeak-ng/espeak-ng",
    )

  def _split_generators(self, dl_manager):
    del dl_manager
    voices = {v[0]: v for v in VOICES}
    unknown = sorted(set(self.builder_config.speakers) - set(voices))
    if unknown:
      raise ValueError(f"tts_words: unknown speakers {unknown}; known: {sorted(voices)}")
    for engine in sorted({voices[s][1] for s in self.builder_config.speakers}):
      if shutil.which(engine) is None:
        raise DatasetError(
            f"tts_words needs the `{engine}` program: apt-get install espeak-ng flite "
            "(scripts/setup.sh installs both)")
    return {"train": self._generate_examples(
        [voices[s] for s in self.builder_config.speakers])}

  def _generate_examples(self, voices):
    guard = common.BadFileGuard("train")
    for speaker, engine, voice, sex in voices:
      for index, word in enumerate(self.builder_config.words):
        name = f"{engine} -v {voice} {word!r}"
        try:
          audio = io.decode_audio(synthesize(engine, voice, word), name, common.SAMPLE_RATE)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AudioError) as error:
          guard.skip(f"{name}: {error}")
          continue
        _, (start, end) = librosa.effects.trim(audio, top_db=40)
        margin = int(MARGIN_SECONDS * common.SAMPLE_RATE)
        audio = audio[max(0, start - margin):end + margin]
        peak = float(np.abs(audio).max())
        if peak == 0.0:
          guard.skip(f"{name}: silent")
          continue
        guard.accept()
        key = f"{speaker}/{word}"
        yield key, {
            "id": key, "audio": (PEAK / peak * audio).astype(np.float32), "word": word,
            "speaker": speaker, "dialect_region": engine, "sex": sex,
            "sentence_id": f"W{index:03d}",
        }
    guard.check()
