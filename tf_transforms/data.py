"""From a TFDS dataset to batches of (source, source style, target style, target).

A pair shares *content* (the same pitch, the same word) and differs in
*style* (instrument, speaker) -- or is one example twice in autoencoder mode.
The test split holds content never seen in training (unseen pitches / words,
as the paper):

  1. ``load_index``: prepares the TFDS dataset (ArrayRecord, for random
     access), merges its splits and records each example's content key and
     style name (``DATASETS`` says which features those are).
  2. ``split_content``: sorts the distinct content keys and assigns every
     ``every``-th one to test and another every ``every``-th to valid
     (``every=6``: 1/6 test, 1/6 valid, 2/3 train), deterministically.
  3. ``sample_pairs``: for each example of a split, a random partner with the
     same content and another style (seeded; a new draw each epoch).
  4. ``pair_dataset``: tf.data that reads both clips by index
     (``num_parallel_calls=AUTOTUNE``), pads a batch of waveforms, computes
     normalised log-mel features in the graph with the front-end
     (``audio.log_mel_spectrogram``; frame counts ``1 + samples // hop``
     become the lengths) and prefetches.

The style vocabulary (id <-> name, sorted names) is saved with
``StyleVocabulary.save`` so that trained models and exports can take names.
"""

import dataclasses
import hashlib
import importlib
import json
import os

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from tf_transforms import audio
from tf_transforms.configs import AudioConfig


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
  """How a TFDS dataset is used for pairing.

  Attributes:
    builder: "module:Class" of the TFDS builder (imported lazily).
    config: builder config name, or None.
    splits: TFDS splits merged before the content split.
    content: feature path of the content key ("pitch", "word").
    style: feature path of the style name ("instrument/name", "speaker").
  """

  builder: str
  config: str | None
  splits: tuple
  content: str
  style: str

  @property
  def fixed_length(self) -> bool:
    """Notes (content "pitch") have one length: generate exactly the target's
    frame count. Words end when the model's stop token says so."""
    return self.content == "pitch"


DATASETS = {
    "gm_notes": DatasetSpec("tfds_builders.gm_notes:GmNotes", "default", ("train",),
                            "pitch", "instrument/name"),
    "nsynth": DatasetSpec("tfds_builders.nsynth:NsynthJsonWav", "full",
                          ("train", "valid", "test"), "pitch", "instrument/name"),
    "timit": DatasetSpec("tfds_builders.timit:TimitWords", None, ("train", "test"),
                         "word", "speaker"),
    "tts_words": DatasetSpec("tfds_builders.tts_words:TtsWords", "default", ("train",),
                             "word", "speaker"),
    # One style ("speech"): autoencoder pre-training only.
    "audioset_speech": DatasetSpec("tfds_builders.audioset_speech:AudiosetSpeech", None,
                                   ("train", "eval"), "id", ""),
}


def pad_rows(rows, pad_value=0.0) -> np.ndarray:
  """Stacks arrays that differ in their first dimension, padding at the end.

  Args:
    rows: list of float arrays [length_i, ...] with equal trailing shapes.

  Returns:
    float32 [len(rows), max length, ...].
  """
  longest = max(len(r) for r in rows)
  batch = np.full((len(rows), longest) + rows[0].shape[1:], pad_value, np.float32)
  for i, row in enumerate(rows):
    batch[i, :len(row)] = row
  return batch


def _feature(example, path):
  if not path:
    return "speech"
  value = example
  for part in path.split("/"):
    value = value[part]
  return value.decode() if isinstance(value, bytes) else value


@dataclasses.dataclass(frozen=True)
class StyleVocabulary:
  """Style names <-> ids (ids are positions in the sorted name list)."""

  names: tuple

  def id(self, name: str) -> int:
    try:
      return self.names.index(name)
    except ValueError:
      raise KeyError(f"unknown style {name!r}; known styles: {list(self.names)}") from None

  def name(self, style_id: int) -> str:
    if not 0 <= style_id < len(self.names):
      raise KeyError(f"style id {style_id} out of range [0, {len(self.names)})")
    return self.names[style_id]

  def __len__(self):
    return len(self.names)

  def save(self, path):
    """Writes JSON ``{"styles": [...]}``; refuses to overwrite a different one."""
    payload = {"styles": list(self.names)}
    if tf.io.gfile.exists(path):
      if StyleVocabulary.load(path) != self:
        raise FileExistsError(f"{path}: holds a different style vocabulary; refusing to "
                              "overwrite it")
      return
    tf.io.gfile.makedirs(os.path.dirname(path) or ".")
    temporary = path + ".tmp"
    with tf.io.gfile.GFile(temporary, "w") as handle:
      json.dump(payload, handle, indent=1)
    tf.io.gfile.rename(temporary, path, overwrite=True)

  @classmethod
  def load(cls, path):
    with tf.io.gfile.GFile(path) as handle:
      return cls(tuple(json.load(handle)["styles"]))


@dataclasses.dataclass
class Index:
  """Per-example content and style of a merged dataset.

  Attributes:
    sources: one random-access data source per merged TFDS split.
    location: int [N, 2]: (source number, index in it) per example.
    content: [N] content keys (int pitches or str words).
    style: int [N] style ids.
    vocabulary: the StyleVocabulary.
  """

  sources: list
  location: np.ndarray
  content: np.ndarray
  style: np.ndarray
  vocabulary: StyleVocabulary
  _features: dict = dataclasses.field(default_factory=dict, repr=False)

  def audio(self, row) -> np.ndarray:
    """Waveform of example ``row``: float32 [samples]."""
    source, index = self.location[int(row)]
    return np.asarray(self.sources[source][int(index)]["audio"], np.float32)

  def features(self, audio_config: AudioConfig = AudioConfig(), batch_size=64) -> list:
    """Normalised log-mel of every example, computed once per AudioConfig.

    The same front-end as the per-pair path (``audio.log_mel_spectrogram`` in
    a tf.function), run over length-sorted batches. Holds every example's
    frames in memory (~26 KB per second of audio): for datasets that fit.

    Returns:
      list over rows of float32 [1 + samples // frame_step, num_mel_bins].
    """
    if audio_config not in self._features:
      extract = tf.function(lambda x: audio.normalize_log_spectrogram(
          audio.log_mel_spectrogram(x, audio_config), audio_config))
      clips = [self.audio(row) for row in range(len(self.content))]
      order = np.argsort([len(c) for c in clips], kind="stable")
      features = [None] * len(clips)
      for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        frames = extract(tf.constant(pad_rows([clips[r] for r in rows]))).numpy()
        for i, r in enumerate(rows):
          features[r] = frames[i, :audio_config.num_frames(len(clips[r]))]
      self._features[audio_config] = features
    return self._features[audio_config]


def make_builder(name, data_dir=None, config=None, soundfont=None):
  """The TFDS builder for dataset ``name`` (ArrayRecord files, random access).

  Args:
    soundfont: gm_notes only: render from this .sf2 instead of TimGM6mb. The
      builder config is named after the file's content hash, so datasets
      rendered from different SoundFonts never share a directory.
  """
  if name not in DATASETS:
    raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)}")
  spec = DATASETS[name]
  module, cls = spec.builder.split(":")
  builder_class = getattr(importlib.import_module(module), cls)
  config = config or spec.config
  if soundfont is not None:
    if name != "gm_notes":
      raise ValueError(f"--soundfont applies to gm_notes only, not {name!r}")
    if not tf.io.gfile.exists(soundfont):
      raise FileNotFoundError(f"{soundfont}: no such SoundFont file")
    with tf.io.gfile.GFile(soundfont, "rb") as handle:
      digest = hashlib.sha1(handle.read()).hexdigest()[:10]
    base = next(c for c in builder_class.BUILDER_CONFIGS if c.name == config)
    config = dataclasses.replace(base, name=f"{base.name}_sf2_{digest}",
                                 description=f"{base.description} Rendered from {soundfont}.",
                                 soundfont_path=soundfont)
  return builder_class(config=config, data_dir=data_dir, file_format="array_record")


def load_index(name, data_dir=None, manual_dir=None, config=None, prepare=True,
               soundfont=None) -> Index:
  """Prepares (if needed) dataset ``name`` and indexes content and style."""
  builder = make_builder(name, data_dir, config, soundfont)
  if prepare:
    download_config = tfds.download.DownloadConfig(manual_dir=manual_dir)
    try:
      builder.download_and_prepare(download_config=download_config)
    except FileExistsError:
      # Another process sharing data_dir (e.g. another training worker)
      # finished preparing the same dataset first: use its complete copy.
      builder = make_builder(name, data_dir, config, soundfont)
      builder.download_and_prepare(download_config=download_config)
  spec = DATASETS[name]
  sources, location, content, styles = [], [], [], []
  skip_audio = {"audio": tfds.decode.SkipDecoding()}
  for number, split in enumerate(spec.splits):
    source = builder.as_data_source(split=split)
    metadata = builder.as_data_source(split=split, decoders=skip_audio)
    sources.append(source)
    for index in range(len(metadata)):
      example = metadata[index]
      location.append((number, index))
      content.append(_feature(example, spec.content))
      styles.append(_feature(example, spec.style))
  vocabulary = StyleVocabulary(tuple(sorted(set(styles))))
  style_ids = np.array([vocabulary.id(s) for s in styles], np.int32)
  return Index(sources, np.array(location, np.int64).reshape(-1, 2), np.array(content),
               style_ids, vocabulary)


def split_content(keys, every: int = 6) -> dict:
  """Deterministic content split: {key: "train" | "valid" | "test"}.

  Distinct keys are sorted (numerically when they are numbers); key i goes to
  test if ``i % every == every // 2``, to valid if ``i % every == 0``, else to
  train -- so held-out pitches are spread over the whole range.
  """
  if every < 3:
    raise ValueError(f"split_content: every must be >= 3. Received every={every}")
  distinct = sorted(set(np.asarray(keys).tolist()))
  assignment = {}
  for i, key in enumerate(distinct):
    if i % every == every // 2:
      assignment[key] = "test"
    elif i % every == 0:
      assignment[key] = "valid"
    else:
      assignment[key] = "train"
  return assignment


def sample_pairs(index: Index, split: str, *, seed: int, autoencoder=False, every=6):
  """(source row, target row) pairs for one pass over ``split``'s examples.

  Each example of the split is a source once; its target is a random example
  with the same content and a different style (examples whose content has a
  single style are skipped), or itself in autoencoder mode.

  Returns:
    int64 array [pairs, 2], deterministic for a given seed.
  """
  assignment = split_content(index.content, every)
  rows = np.array([r for r in range(len(index.content))
                   if assignment[index.content[r].item()] == split], np.int64)
  if autoencoder:
    return np.stack([rows, rows], axis=1)
  rng = np.random.default_rng(seed)
  by_content = {}
  for row in rows:
    by_content.setdefault(index.content[row].item(), []).append(row)
  several_styles = {key: len(set(index.style[group].tolist())) > 1
                    for key, group in by_content.items()}
  pairs = []
  for row in rows:  # rejection sampling: O(1) expected per example, any group size
    key = index.content[row].item()
    if not several_styles[key]:
      continue
    group = by_content[key]
    while True:
      candidate = group[rng.integers(len(group))]
      if index.style[candidate] != index.style[row]:
        pairs.append((row, candidate))
        break
  return np.array(pairs, np.int64).reshape(-1, 2)


def pair_dataset(index: Index, split: str, batch_size: int, *,
                 audio_config: AudioConfig = AudioConfig(), seed: int = 0,
                 epochs: int | None = 1, shuffle: bool = False, autoencoder=False,
                 every=6, linear: bool = False, drop_remainder=False,
                 cache_features: bool = False, start_batch: int = 0) -> tf.data.Dataset:
  """Batches of model inputs (see ``models.py``) for ``split``.

  Pairs are re-drawn every epoch (seed + epoch) when ``epochs`` > 1 or None
  (forever); the order is shuffled when ``shuffle``. Deterministic for a seed.

  Yields dicts: ``source``, ``target`` float32 [B, T, num_mel_bins]
  (normalised log-mel), ``source_length``, ``target_length`` int32 [B],
  ``source_style``, ``target_style`` int32 [B], ``source_row``,
  ``target_row`` int64 [B] (example rows, for evaluation), and with
  ``linear`` ``target_linear`` [B, T, fft_length // 2 + 1].

  ``start_batch``: begin the (deterministic) stream at this batch -- how a
  resumed training run continues exactly where its checkpoint was taken.
  Skipped pairs are never loaded.

  ``cache_features``: take each example's log-mel from ``Index.features``
  (computed once) instead of recomputing both clips' features for every
  pair; identical values, several times the throughput (bench/pipeline.py).
  """
  if cache_features and linear:
    raise ValueError("pair_dataset: linear targets are not cached; use "
                     "cache_features=False with linear=True")
  if len(sample_pairs(index, split, seed=seed, autoencoder=autoencoder, every=every)) == 0:
    raise ValueError(f"split {split!r} has no pairs: every content key in it has a single "
                     "style (use autoencoder mode, or more styles)")

  def pairs_forever():
    skip = start_batch * batch_size
    epoch = 0
    while epochs is None or epoch < epochs:
      pairs = sample_pairs(index, split, seed=seed + epoch, autoencoder=autoencoder,
                           every=every)
      if shuffle:
        pairs = pairs[np.random.default_rng(seed + epoch).permutation(len(pairs))]
      if skip >= len(pairs):
        skip -= len(pairs)
      else:
        yield from pairs[skip:]
        skip = 0
      epoch += 1

  dataset = tf.data.Dataset.from_generator(
      pairs_forever, output_signature=tf.TensorSpec([2], tf.int64))

  def load(rows):
    def read(source_row, target_row):
      return (index.audio(source_row), index.audio(target_row),
              index.style[source_row], index.style[target_row])

    source, target, source_style, target_style = tf.numpy_function(
        read, [rows[0], rows[1]], [tf.float32, tf.float32, tf.int32, tf.int32],
        stateful=False)
    source.set_shape([None])
    target.set_shape([None])
    return {"source_audio": source, "target_audio": target,
            "source_style": tf.reshape(source_style, []),
            "target_style": tf.reshape(target_style, []),
            "source_row": rows[0], "target_row": rows[1]}

  def features(batch):
    def frames(waveforms, lengths):
      log_mel = audio.log_mel_spectrogram(waveforms, audio_config)   # [B, T, mels]
      return (audio.normalize_log_spectrogram(log_mel, audio_config),
              tf.cast(audio_config.num_frames(lengths), tf.int32))

    source, source_length = frames(batch["source_audio"], batch["source_samples"])
    target, target_length = frames(batch["target_audio"], batch["target_samples"])
    out = {"source": source, "source_length": source_length,
           "target": target, "target_length": target_length,
           "source_style": batch["source_style"], "target_style": batch["target_style"],
           "source_row": batch["source_row"], "target_row": batch["target_row"]}
    if linear:
      out["target_linear"] = audio.normalize_log_spectrogram(
          audio.log_linear_spectrogram(batch["target_audio"], audio_config), audio_config)
    return out

  def with_lengths(example):
    return {**example, "source_samples": tf.shape(example["source_audio"])[0],
            "target_samples": tf.shape(example["target_audio"])[0]}

  if cache_features:
    cached = index.features(audio_config)

    def load_cached(rows):
      def read(source_row, target_row):
        return (cached[source_row], cached[target_row],
                index.style[source_row], index.style[target_row])

      source, target, source_style, target_style = tf.numpy_function(
          read, [rows[0], rows[1]], [tf.float32, tf.float32, tf.int32, tf.int32],
          stateful=False)
      source.set_shape([None, audio_config.num_mel_bins])
      target.set_shape([None, audio_config.num_mel_bins])
      return {"source": source, "source_length": tf.shape(source)[0],
              "target": target, "target_length": tf.shape(target)[0],
              "source_style": tf.reshape(source_style, []),
              "target_style": tf.reshape(target_style, []),
              "source_row": rows[0], "target_row": rows[1]}

    dataset = dataset.map(load_cached, num_parallel_calls=tf.data.AUTOTUNE,
                          deterministic=True)
    silence = tf.constant(-1.0)  # normalised log floor; padded frames are masked anyway
    dataset = dataset.padded_batch(
        batch_size, drop_remainder=drop_remainder,
        padding_values={"source": silence, "target": silence, "source_length": 0,
                        "target_length": 0, "source_style": 0, "target_style": 0,
                        "source_row": tf.constant(0, tf.int64),
                        "target_row": tf.constant(0, tf.int64)})
    return dataset.prefetch(tf.data.AUTOTUNE)

  dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  dataset = dataset.map(with_lengths)
  dataset = dataset.padded_batch(batch_size, drop_remainder=drop_remainder)
  dataset = dataset.map(features, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  return dataset.prefetch(tf.data.AUTOTUNE)
