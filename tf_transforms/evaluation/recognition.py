"""An independent judge of words: closed-vocabulary recognition with pocketsphinx.

The ``pocketsphinx`` wheel ships CMU Sphinx's en-US acoustic model and the
CMU pronouncing dictionary, so nothing is downloaded. A JSGF grammar that
accepts exactly one word of the dataset's word list turns it into an
isolated-word recogniser: "is the converted word still the word?" is then
"does the recogniser pick the right one of the N words?" (chance: 1 / N).
The recogniser was never trained on this project's data or outputs.
"""

import re

import librosa
import numpy as np

SAMPLE_RATE = 16000  # the acoustic model's rate
_TOKEN = re.compile(r"^[a-z][a-z']*$")


class WordRecognizer:
  """Isolated-word recogniser restricted to a word list.

  Args:
    words: the vocabulary (any case; duplicates ignored). Words the
      pronouncing dictionary does not know are left out of the grammar and
      listed in ``out_of_vocabulary``; they can never be recognised.

  Raises:
    ValueError: if no word of ``words`` is in the dictionary.
  """

  def __init__(self, words):
    from pocketsphinx import Decoder  # evaluation-only dependency
    self._decoder = Decoder(loglevel="FATAL")
    candidates = sorted({str(w).strip().lower() for w in words})
    self.vocabulary = tuple(w for w in candidates
                            if _TOKEN.match(w) and self._decoder.lookup_word(w))
    self.out_of_vocabulary = tuple(w for w in candidates if w not in self.vocabulary)
    if not self.vocabulary:
      raise ValueError(f"WordRecognizer: none of {len(candidates)} words is in the "
                       f"pronouncing dictionary (e.g. {candidates[:5]})")
    grammar = ("#JSGF V1.0;\ngrammar words;\npublic <word> = " +
               " | ".join(self.vocabulary) + " ;\n")
    self._decoder.add_jsgf_string("words", grammar)
    self._decoder.activate_search("words")

  def knows(self, word) -> bool:
    return str(word).lower() in self.vocabulary

  def recognize(self, waveform, sample_rate: int) -> str:
    """The word heard in ``waveform`` (float [samples] in [-1, 1]); "" if none.

    Audio at another rate is resampled to 16 kHz; levels are peak-normalised
    (the model's outputs and the recordings differ in gain, not in words).
    """
    waveform = np.asarray(waveform, np.float32).ravel()
    if sample_rate != SAMPLE_RATE:
      waveform = librosa.resample(waveform, orig_sr=sample_rate, target_sr=SAMPLE_RATE)
    peak = float(np.max(np.abs(waveform))) if waveform.size else 0.0
    if not np.isfinite(peak) or peak == 0.0:
      return ""
    pcm = np.round(waveform / peak * 0.9 * 32767).astype(np.int16)
    self._decoder.start_utt()
    self._decoder.process_raw(pcm.tobytes(), full_utt=True)
    self._decoder.end_utt()
    hypothesis = self._decoder.hyp()
    return hypothesis.hypstr.strip() if hypothesis is not None else ""
