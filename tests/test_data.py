"""The pairing pipeline on the small configs of gm_notes (notes) and tts_words (words)."""

import glob
import os

import numpy as np
import pytest

from tf_transforms.core.configs import AudioConfig
from tf_transforms.core.errors import RunError
from tf_transforms.data import pipeline
from tf_transforms.data.styles import StyleVocabulary
from tf_transforms.signal import melspec

PAPER = AudioConfig()  # the paper's front-end


@pytest.fixture(scope="module")
def notes(tfds_dir):
  return pipeline.load_index("gm_notes", data_dir=tfds_dir,
                         config="small")


@pytest.fixture(scope="module")
def words(tfds_dir):
  return pipeline.load_index("tts_words", data_dir=tfds_dir,
                         config="small")


def test_index_records_content_and_style(notes):
  assert len(notes.content) == 47
  assert notes.vocabulary.names == ("flute_acoustic_073", "guitar_acoustic_024",
                                    "keyboard_acoustic_000", "string_acoustic_040")
  assert set(notes.content.tolist()) == set(range(55, 68))
  row = 10
  example = notes.sources[notes.location[row][0]][int(notes.location[row][1])]
  assert example["pitch"] == notes.content[row]
  assert example["instrument"]["name"].decode() == notes.vocabulary.name(notes.style[row])


def test_content_split_is_deterministic_spread_and_numeric():
  keys = [100, 9, 10, 55, 56, 57, 58, 59, 60, 61, 62, 63]
  split = pipeline.split_content(keys, every=6)
  assert split == pipeline.split_content(list(reversed(keys)), every=6)
  ordered = sorted(keys)  # numeric order: 9, 10, 55, ...
  assert [split[k] for k in ordered] == ["valid", "train", "train", "test", "train", "train"] * 2
  with pytest.raises(ValueError, match="every must be >= 3"):
    pipeline.split_content(keys, every=2)


@pytest.mark.parametrize("fixture", ["notes", "words"])
def test_pairs_share_content_differ_in_style_and_test_content_is_unseen(request, fixture):
  index = request.getfixturevalue(fixture)
  contents = {}
  for split in ("train", "valid", "test"):
    pairs = pipeline.sample_pairs(index, split, seed=0)
    assert len(pairs) > 0
    assert np.all(index.content[pairs[:, 0]] == index.content[pairs[:, 1]])
    assert np.all(index.style[pairs[:, 0]] != index.style[pairs[:, 1]])
    contents[split] = set(index.content[pairs[:, 0]].tolist())
  assert not contents["test"] & contents["train"]
  assert not contents["valid"] & contents["train"]
  assert not contents["test"] & contents["valid"]


def test_pairs_are_deterministic_per_seed_and_autoencoder_pairs_are_identity(notes):
  first = pipeline.sample_pairs(notes, "train", seed=3)
  np.testing.assert_array_equal(first, pipeline.sample_pairs(notes, "train", seed=3))
  assert not np.array_equal(first, pipeline.sample_pairs(notes, "train", seed=4))
  identity = pipeline.sample_pairs(notes, "train", seed=3, autoencoder=True)
  np.testing.assert_array_equal(identity[:, 0], identity[:, 1])


def test_batches_hold_exactly_the_front_end_features_of_each_clip(words):
  """Variable-length words: padding must not change any valid frame."""
  batches = list(pipeline.pair_dataset(words, "train", audio_config=PAPER, batch_size=4, seed=1))
  assert sum(int(b["source"].shape[0]) for b in batches) == len(
      pipeline.sample_pairs(words, "train", seed=1))
  batch = batches[0]
  lengths = batch["source_length"].numpy()
  assert len(set(lengths.tolist())) > 1  # really variable length
  for i in range(len(lengths)):
    clip = words.audio(batch["source_row"][i])
    expected = melspec.normalize_log_spectrogram(melspec.log_mel_spectrogram(clip, PAPER), PAPER).numpy()
    assert lengths[i] == 1 + len(clip) // 200 == expected.shape[0]
    np.testing.assert_allclose(batch["source"][i, :lengths[i]], expected, atol=1e-4)
    target = words.audio(batch["target_row"][i])
    assert batch["target_length"][i] == 1 + len(target) // 200
    assert words.style[batch["source_row"][i]] == batch["source_style"][i]
    assert words.style[batch["target_row"][i]] == batch["target_style"][i]


def test_dataset_is_deterministic_and_redraws_pairs_each_epoch(notes):
  def rows(**kwargs):
    dataset = pipeline.pair_dataset(notes, "train", audio_config=PAPER, batch_size=8, seed=5, shuffle=True, **kwargs)
    return np.concatenate([np.stack([b["source_row"], b["target_row"]], 1) for b in dataset])

  np.testing.assert_array_equal(rows(epochs=1), rows(epochs=1))
  two_epochs = rows(epochs=2)
  half = len(two_epochs) // 2
  assert sorted(two_epochs[:half, 0].tolist()) == sorted(two_epochs[half:, 0].tolist())
  assert not np.array_equal(two_epochs[:half], two_epochs[half:])


def test_linear_targets_for_a_postnet(notes):
  batch = next(iter(pipeline.pair_dataset(notes, "test", audio_config=PAPER, batch_size=2, linear=True)))
  assert batch["target_linear"].shape == (2, 81, 1025)
  clip = notes.audio(batch["target_row"][0])
  expected = melspec.normalize_log_spectrogram(melspec.log_linear_spectrogram(clip, PAPER), PAPER)
  np.testing.assert_allclose(batch["target_linear"][0], expected, atol=1e-4)


def test_style_vocabulary_round_trip_and_refusals(tmp_path, notes):
  path = str(tmp_path / "styles.json")
  notes.vocabulary.save(path)
  assert StyleVocabulary.load(path) == notes.vocabulary
  notes.vocabulary.save(path)  # same content: fine
  with pytest.raises(FileExistsError, match="different style vocabulary"):
    StyleVocabulary(("a", "b")).save(path)
  with pytest.raises(KeyError, match="unknown style 'tuba'"):
    notes.vocabulary.id("tuba")
  assert notes.vocabulary.id(notes.vocabulary.name(2)) == 2


def test_unknown_dataset_and_pairless_split_are_clear_errors(notes):
  with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
    pipeline.make_builder("mnist")
  single_style = pipeline.Index(notes.sources, notes.location, notes.content,
                            np.zeros_like(notes.style), StyleVocabulary(("only",)))
  from tf_transforms.core.errors import DatasetError  # a user error: one line, no traceback
  with pytest.raises(DatasetError, match="the train split has no pairs: each of its 8 contents "
                     "is recorded in a single style"):
    pipeline.pair_dataset(single_style, "train", audio_config=PAPER, batch_size=2)
  assert len(list(pipeline.pair_dataset(single_style, "train", audio_config=PAPER, batch_size=64, autoencoder=True))) == 1


def test_cached_features_give_the_same_batches(words):
  plain = list(pipeline.pair_dataset(words, "train", audio_config=PAPER, batch_size=4, seed=2))
  cached = list(pipeline.pair_dataset(words, "train", audio_config=PAPER, batch_size=4, seed=2, cache_features=True))
  assert len(plain) == len(cached)
  for a, b in zip(plain, cached):
    for key in ("source_length", "target_length", "source_style", "target_style",
                "source_row", "target_row"):
      np.testing.assert_array_equal(a[key], b[key])
    for key in ("source", "target"):
      for i, length in enumerate(a[f"{key}_length"].numpy()):  # valid frames
        np.testing.assert_allclose(a[key][i, :length], b[key][i, :length], atol=1e-4)
  with pytest.raises(ValueError, match="not cached"):
    pipeline.pair_dataset(words, "train", audio_config=PAPER, batch_size=4, cache_features=True, linear=True)


def test_custom_soundfont_gets_its_own_config(tmp_path):
  import shutil

  from tf_transforms.data.soundfont import default_soundfont_path
  copy = str(tmp_path / "copy.sf2")
  shutil.copy(default_soundfont_path(), copy)
  builder = pipeline.make_builder("gm_notes", str(tmp_path / "tfds"), "small", soundfont=copy)
  assert builder.builder_config.name.startswith("small_sf2_")
  assert builder.builder_config.soundfont_path == copy
  assert builder.builder_config.programs == (0, 24, 40, 73)
  with pytest.raises(RunError, match="nope.sf2: no such SoundFont"):
    pipeline.make_builder("gm_notes", str(tmp_path), soundfont=str(tmp_path / "nope.sf2"))
  with pytest.raises(ValueError, match="gm_notes only"):
    pipeline.make_builder("timit", str(tmp_path), soundfont=copy)
  with pytest.raises(RunError, match="--dataset_config=bogus: gm_notes has the configs "
                     "default, as_played, small"):
    pipeline.make_builder("gm_notes", str(tmp_path), "bogus")
  with pytest.raises(RunError, match="--dataset_config=full: timit has no configs"):
    pipeline.make_builder("timit", str(tmp_path), "full")


def test_start_batch_continues_the_stream_exactly(notes):
  def rows(start_batch, batches):
    dataset = pipeline.pair_dataset(notes, "train", audio_config=PAPER, batch_size=8, seed=9, shuffle=True,
                                epochs=None, start_batch=start_batch, cache_features=True)
    return np.concatenate([b["source_row"].numpy() for b in dataset.take(batches)])

  np.testing.assert_array_equal(rows(5, 4), rows(0, 9)[5 * 8:])  # crosses a pass boundary


def test_a_damaged_prepared_dataset_is_named_with_how_to_rebuild(tmp_path):
  data_dir = str(tmp_path / "tfds")
  pipeline.load_index("gm_notes", data_dir=data_dir, config="small")
  (shard,) = glob.glob(os.path.join(data_dir, "gm_notes", "small", "*", "*.array_record-*"))
  blob = bytearray(open(shard, "rb").read())
  blob[200:4000] = bytes(b ^ 0xFF for b in blob[200:4000])
  open(shard, "wb").write(bytes(blob))
  version_dir = os.path.dirname(shard)
  with pytest.raises(RunError, match=f"{version_dir}: the prepared gm_notes dataset is damaged "
                     r".*Corrupted Riegeli.*rm -rf"):
    pipeline.load_index("gm_notes", data_dir=data_dir, config="small")


@pytest.mark.parametrize("content, message", [(None, "no such SoundFont file"),
                                              (b"not a soundfont", "not a SoundFont 2 file")])
def test_a_bad_soundfont_is_refused_and_leaves_nothing(tmp_path, content, message):
  soundfont = tmp_path / "bad.sf2"
  if content is not None:
    soundfont.write_bytes(content)
  data_dir = tmp_path / "tfds"
  with pytest.raises(RunError, match=f"--soundfont={soundfont}: {message}"):
    pipeline.load_index("gm_notes", data_dir=str(data_dir), config="small", soundfont=str(soundfont))
  assert not (data_dir / "gm_notes").exists() or not any(
      p.is_file() and p.name != "metadata.json" for p in (data_dir / "gm_notes").rglob("*"))


def test_a_failed_build_leaves_no_empty_dataset_folder(tmp_path, monkeypatch):
  """A SoundFont with a valid header that the synthesiser still cannot load
  fails inside the TFDS build: nothing that could pass for a dataset is left."""
  from tfds_builders.gm_notes import gm_notes
  monkeypatch.setattr(gm_notes.GmNotes, "_generate_examples",
                      lambda self, *a, **k: (_ for _ in ()).throw(RuntimeError("synth failed")))
  data_dir = tmp_path / "tfds"
  with pytest.raises(RuntimeError, match="synth failed"):
    pipeline.load_index("gm_notes", data_dir=str(data_dir), config="small")
  assert not (data_dir / "gm_notes" / "small").exists()


def test_sorted_windows_permute_within_windows_into_non_overlapping_length_runs():
  rng = np.random.default_rng(0)
  lengths = rng.integers(20, 120, size=200)
  pairs = rng.integers(0, 200, size=(100, 2))
  out = pipeline.sorted_in_windows(pairs, lengths, batch_size=4, window=5, rng=rng)
  key = lambda p: np.maximum(lengths[p[:, 0]], lengths[p[:, 1]])
  for start in range(0, 100, 20):  # each window of 5 batches keeps its pairs
    assert sorted(map(tuple, out[start:start + 20])) == sorted(map(tuple, pairs[start:start + 20]))
    batches = [key(out[i:i + 4]) for i in range(start, start + 20, 4)]
    for a in batches:  # the batches are runs of the sorted order: their ranges do not overlap
      for b in batches:
        assert a is b or a.max() <= b.min() or b.max() <= a.min()
  # Batches are not left short-to-long (their order is shuffled)
  firsts = [key(out[i:i + 4]).min() for i in range(0, 100, 4)]
  assert firsts != sorted(firsts)
  same = np.full(200, 81)  # fixed-length notes: left as they are
  np.testing.assert_array_equal(pipeline.sorted_in_windows(pairs, same, 4, 5, rng), pairs)


def test_sorted_batches_pad_less_and_resume_exactly(words):
  def batches(sort_window, start_batch=0, count=6):
    dataset = pipeline.pair_dataset(words, "train", audio_config=PAPER, batch_size=4, seed=3,
                                shuffle=True, epochs=None, cache_features=True,
                                start_batch=start_batch, sort_window=sort_window)
    return list(dataset.take(count))

  def padded(bs):  # frames a step runs over: its longest pair, summed over the batches
    return sum(max(int(b["source_length"].numpy().max()), int(b["target_length"].numpy().max()))
               for b in bs)

  plain, grouped = batches(0, count=12), batches(3, count=12)
  rows = lambda bs: np.concatenate([np.stack([b["source_row"], b["target_row"]], 1) for b in bs])
  # The same pairs in each window of 3 batches, fewer padded frames
  for start in (0, 12, 24, 36):
    assert sorted(map(tuple, rows(plain)[start:start + 12])) == \
        sorted(map(tuple, rows(grouped)[start:start + 12]))
  assert padded(grouped) < padded(plain)
  np.testing.assert_array_equal(rows(batches(3, start_batch=4, count=8)), rows(grouped)[16:])
  with pytest.raises(ValueError, match="sort_window needs cache_features"):
    pipeline.pair_dataset(words, "train", audio_config=PAPER, batch_size=4, sort_window=3)


def test_sorting_leaves_fixed_length_notes_unchanged(notes):
  def rows(sort_window):
    dataset = pipeline.pair_dataset(notes, "train", audio_config=PAPER, batch_size=8, seed=5,
                                shuffle=True, epochs=2, cache_features=True, sort_window=sort_window)
    return np.concatenate([b["source_row"].numpy() for b in dataset])

  np.testing.assert_array_equal(rows(4), rows(0))


@pytest.fixture(scope="module")
def detuned(tmp_path_factory):
  """gm_notes with detuned training notes: 2 instruments, MIDI 55-67, bent by
  -+30 cents (built here: the shared small config has no detuned split)."""
  from tf_transforms.core.datasets import DATASETS
  from tfds_builders.gm_notes import gm_notes
  config = gm_notes.GmNotesConfig(name="detuned_test", programs=(0, 40), min_pitch=55,
                                  max_pitch=67, detune_cents=(-30.0, 30.0))
  builder = gm_notes.GmNotes(config=config, data_dir=str(tmp_path_factory.mktemp("tfds")),
                             file_format="array_record")
  builder.download_and_prepare()
  return pipeline._index(builder, DATASETS["gm_notes"])


def test_detuned_notes_are_training_only_and_pair_with_the_same_bend(detuned):
  from tf_transforms.evaluation import judges
  index = detuned
  recordings = index.recordings
  # 2 instruments x 13 pitches as played; the 8 training pitches of 55-67
  # (valid: 55, 61, 67; test: 58, 64) again at -30 and +30 cents.
  assert len(recordings) == 26 and int(index.training_only.sum()) == 2 * 8 * 2
  assert set(index.variant[recordings].tolist()) == {0.0}
  assert set(index.variant[index.training_only].tolist()) == {-30.0, 30.0}
  assignment = pipeline.split_content(index.content[recordings])
  assert {assignment[c] for c in index.content[index.training_only].tolist()} == {"train"}
  # Held-out splits, and the style judge, see recordings only; training pairs see both.
  for split in ("valid", "test"):
    assert not index.training_only[pipeline.split_rows(index, split, variants=True)].any()
  assert not index.training_only[pipeline.split_rows(index, "train")].any()
  assert not index.training_only[judges.classifier_rows(index)].any()
  assert pipeline.count_pairs(index, "train", variants=False) == 16
  pairs = pipeline.sample_pairs(index, "train", seed=0)
  assert len(pairs) == pipeline.count_pairs(index, "train") == 16 + 32
  np.testing.assert_array_equal(index.content[pairs[:, 0]], index.content[pairs[:, 1]])
  np.testing.assert_array_equal(index.variant[pairs[:, 0]], index.variant[pairs[:, 1]])
  assert np.all(index.style[pairs[:, 0]] != index.style[pairs[:, 1]])
  # The audio is the note bent: pyin (independent of the renderer) hears it
  # 30 cents from the same note as played.
  import librosa
  def cents(row):
    note = librosa.midi_to_hz(index.content[row])
    f0, voiced, _ = librosa.pyin(index.audio(row)[:8000], fmin=note / 2, fmax=note * 2,
                                 sr=16000, resolution=0.01, frame_length=2048)  # 1-cent bins
    return float(np.median(1200 * np.log2(f0[voiced] / note)))
  bent = next(r for r in np.flatnonzero(index.training_only)
              if index.style[r] == 1 and index.variant[r] == 30.0)
  played = next(r for r in recordings
                if index.style[r] == 1 and index.content[r] == index.content[bent])
  assert cents(bent) - cents(played) == pytest.approx(30.0, abs=3.0)


def test_detunes_that_could_reach_a_held_out_pitch_are_refused(tmp_path):
  from tfds_builders.gm_notes import gm_notes
  config = gm_notes.GmNotesConfig(name="too_far", programs=(0,), min_pitch=60, max_pitch=62,
                                  detune_cents=(60.0,))
  builder = gm_notes.GmNotes(config=config, data_dir=str(tmp_path), file_format="array_record")
  with pytest.raises(ValueError, match="within \\+-50"):
    builder.download_and_prepare()


def test_a_share_of_training_sources_is_hidden_the_same_way_when_resumed(notes):
  """``unknown_source_share``: that share of the pairs (a binomial share, its
  99.9% interval) has source style -1, the others keep theirs; the same
  pairs for the same seed and for a stream resumed at a later batch."""
  def batches(start_batch=0, count=40, share=0.4, seed=5):
    dataset = pipeline.pair_dataset(notes, "train", audio_config=PAPER, batch_size=8, seed=seed,
                                    shuffle=True, epochs=None, cache_features=True,
                                    start_batch=start_batch, unknown_source_share=share)
    return [(b["source_style"].numpy(), b["source_row"].numpy()) for b in dataset.take(count)]

  hidden = batches()
  styles = np.concatenate([s for s, _ in hidden])
  rows = np.concatenate([r for _, r in hidden])
  share = np.mean(styles == -1)
  assert abs(share - 0.4) < 3.3 * np.sqrt(0.4 * 0.6 / len(styles))
  kept = styles != -1
  np.testing.assert_array_equal(styles[kept], notes.style[rows[kept]])
  again = batches()
  for (a, _), (b, _) in zip(hidden, again):
    np.testing.assert_array_equal(a, b)
  resumed = batches(start_batch=10, count=30)
  for (a, _), (b, _) in zip(hidden[10:], resumed):
    np.testing.assert_array_equal(a, b)
  other_seed = np.concatenate([s for s, _ in batches(seed=6)])
  assert not np.array_equal(other_seed == -1, styles == -1)
  plain = np.concatenate([s for s, _ in batches(share=0.0)])
  assert np.all(plain >= 0)
