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
     same content and another style (seeded); ``pair_stream`` re-draws them
     every epoch, groups pairs of similar length for training
     (``sorted_in_windows``) and skips ahead for a resumed run;
     ``count_pairs`` counts them without drawing.
  4. ``pair_dataset``: tf.data that reads both clips by index
     (``_pair_reader``, ``num_parallel_calls=AUTOTUNE``) -- cached log-mel,
     or waveforms whose features the front-end computes in the graph after
     batching (``_waveforms_to_features``; frame counts ``1 + samples // hop``
     become the lengths) -- pads, batches and prefetches.

The style vocabulary (``styles.StyleVocabulary``, id <-> sorted names) is saved
in the run so that trained models and exports can take names.
"""

import contextlib
import dataclasses
import hashlib
import importlib
import os

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from tf_transforms.core import datasets
from tf_transforms.core.configs import UNKNOWN_STYLE, AudioConfig
from tf_transforms.core.datasets import DATASETS
from tf_transforms.core.errors import DatasetError, RunError
from tf_transforms.data.styles import StyleVocabulary
from tf_transforms.signal import melspec


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


@dataclasses.dataclass
class Index:
  """Per-example content and style of a merged dataset.

  Attributes:
    sources: one random-access data source per merged TFDS split.
    location: int [N, 2]: (source number, index in it) per example.
    content: [N] content keys (int pitches or str words).
    style: int [N] style ids.
    vocabulary: the StyleVocabulary.
    data_dir: the prepared dataset's directory (its version folder), or None.
    variant: float [N]: the pairing key of a training-only variant
      (``DatasetSpec.variant``: gm_notes' detune in cents), 0 for recordings;
      None: all 0.
    training_only: bool [N]: rows from the ``DatasetSpec.variant_splits``
      (read by training's pairs only); None: none.
    spec: the dataset's DatasetSpec (the folder dataset's with its content
      kind); None: unknown.
    foreign_from: rows from this one on are *foreign sources*
      (``with_foreign_sources``): recordings of styles the model never
      heard, training-only so that nothing but explicit pairs reads them;
      None: none.
    foreign_names: their style names (one per foreign row).
    foreign_key: names the foreign rows in the judges' cache (the folder's
      prepared config: its name and fingerprint).
  """

  sources: list
  location: np.ndarray
  content: np.ndarray
  style: np.ndarray
  vocabulary: StyleVocabulary
  data_dir: str | None = None
  variant: np.ndarray | None = None
  training_only: np.ndarray | None = None
  spec: datasets.DatasetSpec | None = None
  foreign_from: int | None = None
  foreign_names: tuple = ()
  foreign_key: str = ""
  _features: dict = dataclasses.field(default_factory=dict, repr=False)

  def __post_init__(self):
    if self.variant is None:
      self.variant = np.zeros(len(self.content), np.float32)
    if self.training_only is None:
      self.training_only = np.zeros(len(self.content), bool)

  def is_foreign(self, row) -> bool:
    return self.foreign_from is not None and int(row) >= self.foreign_from

  def style_name(self, row) -> str:
    """The style name of example ``row`` (a foreign row's own)."""
    if self.is_foreign(row):
      return self.foreign_names[int(row) - self.foreign_from]
    return self.vocabulary.name(int(self.style[int(row)]))

  def recording_key(self, row) -> str:
    """What the judges' cache calls the recording ``row``."""
    if self.is_foreign(row):
      return f"foreign/{self.foreign_key}/{int(row) - self.foreign_from}"
    return f"recording/{int(row)}"

  @property
  def recordings(self) -> np.ndarray:
    """int64 rows of the recordings (not training-only variants)."""
    return np.flatnonzero(~self.training_only)

  def audio(self, row) -> np.ndarray:
    """Waveform of example ``row``: float32 [samples]."""
    source, index = self.location[int(row)]
    return np.asarray(self.sources[source][int(index)]["audio"], np.float32)

  def features(self, audio_config: AudioConfig, batch_size=64) -> list:
    """Normalised log-mel of every example, computed once per AudioConfig
    (only the latest AudioConfig's are kept).

    The same front-end as the per-pair path (``melspec.log_mel_spectrogram`` in
    a tf.function), run over length-sorted batches. Holds every example's
    frames in memory (~26 KB per second of audio): for datasets that fit.

    Returns:
      list over rows of float32 [1 + samples // frame_step, num_mel_bins].
    """
    if audio_config not in self._features:
      # One trace for every batch length (words have hundreds of lengths).
      extract = tf.function(
          lambda x: melspec.normalize_log_spectrogram(melspec.log_mel_spectrogram(x, audio_config),
                                                    audio_config),
          input_signature=[tf.TensorSpec([None, None], tf.float32)])
      clips = [self.audio(row) for row in range(len(self.content))]
      order = np.argsort([len(c) for c in clips], kind="stable")
      features = [None] * len(clips)
      for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        frames = extract(tf.constant(pad_rows([clips[r] for r in rows]))).numpy()
        for i, r in enumerate(rows):
          features[r] = frames[i, :audio_config.num_frames(len(clips[r]))]
      self._features = {audio_config: features}
    return self._features[audio_config]


def make_builder(name, data_dir=None, config=None, soundfont=None, manual_dir=None):
  """The TFDS builder for dataset ``name`` (ArrayRecord files, random access).

  Args:
    soundfont: gm_notes only: render from this .sf2 instead of TimGM6mb. The
      builder config is named after the file's content hash, so datasets
      rendered from different SoundFonts never share a directory.
    manual_dir: the folder dataset without ``config``: the folder, checked
      (``folder_dataset.describe``) and named by its fingerprint.
  """
  if name not in DATASETS:
    raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)}")
  spec = DATASETS[name]
  module, cls = spec.builder.split(":")
  builder_class = getattr(importlib.import_module(module), cls)
  if name == "folder":
    return _folder_builder(builder_class, data_dir, config, manual_dir)
  config = config or spec.config
  known = [c.name for c in getattr(builder_class, "BUILDER_CONFIGS", [])]
  if config is not None and config not in known:
    raise RunError(f"--dataset_config={config}: {name} has "
                   + (f"the configs {', '.join(known)}" if known else "no configs"))
  if soundfont is not None:
    if name != "gm_notes":
      raise RunError(f"--soundfont applies to gm_notes only, not {name!r}")
    if not tf.io.gfile.exists(soundfont) or tf.io.gfile.isdir(soundfont):
      raise RunError(f"--soundfont={soundfont}: no such SoundFont file")
    with tf.io.gfile.GFile(soundfont, "rb") as handle:
      content = handle.read()
    if content[:4] != b"RIFF" or content[8:12] != b"sfbk":  # SoundFont 2's RIFF form type
      raise RunError(f"--soundfont={soundfont}: not a SoundFont 2 file (no RIFF 'sfbk' header)")
    digest = hashlib.sha1(content).hexdigest()[:10]
    base = next(c for c in builder_class.BUILDER_CONFIGS if c.name == config)
    config = dataclasses.replace(base, name=f"{base.name}_sf2_{digest}",
                                 description=f"{base.description} Rendered from {soundfont}.",
                                 soundfont_path=soundfont)
  return builder_class(config=config, data_dir=data_dir, file_format="array_record")


def _folder_builder(builder_class, data_dir, config, manual_dir):
  """The folder dataset's builder: for ``config`` (a prepared folder's config
  name), else for the folder ``manual_dir``."""
  from tf_transforms.data import folder_dataset
  if config is None:
    config = folder_dataset.describe(manual_dir).config_name
  builder = builder_class(config=builder_class.CONFIG_CLASS(name=config),
                          data_dir=data_dir, file_format="array_record")
  if not tf.io.gfile.exists(os.path.join(builder.data_dir, "dataset_info.json")):
    found = folder_dataset.describe(manual_dir)  # (refuses a missing --manual_dir)
    if found.config_name != config:
      raise DatasetError(f"--manual_dir={found.root}: holds other recordings ({found.config_name}) "
                         f"than the ones the run was trained on ({config}), and those are not "
                         f"prepared under {os.path.dirname(os.path.dirname(builder.data_dir))}")
    builder = builder_class(config=builder_class.CONFIG_CLASS.for_folder(found),
                            data_dir=data_dir, file_format="array_record")
  return builder


def load_index(name, data_dir=None, manual_dir=None, config=None, prepare=True,
               soundfont=None) -> Index:
  """Prepares (if needed) dataset ``name`` and indexes content and style.

  A build that fails leaves no folder behind that could pass for (or block) a
  dataset. A prepared dataset whose files are damaged or partly missing is
  reported with its directory and how to rebuild it.

  Raises:
    RunError: a damaged prepared dataset, or a bad --soundfont.
  """
  builder = make_builder(name, data_dir, config, soundfont, manual_dir)
  if prepare:
    download_config = tfds.download.DownloadConfig(manual_dir=manual_dir)
    with _no_empty_folder_on_failure(builder.data_dir):
      try:
        builder.download_and_prepare(download_config=download_config)
      except FileExistsError:
        # Another process sharing data_dir (e.g. another training worker)
        # finished preparing the same dataset first: use its complete copy.
        builder = make_builder(name, data_dir, config, soundfont, manual_dir)
        builder.download_and_prepare(download_config=download_config)
      except AssertionError as error:  # TFDS' own check of the manual directory
        if "anual dir" not in str(error):
          raise
        raise DatasetError(f"--manual_dir: {' '.join(str(error).split())}") from None
  try:
    spec = datasets.spec(name, builder.info.metadata.get("content", "")
                         if name in datasets.KIND_FROM_DATA else "")
    return _index(builder, spec)
  except (RuntimeError, OSError) as error:  # e.g. "Corrupted Riegeli/records file"
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    raise RunError(f"{builder.data_dir}: the prepared {name} dataset is damaged or incomplete "
                   f"({reason[:200]}). Delete that directory (rm -rf {builder.data_dir}) and "
                   "rerun the same command to rebuild it") from None


@contextlib.contextmanager
def _no_empty_folder_on_failure(version_dir):
  """Removes the folders a failed build created and left empty (TFDS removes
  its own incomplete directory but not the config / version folders above it)."""
  try:
    yield
  except BaseException:
    folder = version_dir
    for _ in range(2):  # <name>/<config>/<version>, up to the config folder
      if os.path.isdir(folder) and not os.listdir(folder):
        os.rmdir(folder)
      folder = os.path.dirname(folder)
    raise


def _index(builder, spec) -> Index:
  """Reads every example's content and style (not its audio) into an Index:
  the recordings' splits, then the variant splits the prepared dataset has."""
  sources, location, content, styles, variant, training_only = [], [], [], [], [], []
  skip_audio = {"audio": tfds.decode.SkipDecoding()}
  variant_splits = [s for s in spec.variant_splits if s in builder.info.splits]
  for number, split in enumerate(list(spec.splits) + variant_splits):
    source = builder.as_data_source(split=split)
    metadata = builder.as_data_source(split=split, decoders=skip_audio)
    sources.append(source)
    is_variant = split in variant_splits
    for index in range(len(metadata)):
      example = metadata[index]
      location.append((number, index))
      key = _feature(example, spec.content)
      content.append(int(key) if spec.pitched else key)
      styles.append(_feature(example, spec.style))
      variant.append(float(_feature(example, spec.variant)) if spec.variant else 0.0)
      training_only.append(is_variant)
  vocabulary = StyleVocabulary(tuple(sorted(set(styles))))
  style_ids = np.array([vocabulary.id(s) for s in styles], np.int32)
  return Index(sources, np.array(location, np.int64).reshape(-1, 2), np.array(content),
               style_ids, vocabulary, data_dir=builder.data_dir,
               variant=np.array(variant, np.float32), training_only=np.array(training_only, bool),
               spec=spec)


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


def split_rows(index: Index, split: str, every: int = 6, variants=False) -> np.ndarray:
  """int64 rows of the recordings whose content ``split_content`` puts in
  ``split`` (the split is decided by the recordings' content alone); with
  ``variants``, for the training split, its training-only variants too (a
  variant of held-out content is never read)."""
  assignment = split_content(index.content[index.recordings], every)
  return np.array([r for r in range(len(index.content))
                   if assignment.get(index.content[r].item()) == split
                   and (not index.training_only[r] or (variants and split == "train"))],
                  np.int64)


def _pairing_key(index: Index, row):
  """What a pair shares: the content, and for a variant its variant key."""
  return index.content[row].item(), index.variant[row].item()


def _groups_with_several_styles(index: Index, rows) -> dict:
  """{pairing key: its rows} for the keys of ``rows`` spoken / played in more than one style."""
  by_content = {}
  for row in rows:
    by_content.setdefault(_pairing_key(index, row), []).append(row)
  return {key: group for key, group in by_content.items()
          if len(set(index.style[group].tolist())) > 1}


def count_pairs(index: Index, split: str, *, autoencoder=False, every=6, variants=True) -> int:
  """How many pairs ``sample_pairs`` draws for ``split`` (the same for every
  seed: one per example whose content has another style), without drawing
  them; ``variants=False``: as if the dataset had no training-only variants."""
  rows = split_rows(index, split, every, variants)
  if autoencoder:
    return len(rows)
  groups = _groups_with_several_styles(index, rows)
  return sum(len(group) for group in groups.values())


def sample_pairs(index: Index, split: str, *, seed: int, autoencoder=False, every=6):
  """(source row, target row) pairs for one pass over ``split``'s examples.

  Each example of the split is a source once; its target is a random example
  with the same content (and variant key: a note detuned by the same cents)
  and a different style (examples whose content has a single style are
  skipped), or itself in autoencoder mode. The training split includes its
  training-only variants.

  Returns:
    int64 array [pairs, 2], deterministic for a given seed.
  """
  rows = split_rows(index, split, every, variants=True)
  if autoencoder:
    return np.stack([rows, rows], axis=1)
  rng = np.random.default_rng(seed)
  groups = _groups_with_several_styles(index, rows)
  pairs = []
  for row in rows:  # rejection sampling: O(1) expected per example, any group size
    group = groups.get(_pairing_key(index, row))
    if group is None:
      continue
    while True:
      candidate = group[rng.integers(len(group))]
      if index.style[candidate] != index.style[row]:
        pairs.append((row, candidate))
        break
  return np.array(pairs, np.int64).reshape(-1, 2)


def sorted_in_windows(pairs: np.ndarray, lengths: np.ndarray, batch_size: int,
                      window: int, rng: np.random.Generator) -> np.ndarray:
  """``pairs`` [N, 2] reordered so that each run of ``batch_size`` holds pairs
  of similar length: every window of ``window * batch_size`` consecutive
  pairs is sorted by the pair's longer side (``lengths[row]``, frames), cut
  into batches, and those batches put in a random order (``rng``) -- so batches
  pad less (a step costs its longest pair) without a short-to-long order.
  A window whose pairs all have one length is left as it is. The result is a
  permutation within windows: an epoch still holds the same pairs.
  """
  pairs = np.asarray(pairs)
  size = window * batch_size
  out = []
  for start in range(0, len(pairs), size):
    chunk = pairs[start:start + size]
    key = np.maximum(lengths[chunk[:, 0]], lengths[chunk[:, 1]])
    if np.ptp(key) == 0:
      out.append(chunk)
      continue
    chunk = chunk[np.argsort(key, kind="stable")]
    batches = [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    out.extend(batches[i] for i in rng.permutation(len(batches)))
  return np.concatenate(out) if out else pairs


def pair_stream(index: Index, split: str, *, seed: int, epochs: int | None, shuffle: bool,
                autoencoder=False, every=6, start_pair: int = 0,
                sort_window: int = 0, batch_size: int = 1, lengths: np.ndarray | None = None):
  """A generator function of (source row, target row) int64 [2] pairs.

  Pairs are re-drawn every epoch (``sample_pairs`` with seed + epoch), in
  shuffled order when ``shuffle``, for ``epochs`` passes (None: forever).
  With ``sort_window`` > 0, every window of that many batches of
  ``batch_size`` is then sorted by length (``sorted_in_windows``; ``lengths``
  [examples], frames). The first ``start_pair`` pairs of the stream are skipped
  without being drawn twice -- how a resumed run continues exactly where its
  checkpoint was taken.
  """
  if sort_window and lengths is None:
    raise ValueError("pair_stream: sort_window needs the examples' lengths")

  def pairs():
    skip = start_pair
    epoch = 0
    while epochs is None or epoch < epochs:
      drawn = sample_pairs(index, split, seed=seed + epoch, autoencoder=autoencoder,
                           every=every)
      if shuffle:
        drawn = drawn[np.random.default_rng(seed + epoch).permutation(len(drawn))]
      if sort_window:
        drawn = sorted_in_windows(drawn, lengths, batch_size, sort_window,
                                  np.random.default_rng([seed, epoch]))
      if skip >= len(drawn):
        skip -= len(drawn)
      else:
        yield from drawn[skip:]
        skip = 0
      epoch += 1
  return pairs


def _pair_reader(index: Index, read, shape):
  """A tf.data map function: rows [2] -> one pair's dict (``source``,
  ``target`` of ``shape``, their ``*_length`` along axis 0, ``*_style``,
  ``*_row``); ``read(row)`` returns an example's float32 array."""
  def load(rows):
    def read_pair(source_row, target_row):
      return (read(source_row), read(target_row), index.style[source_row],
              index.style[target_row])

    source, target, source_style, target_style = tf.numpy_function(
        read_pair, [rows[0], rows[1]], [tf.float32, tf.float32, tf.int32, tf.int32],
        stateful=False)
    source.set_shape(shape)
    target.set_shape(shape)
    return {"source": source, "source_length": tf.shape(source)[0],
            "target": target, "target_length": tf.shape(target)[0],
            "source_style": tf.reshape(source_style, []),
            "target_style": tf.reshape(target_style, []),
            "source_row": rows[0], "target_row": rows[1]}
  return load


def _hidden_sources(share: float, seed: int):
  """A tf.data map function on (pair number, pair dict): the source style
  replaced by ``UNKNOWN_STYLE`` for ``share`` of the pair numbers (a
  stateless draw from (seed, pair number))."""
  def hide(number, pair):
    draw = tf.random.stateless_uniform([], seed=tf.stack([tf.cast(seed, tf.int64), number]))
    hidden = draw < share
    return {**pair, "source_style": tf.where(hidden, tf.constant(UNKNOWN_STYLE, tf.int32),
                                             pair["source_style"])}
  return hide


def _waveforms_to_features(audio_config: AudioConfig, linear: bool):
  """A tf.data map function on batches of padded waveforms (lengths in
  samples): normalised log-mel (lengths in frames), the front-end in the graph;
  with ``linear`` also ``target_linear``."""
  def features(batch):
    out = dict(batch)
    for side in ("source", "target"):
      log_mel = melspec.log_mel_spectrogram(batch[side], audio_config)      # [B, T, mels]
      out[side] = melspec.normalize_log_spectrogram(log_mel, audio_config)
      out[f"{side}_length"] = tf.cast(audio_config.num_frames(batch[f"{side}_length"]),
                                      tf.int32)
    if linear:
      out["target_linear"] = melspec.normalize_log_spectrogram(
          melspec.log_linear_spectrogram(batch["target"], audio_config), audio_config)
    return out
  return features


def pair_dataset(index: Index, split: str, batch_size: int, *, audio_config: AudioConfig,
                 seed: int = 0, epochs: int | None = 1, shuffle: bool = False,
                 autoencoder=False, every=6, linear: bool = False, drop_remainder=False,
                 cache_features: bool = False, start_batch: int = 0,
                 sort_window: int = 0, unknown_source_share: float = 0.0,
                 pairs: np.ndarray | None = None) -> tf.data.Dataset:
  """Batches of model inputs (see ``model/transform_model.py``) for ``split``.

  The pairs are ``pair_stream``'s (re-drawn every epoch, shuffled when
  ``shuffle``, deterministic for a seed; ``epochs`` None: forever).

  Yields dicts: ``source``, ``target`` float32 [B, T, num_mel_bins]
  (normalised log-mel), ``source_length``, ``target_length`` int32 [B]
  (frames), ``source_style``, ``target_style`` int32 [B], ``source_row``,
  ``target_row`` int64 [B] (example rows, for evaluation), and with
  ``linear`` ``target_linear`` [B, T, fft_length // 2 + 1].

  ``start_batch``: begin the stream at this batch (a resumed run); skipped
  pairs are never loaded.

  ``cache_features``: take each example's log-mel from ``Index.features``
  (computed once) instead of reading both clips' waveforms and running the
  front-end for every pair; identical values, several times the throughput
  (bench/pipeline.py).

  ``sort_window``: group pairs of similar length into batches, sorting windows
  of that many batches (``sorted_in_windows``; needs ``cache_features``, whose
  frame counts are the lengths). Words pad a third less, and a step costs its
  longest pair (bench/length_sorting.py); fixed-length notes are unchanged.

  ``unknown_source_share``: hide the source style (``UNKNOWN_STYLE``) of this
  share of the pairs, chosen per pair by its place in the stream and ``seed``
  (the same pairs for a resumed run).

  ``pairs``: int [N, 2] (source row, target row) to read, once, instead of
  ``split``'s (``foreign_pairs``).
  """
  if cache_features and linear:
    raise ValueError("pair_dataset: linear targets are not cached; use "
                     "cache_features=False with linear=True")
  if pairs is None and count_pairs(index, split, autoencoder=autoencoder, every=every) == 0:
    where = f" of {index.data_dir}" if index.data_dir else ""
    raise DatasetError(f"the {split} split{where} has no pairs: each of its "
                       f"{len(set(index.content[split_rows(index, split, every)].tolist()))} "
                       "contents is recorded in a single style (record the same notes or words "
                       "in at least two styles, or train with --autoencoder)")
  if sort_window and not cache_features:
    raise ValueError("pair_dataset: sort_window needs cache_features=True (its lengths)")
  cached = index.features(audio_config) if cache_features else None
  lengths = np.array([len(f) for f in cached]) if sort_window else None
  if pairs is None:
    stream = pair_stream(index, split, seed=seed, epochs=epochs, shuffle=shuffle,
                         autoencoder=autoencoder, every=every, start_pair=start_batch * batch_size,
                         sort_window=sort_window, batch_size=batch_size, lengths=lengths)
  else:
    given = np.asarray(pairs, np.int64).reshape(-1, 2)
    stream = lambda: iter(given)  # noqa: E731
  dataset = tf.data.Dataset.from_generator(stream, output_signature=tf.TensorSpec([2], tf.int64))
  if cache_features:
    read = _pair_reader(index, lambda row: cached[row], [None, audio_config.num_mel_bins])
    padding = -1.0  # the normalised log floor: silence (padded frames are masked anyway)
  else:
    read = _pair_reader(index, index.audio, [None])
    padding = 0.0   # silent samples
  dataset = dataset.map(read, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  if unknown_source_share:
    dataset = dataset.enumerate(start_batch * batch_size).map(
        _hidden_sources(unknown_source_share, seed))
  dataset = dataset.padded_batch(
      batch_size, drop_remainder=drop_remainder,
      padding_values={"source": padding, "target": padding, "source_length": 0,
                      "target_length": 0, "source_style": 0, "target_style": 0,
                      "source_row": tf.constant(0, tf.int64),
                      "target_row": tf.constant(0, tf.int64)})
  if not cache_features:
    dataset = dataset.map(_waveforms_to_features(audio_config, linear),
                          num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  return dataset.prefetch(tf.data.AUTOTUNE)


def with_foreign_sources(index: Index, foreign: Index) -> Index:
  """``index`` with ``foreign``'s recordings appended as foreign sources:
  training-only rows (``split_rows``, the pairs, the style classifier and
  the speakers' F0 never read them), style id ``UNKNOWN_STYLE`` until
  ``Index.style`` is set to a nearest training style, names kept in
  ``foreign_names``. Both must hold the same kind of content."""
  if index.spec is not None and foreign.spec is not None and \
      index.spec.content_kind != foreign.spec.content_kind:
    raise DatasetError(f"the foreign sources hold {foreign.spec.content_kind} content and the "
                       f"run's dataset {index.spec.content_kind}: declare the same \"content\" "
                       "in their dataset.json")
  rows = foreign.recordings
  location = foreign.location[rows] + np.array([len(index.sources), 0])
  return dataclasses.replace(
      index, sources=index.sources + foreign.sources,
      location=np.concatenate([index.location, location]),
      content=np.concatenate([index.content, foreign.content[rows]]),
      style=np.concatenate([index.style, np.full(len(rows), UNKNOWN_STYLE, np.int32)]),
      variant=np.concatenate([index.variant, np.zeros(len(rows), np.float32)]),
      training_only=np.concatenate([index.training_only, np.ones(len(rows), bool)]),
      foreign_from=len(index.content),
      foreign_names=tuple(foreign.vocabulary.name(int(s)) for s in foreign.style[rows]),
      foreign_key=os.path.basename(os.path.dirname(foreign.data_dir or "")) or "foreign",
      _features={})


def foreign_pairs(index: Index, split: str, *, seed: int, every: int = 6) -> np.ndarray:
  """(foreign source row, target row) pairs: every foreign recording whose
  content ``split_content`` puts in ``split`` (decided by the run's own
  recordings, as for its test pairs), with a random recording of the same
  content in a training style other than the source's nearest
  (``Index.style``). Foreign content the run's data lack is skipped.

  Returns:
    int64 [pairs, 2] in a random order, deterministic for a seed.
  """
  own = index.recordings
  assignment = split_content(index.content[own], every)
  by_content = {}
  for row in own:
    by_content.setdefault(index.content[row].item(), []).append(int(row))
  rng = np.random.default_rng(seed)
  pairs = []
  for row in range(index.foreign_from, len(index.content)):
    key = index.content[row].item()
    if assignment.get(key) != split:
      continue
    targets = [t for t in by_content.get(key, []) if index.style[t] != index.style[row]]
    if targets:
      pairs.append((row, targets[rng.integers(len(targets))]))
  pairs = np.array(pairs, np.int64).reshape(-1, 2)
  return pairs[rng.permutation(len(pairs))]  # (so that --max_pairs takes every style's)
