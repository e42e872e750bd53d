"""tts_words: a TIMIT-schema stand-in spoken by local speech synthesizers.

Every word of ``words.txt`` (1,200 frequent English words, see
``make_word_list.py``) spoken by each of 20 voices from three engines, sexes
mixed (13 male, 7 female):

* espeak-ng, US English with the voice variants m1-m7 and f1-f5 (formant
  synthesis; Debian package ``espeak-ng``);
* flite's kal, kal16, awb, rms and slt (diphone and cluster-unit voices
  of CMU speakers; ``flite``);
* festival with kal and ked (diphone, ``festvox-kallpc16k``,
  ``festvox-kdlpc16k``) and slt (HTS statistical parametric,
  ``festvox-us-slt-hts``).

The result has real speech structure (formants, phone durations, prosody) and
TIMIT's shape -- speakers x words -- so voice conversion trains and is
evaluated on unseen words without TIMIT. Nothing is downloaded; scripts/setup.sh
installs the packages. Voices are synthesised in parallel (one thread per
voice, as many at a time as there are cores; festival speaks a voice's words
in one process).

Each clip: the synthesizer's WAV, resampled to 16 kHz mono, leading/trailing
silence trimmed (40 dB below peak, 50 ms kept), and peak-normalised to 0.5.
``dialect_region`` holds the engine's name.
"""

import concurrent.futures
import dataclasses
import os
import shutil
import subprocess
import tempfile

import librosa
import numpy as np
import tensorflow_datasets as tfds

from tf_transforms.core.errors import AudioError, DatasetError
from tf_transforms.signal import audio_files
from tfds_builders import common


def _read_words():
  path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "words.txt")
  with open(path, encoding="utf-8") as handle:
    return tuple(w.strip() for w in handle if w.strip())


WORDS = _read_words()


@dataclasses.dataclass(frozen=True)
class Voice:
  """One synthetic speaker: ``engine`` program, its ``voice`` name, ``sex``
  ("m" / "f") and the Debian ``package`` that provides the voice."""

  speaker: str
  engine: str
  voice: str
  sex: str
  package: str


VOICES = tuple(
    [Voice(f"espeak_m{i}", "espeak-ng", f"en-us+m{i}", "m", "espeak-ng") for i in range(1, 8)] +
    [Voice(f"espeak_f{i}", "espeak-ng", f"en-us+f{i}", "f", "espeak-ng") for i in range(1, 6)] +
    [Voice(f"flite_{v}", "flite", v, sex, "flite")
     for v, sex in (("kal", "m"), ("kal16", "m"), ("awb", "m"), ("rms", "m"), ("slt", "f"))] +
    [Voice("festival_kal", "festival", "kal_diphone", "m", "festvox-kallpc16k"),
     Voice("festival_ked", "festival", "ked_diphone", "m", "festvox-kdlpc16k"),
     Voice("festival_slt", "festival", "cmu_us_slt_arctic_hts", "f", "festvox-us-slt-hts")])
VOICES_BY_SPEAKER = {v.speaker: v for v in VOICES}
PEAK = 0.5
MARGIN_SECONDS = 0.05
TIMEOUT_SECONDS = 60  # per espeak-ng / flite word; festival: per word in its batch
WORKERS = len(os.sched_getaffinity(0))  # voices synthesised at a time (read at import:
                                        # TFDS' builder tests mock parts of `os`)


def _festival_string(word):
  return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def synthesize(voice: Voice, words, workdir) -> dict:
  """{word: WAV bytes} for ``words`` spoken by ``voice``; a word whose
  synthesis failed maps to the error message (str).

  ``workdir``: an empty scratch directory for this voice's files.
  """
  results = {}
  if voice.engine == "festival":  # one process for all words: start-up is most of the cost
    paths = [os.path.join(workdir, f"{i}.wav") for i in range(len(words))]
    script = [f"(voice_{voice.voice})"] + [
        f"(utt.save.wave (utt.synth (Utterance Text {_festival_string(w)})) "
        f"{_festival_string(p)} 'riff)" for w, p in zip(words, paths)]
    script_path = os.path.join(workdir, "script.scm")
    with open(script_path, "w", encoding="utf-8") as handle:
      handle.write("\n".join(script) + "\n")
    try:
      subprocess.run(["festival", "--batch", script_path], capture_output=True, check=True,
                     timeout=TIMEOUT_SECONDS * max(1, len(words)))
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
      return {w: f"festival failed: {error}" for w in words}
    for word, path in zip(words, paths):
      if os.path.exists(path):
        with open(path, "rb") as handle:
          results[word] = handle.read()
      else:
        results[word] = "festival wrote no audio"
    return results
  for word in words:
    if voice.engine == "espeak-ng":
      command = ["espeak-ng", "-v", voice.voice, "--stdout", word]
    else:
      command = ["flite", "-voice", voice.voice, "-t", word, "-o", "/dev/stdout"]
    try:
      results[word] = subprocess.run(command, capture_output=True, check=True,
                                     timeout=TIMEOUT_SECONDS).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
      results[word] = f"{voice.engine} failed: {error}"
  return results


def prepare(wav_bytes, name) -> np.ndarray:
  """WAV bytes -> float32 16 kHz clip, trimmed and peak-normalised.

  Raises:
    AudioError: undecodable or silent.
  """
  clip = audio_files.decode_audio(wav_bytes, name, common.SAMPLE_RATE)
  _, (start, end) = librosa.effects.trim(clip, top_db=40)
  margin = int(MARGIN_SECONDS * common.SAMPLE_RATE)
  clip = clip[max(0, start - margin):end + margin]
  peak = float(np.abs(clip).max()) if clip.size else 0.0
  if peak == 0.0:
    raise AudioError(f"{name}: silent")
  return (PEAK / peak * clip).astype(np.float32)


def check_voices(voices):
  """Each voice speaks one word, before any work: a missing program or voice
  is a DatasetError naming the Debian package to install."""
  for voice in voices:
    if shutil.which(voice.engine) is None:
      raise DatasetError(f"tts_words voice {voice.speaker} needs the `{voice.engine}` program: "
                         f"apt-get install {voice.package} (scripts/setup.sh installs it)")
  for voice in voices:
    with tempfile.TemporaryDirectory() as workdir:
      spoken = synthesize(voice, ("water",), workdir)["water"]
    try:
      if isinstance(spoken, str):
        raise AudioError(spoken)
      prepare(spoken, voice.speaker)
    except AudioError as error:
      raise DatasetError(
          f"tts_words voice {voice.speaker} ({voice.engine} {voice.voice}) does not speak: "
          f"{' '.join(str(error).split())[:200]}; apt-get install {voice.package} "
          "(scripts/setup.sh installs it)") from None


@dataclasses.dataclass
class TtsWordsConfig(tfds.core.BuilderConfig):
  """Attributes: speakers (names from VOICES) and words to speak."""

  speakers: tuple = tuple(v.speaker for v in VOICES)
  words: tuple = WORDS


class TtsWords(tfds.core.GeneratorBasedBuilder):
  """1,200 words spoken by 20 synthetic voices, TIMIT schema."""

  VERSION = tfds.core.Version("2.0.0")
  RELEASE_NOTES = {
      "1.0.0": "Initial release: 16 voices (espeak-ng, flite), 40 words.",
      "2.0.0": "1,200 frequent words (words.txt), 20 voices: festival's kal, ked and slt "
               "and flite's kal16 added; parallel synthesis.",
  }
  BUILDER_CONFIGS = [
      TtsWordsConfig(name="default", description="20 voices x 1,200 words."),
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
    unknown = sorted(set(self.builder_config.speakers) - set(VOICES_BY_SPEAKER))
    if unknown:
      raise ValueError(f"tts_words: unknown speakers {unknown}; known: "
                       f"{sorted(VOICES_BY_SPEAKER)}")
    voices = [VOICES_BY_SPEAKER[s] for s in self.builder_config.speakers]
    check_voices(voices)
    return {"train": self._generate_examples(voices)}

  def _speak(self, voice):
    """[(key, example) or (None, reason skipped)] for every word, in word order."""
    words = self.builder_config.words
    with tempfile.TemporaryDirectory() as workdir:
      spoken = synthesize(voice, words, workdir)
    out = []
    for index, word in enumerate(words):
      name = f"{voice.engine} {voice.voice} {word!r}"
      try:
        if isinstance(spoken[word], str):
          raise AudioError(spoken[word])
        clip = prepare(spoken[word], name)
      except AudioError as error:
        out.append((None, f"{name}: {error}"))
        continue
      key = f"{voice.speaker}/{word}"
      out.append((key, {"id": key, "audio": clip, "word": word, "speaker": voice.speaker,
                        "dialect_region": voice.engine, "sex": voice.sex,
                        "sentence_id": f"W{index:04d}"}))
    return out

  def _generate_examples(self, voices):
    guard = common.BadFileGuard("train")
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
      for spoken in pool.map(self._speak, voices):  # voice order: deterministic
        for key, example in spoken:
          if key is None:
            guard.skip(example)
            continue
          guard.accept()
          yield key, example
    guard.check()
