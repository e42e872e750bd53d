"""The independent judges of a clip, and the per-pair measures they give.

None of them is what the model is trained against (log-mel MSE): WORLD
mel-cepstra for the field's MCD (``metrics``), a style classifier on vocoded
real clips, pyin for notes' pitch (``pitch``), pocketsphinx for words
(``recognition``) and WORLD F0 for speakers. ``scoring.py`` generates the
clips; ``tables.py`` summarises the measures.
"""

import dataclasses
import hashlib
import math
import os

import numpy as np
import sklearn.linear_model
import sklearn.pipeline
import sklearn.preprocessing
import tensorflow as tf

from tf_transforms.core.files import atomic_output
from tf_transforms.data import pipeline
from tf_transforms.evaluation import clip_analysis, metrics, recognition
from tf_transforms.signal import melspec, vocoding


def clip_statistics(log_mel):
  """[T, F] log-mel -> [2F] mean and std over time: the style classifier's input."""
  return np.concatenate([log_mel.mean(axis=0), log_mel.std(axis=0)])


def vocoded_features(index: pipeline.Index, rows, audio_config, batch_size=32):
  """Log-mel of each clip after the vocoding path outputs take (true log-mel ->
  mel inverse -> Griffin-Lim -> de-emphasis -> analysis): [T, F] per row."""
  vocode = tf.function(lambda log_mel: vocoding.log_mel_to_audio(log_mel, audio_config),
                       reduce_retracing=True)  # words: a new length every batch
  features = index.features(audio_config)
  out = []
  for start in range(0, len(rows), batch_size):
    chunk = rows[start:start + batch_size]
    batch = pipeline.pad_rows([features[r] for r in chunk], pad_value=-1.0)  # silence
    waveforms = vocode(melspec.denormalize_log_spectrogram(batch, audio_config)).numpy()
    for i, r in enumerate(chunk):
      waveform = waveforms[i, :(len(features[r]) - 1) * audio_config.frame_step]
      out.append(melspec.log_mel_spectrogram(waveform, audio_config).numpy())
  return out


class JudgementCache:
  """What the judges say about clips that do not depend on the model, kept on
  disk beside the prepared dataset: real recordings and vocoded true targets
  (their WORLD analysis, pitch or recognised word, classifier statistics and
  length) and the style classifier's vocoded training features. A second evaluation of the same dataset, or of
  another run on it, skips them.

  The file is keyed by everything those judgements depend on: the dataset
  version (its directory), the audio front-end and vocoder (``AudioConfig``),
  the WORLD F0 method, and ``VERSION`` (bump it when a judge changes).
  ``directory`` None keeps the cache in memory only.
  """

  VERSION = 1

  def __init__(self, directory, audio_config, kind):
    settings = repr((audio_config, metrics.F0_METHOD, kind, self.VERSION))
    digest = hashlib.sha1(settings.encode()).hexdigest()[:12]
    self.path = (os.path.join(directory, f"tf_transforms_judgements.{digest}.npz")
                 if directory else None)
    self.arrays = {}
    if self.path and os.path.exists(self.path):
      with np.load(self.path, allow_pickle=False) as stored:
        self.arrays = {key: stored[key] for key in stored.files}
    self._loaded = len(self.arrays)

  def get(self, key):
    """The arrays stored under ``key`` ({name: array}), or None."""
    prefix = key + "/"
    found = {name[len(prefix):]: value for name, value in self.arrays.items()
             if name.startswith(prefix)}
    return found or None

  def put(self, key, **arrays):
    for name, value in arrays.items():
      self.arrays[f"{key}/{name}"] = np.asarray(value)

  def save(self):
    """Writes the cache (atomically) if anything was added; a read-only
    dataset directory just keeps it in memory."""
    if not self.path or len(self.arrays) == self._loaded:
      return
    try:
      with atomic_output(self.path) as temporary:
        with open(temporary, "wb") as handle:
          np.savez(handle, **self.arrays)
    except OSError:
      return
    self._loaded = len(self.arrays)


# Clips per style the style classifier is trained ("train") and scored ("test")
# on: every clip of gm_notes (at most 32 and 8 per instrument), a bounded
# sample of large sets (tts_words has 800 and 200 per voice) so that vocoding
# them stays minutes.
CLASSIFIER_CLIPS_PER_STYLE = {"train": 60, "test": 20}


def classifier_rows(index: pipeline.Index, every=6) -> list:
  """Rows the style classifier uses: the first ``CLASSIFIER_CLIPS_PER_STYLE``
  training- and test-split clips of each style, in row order (TFDS stores
  examples in a hashed order, so the first are not the first words)."""
  rows = []
  for part, limit in CLASSIFIER_CLIPS_PER_STYLE.items():
    in_part = pipeline.split_rows(index, part, every)  # ascending
    for style in range(len(index.vocabulary)):
      rows.extend(in_part[index.style[in_part] == style][:limit].tolist())
  return sorted(rows)


def train_style_classifier(index: pipeline.Index, audio_config, every=6, cache=None):
  """Logistic regression on log-mel statistics of *vocoded* real clips.

  Trained on the training split's clips after the same vocoding path the
  models' outputs take, so that Griffin-Lim's artifacts are not mistaken for
  style (trained on unvocoded audio, it recognises almost no vocoded true
  target). Returns (classifier, accuracy on vocoded real test-split clips:
  the ceiling for "target style recognised").
  """
  # (decided by the recordings' content, as split_rows decides it)
  assignment = pipeline.split_content(index.content[index.recordings], every)
  split = np.array([assignment.get(c.item(), "") for c in index.content])
  rows = classifier_rows(index, every)
  stored = cache.get(f"classifier_features/every{every}") if cache else None
  if stored is not None and np.array_equal(stored["rows"], rows):
    x = stored["x"]
  else:
    x = np.stack([clip_statistics(f) for f in vocoded_features(index, rows, audio_config)])
    if cache:
      cache.put(f"classifier_features/every{every}", rows=np.array(rows), x=x)
  y = index.style[rows]
  is_train = split[rows] == "train"
  classifier = sklearn.pipeline.make_pipeline(
      sklearn.preprocessing.StandardScaler(),
      sklearn.linear_model.LogisticRegression(max_iter=2000, C=1.0))
  classifier.fit(x[is_train], y[is_train])
  accuracy = float(classifier.score(x[~is_train], y[~is_train])) if (~is_train).any() else math.nan
  return classifier, accuracy


@dataclasses.dataclass
class Judgement:
  """What the independent judges say about one clip.

  Attributes:
    analysis: WORLD analysis (mel-cepstrum and F0) for the MCD and F0 measures.
    style: the style classifier's label (style id).
    seconds: duration.
    pitch_cents: notes: cents off the clip's note (pyin; nan: unvoiced).
    word: words: what the recogniser heard ("" for nothing).
  """

  analysis: metrics.WorldAnalysis
  style: int
  seconds: float
  pitch_cents: float = math.nan
  word: str = ""


class Judges:
  """The judges of one dataset, shared by every run evaluated on it.

  Trained or built once per ``evaluate.py`` call: the style classifier (on the
  training split, ``train_style_classifier``), for words the closed-vocabulary
  recogniser (``recognition.WordRecognizer`` over every word of the dataset)
  and each speaker's median F0 (WORLD, training-split clips). Judgements of
  real recordings are cached by row, so Table 2's runs share them.
  """

  SPEAKER_F0_CLIPS = 12  # training clips per speaker for its median F0

  def __init__(self, index: pipeline.Index, audio_config, every: int = 6,
               cache_dir=None, processes=None):
    self.index = index
    self.audio_config = audio_config
    self.kind = index.spec.content_kind
    self.cache = JudgementCache(cache_dir, audio_config, self.kind)
    self.classifier, self.classifier_accuracy = train_style_classifier(
        index, audio_config, every, self.cache)
    self.recognizer = None
    if self.kind == "word":
      self.recognizer = recognition.WordRecognizer(index.content.tolist())
    # WORLD, pyin and the recogniser, in ``processes`` worker processes.
    self.analyser = clip_analysis.Analyser(self.kind, self.recognizer, processes)
    self.speaker_f0 = self._speaker_f0(every) if self.kind == "word" else {}
    self._recordings = {}

  def close(self):
    """Stops the analyser's worker processes."""
    self.analyser.close()

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.close()

  def _speaker_f0(self, every):
    """{style id: median F0 in Hz} over up to SPEAKER_F0_CLIPS training clips each."""
    training = pipeline.split_rows(self.index, "train", every)  # recordings only
    styles = range(len(self.index.vocabulary))
    rows = {style: training[self.index.style[training] == style][:self.SPEAKER_F0_CLIPS].tolist()
            for style in styles}
    key = f"speaker_f0/every{every}"
    stored = self.cache.get(key)
    if stored is None:
      clips = [(self.index.audio(r), None) for style in styles for r in rows[style]]
      analyses = iter(self.analyser.map(clips, self.audio_config.sample_rate, kind="world"))
      medians = []
      for style in styles:
        found = [metrics.WorldAnalysis(a["mel_cepstrum"], a["f0"]).median_f0()
                 for a in (next(analyses) for _ in rows[style])]
        found = [m for m in found if math.isfinite(m)]
        medians.append(float(np.median(found)) if found else math.nan)
      stored = {"median_f0_hz": np.array(medians)}
      self.cache.put(key, **stored)
    return {style: float(stored["median_f0_hz"][style]) for style in styles}

  def judge(self, waveform, log_mel, content, key=None) -> Judgement:
    """Judges one clip: ``waveform`` float [samples], ``log_mel`` natural-log
    mel [T, F] (the classifier's input), ``content`` its pitch or word.

    ``key``: names a model-independent clip (a real recording, a vocoded true
    target) whose WORLD analysis, pitch and word are then taken from, or
    added to, the ``JudgementCache``. The style is always predicted afresh
    (the classifier is the call's own).
    """
    return self.judge_many([(waveform, log_mel, content, key)])[0]

  def judge_many(self, clips) -> list:
    """``judge`` for each (waveform, log_mel, content, key) of ``clips``: the
    analyses not cached run in the ``clip_analysis.Analyser``'s processes.

    A keyed clip is cached whole: its analysis, its classifier statistics and
    its length. One found whole in the cache (``is_cached``) may come with
    ``waveform`` and ``log_mel`` None -- its audio need not be made at all.
    """
    if not clips:
      return []
    rate = self.audio_config.sample_rate
    stored = [self.cache.get(key) if key else None for _, _, _, key in clips]
    for (waveform, _, _, key), found in zip(clips, stored):
      if waveform is None and (found is None or "statistics" not in found):
        raise ValueError(f"judge_many: clip {key!r} has no waveform and is not cached whole")
    missing = [i for i, found in enumerate(stored) if found is None]
    analysed = self.analyser.map([(clips[i][0], clips[i][2]) for i in missing], rate)
    for i, analysis in zip(missing, analysed):
      stored[i] = dict(analysis)
    for i, (waveform, log_mel, _, key) in enumerate(clips):
      found = stored[i]
      if "statistics" in found:
        continue
      found.update(statistics=clip_statistics(log_mel), samples=np.int64(len(waveform)))
      if key:  # cached whole (entries of caches before 0.4 gain the last two)
        self.cache.put(key, **found)
    styles = self.classifier.predict(np.stack([found["statistics"] for found in stored]))
    return [Judgement(
        analysis=metrics.WorldAnalysis(np.asarray(found["mel_cepstrum"]),
                                       np.asarray(found["f0"])),
        style=int(style), seconds=int(found["samples"]) / rate,
        pitch_cents=float(found["pitch_cents"]), word=str(found["word"]))
            for found, style in zip(stored, styles)]

  def is_cached(self, key) -> bool:
    """Whether clip ``key`` is cached whole (analysis, classifier statistics
    and length): ``judge_many`` then needs neither its waveform nor its log-mel."""
    found = self.cache.get(key)
    return found is not None and "statistics" in found and "samples" in found

  def prepare_recordings(self, rows):
    """Judges the real recordings ``rows`` not judged yet, in parallel (then
    ``recording`` returns them without work)."""
    rows = sorted({int(r) for r in rows} - set(self._recordings))
    clips = [(self.index.audio(r), self._recording_log_mel(r), self.index.content[r].item(),
              self.index.recording_key(r)) for r in rows]
    for row, judgement in zip(rows, self.judge_many(clips)):
      self._recordings[row] = judgement

  def recorded_styles(self, rows) -> np.ndarray:
    """The style classifier's label (style id) for each real recording of
    ``rows`` (its unvocoded log-mel, as ``recording`` judges it), without the
    rest of a judgement: int [len(rows)]."""
    if not len(rows):
      return np.zeros(0, np.int64)
    statistics = np.stack([clip_statistics(self._recording_log_mel(r)) for r in rows])
    return self.classifier.predict(statistics)

  def _recording_log_mel(self, row):
    return melspec.denormalize_log_spectrogram(
        self.index.features(self.audio_config)[row], self.audio_config).numpy()

  def recording(self, row) -> Judgement:
    """The judgement of real recording ``row`` (cached): its unvocoded log-mel
    goes to the classifier."""
    row = int(row)
    if row not in self._recordings:
      self.prepare_recordings([row])
    return self._recordings[row]

  def toward_target_speaker(self, f0_hz, source_style, target_style) -> bool:
    """Is ``f0_hz`` closer in log-F0 to the target speaker's median than to the
    source speaker's? False when unvoiced or a speaker's F0 is unknown."""
    target, source = self.speaker_f0.get(target_style), self.speaker_f0.get(source_style)
    if not all(v is not None and math.isfinite(v) and v > 0 for v in (f0_hz, target, source)):
      return False
    return abs(math.log(f0_hz / target)) < abs(math.log(f0_hz / source))


def score_pair(judges: Judges, candidates: dict, source: Judgement, target: Judgement,
               source_style: int, target_style: int, content) -> dict:
  """Per-pair measures for each candidate against the real target recording.

  Args:
    candidates: {prefix: Judgement}: "" the model's output, "copy_" the source
      recording, "oracle_" the true target vocoded.
    source, target: judgements of the real source and target recordings.

  Returns:
    {prefix + measure: value}; measures: ``mcd`` (to the target recording),
    ``mcd_to_source`` (to the source recording), ``closer_to_target``,
    ``voiced``, ``style_recognised``, ``source_style_recognised``; notes:
    ``pitch_cents``; words: ``word_recognised``, ``duration_ratio``, ``f0_hz``,
    ``f0_toward_target_speaker``; and ``real_target_pitch_cents`` /
    ``real_target_word_recognised`` for the real target recording itself.
  """
  record = {}
  word = str(content).lower()
  for prefix, judgement in candidates.items():
    mcd = metrics.standard_mcd(target.analysis, judgement.analysis)
    to_source = (0.0 if judgement is source else
                 metrics.standard_mcd(source.analysis, judgement.analysis))
    record.update({
        prefix + "mcd": mcd, prefix + "mcd_to_source": to_source,
        prefix + "closer_to_target": bool(mcd < to_source),
        prefix + "voiced": bool(judgement.analysis.mcd_frames()[1]),
        prefix + "style_recognised": judgement.style == target_style,
        prefix + "source_style_recognised": judgement.style == source_style,
    })
    if judges.kind == "pitch":
      record[prefix + "pitch_cents"] = judgement.pitch_cents
    elif judges.kind == "word":
      f0 = judgement.analysis.median_f0()
      record.update({
          prefix + "word_recognised": judgement.word == word,
          prefix + "duration_ratio": judgement.seconds / target.seconds,
          prefix + "f0_hz": f0,
          prefix + "f0_toward_target_speaker": judges.toward_target_speaker(
              f0, source_style, target_style),
      })
  if judges.kind == "pitch":
    record["real_target_pitch_cents"] = target.pitch_cents
  elif judges.kind == "word":
    record["real_target_word_recognised"] = target.word == word
    record["real_target_f0_toward_target_speaker"] = judges.toward_target_speaker(
        target.analysis.median_f0(), source_style, target_style)
  return record
