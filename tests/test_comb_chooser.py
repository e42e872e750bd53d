"""The learned comb chooser of the harmonic_comb / harmonic_levels heads: its
features and score against NumPy, its identity with the template as built,
its fit on notes the template gets wrong, its configuration default and the
tiny run's fit."""

import numpy as np
import pytest
import tensorflow as tf

from tf_transforms.core import compat, defaults
from tf_transforms.core.configs import AudioConfig, ModelConfig
from tf_transforms.core.errors import RunError
from tf_transforms.data import pipeline
from tf_transforms.model.heads import CombChooser, comb_chooser, make_head
from tf_transforms.signal import harmonic_combs, melspec
from tf_transforms.training import calibration
from tf_transforms.training.run import RunConfig, load_run, make_run_config

CONFIG = AudioConfig()


def learned_head():
  return make_head(ModelConfig(output_head="harmonic_levels", comb_chooser="learned"), CONFIG)


def random_weights(head, rng):
  width, units = head.chooser.hidden_kernel.shape
  weights = [rng.standard_normal((width, units)).astype(np.float32) / np.sqrt(width),
             rng.standard_normal(units).astype(np.float32),
             rng.standard_normal(units).astype(np.float32)]
  for variable, value in zip(head.chooser.chooser_weights, weights):
    variable.assign(value)
  return weights


def test_learned_score_matches_numpy(rng):
  """The candidates' features and score, recomputed in NumPy from
  ``harmonic_band_shares`` and ``comb_scorer`` (float64): the valid frames'
  mean, its fine structure, the template score standardised over the bank,
  each harmonic's band-weighted mean, and the network. rtol 1e-4."""
  head = learned_head()
  weights = random_weights(head, rng)
  lengths = np.array([25, 9])
  frames = rng.uniform(-1, 1, (2, 25, 80)).astype(np.float32)
  frames[1, 9:] = 7.0  # padding: must not count
  logits = head.chooser.logits(*head.chooser.summaries(
      *head.valid_frames(frames, lengths))).numpy()
  shares = harmonic_combs.harmonic_band_shares(CONFIG, comb_chooser.NUM_HARMONICS).astype(np.float64)
  means = shares / np.maximum(shares.sum(-1, keepdims=True), 1e-12)       # [P, H+1, F]
  _, scorer = harmonic_combs.comb_scorer(CONFIG, 12)
  projection = harmonic_combs.fine_projection(12, 80).astype(np.float64)
  for b, length in enumerate(lengths):
    mean = frames[b, :length].astype(np.float64).mean(0)
    scores = mean @ scorer
    z = (scores - scores.mean()) / (scores.std() + 1e-6)
    features = np.concatenate([means @ (mean @ projection), means @ mean, z[:, None]], 1)
    expected = z + np.maximum(features @ weights[0] + weights[1], 0) @ weights[2]
    np.testing.assert_allclose(logits[b], expected, rtol=1e-4, atol=1e-4)
  np.testing.assert_array_equal(head.choose_combs(frames, lengths).numpy(),
                                np.argmax(logits, -1))


def test_unfitted_learned_chooser_chooses_as_the_template(rng):
  """As built (output weights 0) the learned chooser is the template's
  choice, on the bank's own combs and on noise."""
  template = make_head(ModelConfig(output_head="harmonic_levels"), CONFIG)
  head = learned_head()
  combs = harmonic_combs.comb_log_mel(np.arange(36, 85, 3.7), CONFIG)
  frames = np.concatenate([np.repeat(combs[:, None], 4, 1),
                           rng.uniform(-1, 1, (5, 4, 80))]).astype(np.float32)
  lengths = np.full(len(frames), 4)
  np.testing.assert_array_equal(head.choose_combs(frames, lengths).numpy(),
                                template.choose_combs(frames, lengths).numpy())


def test_the_chooser_is_a_serialisable_layer_that_scores_as_its_head(rng):
  """A CombChooser rebuilt from its config (Keras' serialisation) with the same
  weights gives the same logits as the head's own."""
  head = learned_head()
  random_weights(head, rng)
  rebuilt = CombChooser.from_config(head.chooser.get_config())
  for variable, value in zip(rebuilt.chooser_weights, head.chooser.chooser_weights):
    variable.assign(value)
  frames, mask = head.valid_frames(rng.uniform(-1, 1, (2, 9, 80)).astype(np.float32), [9, 5])
  summaries = head.chooser.summaries(frames, mask)
  np.testing.assert_allclose(rebuilt.logits(*rebuilt.summaries(frames, mask)),
                             head.chooser.logits(*summaries), rtol=1e-6, atol=1e-6)
  assert head.chooser.bank is head.bank  # one copy of the bank's constants


def weak_odd_notes(midi, rng, odd=0.1, seconds=0.4):
  """Notes whose odd harmonics are 20 dB under the even ones (amplitude
  ``odd`` / k): the template's score prefers the comb an octave up."""
  t = np.arange(int(seconds * CONFIG.sample_rate)) / CONFIG.sample_rate
  waveforms = []
  for f0 in harmonic_combs.midi_to_hz(midi):
    k = np.arange(1, int(CONFIG.sample_rate / 2 / f0) + 1)
    amplitude = np.where(k % 2 == 1, odd, 1.0) / k
    phases = rng.uniform(0, 2 * np.pi, (len(k), 1))
    x = (amplitude[:, None] * np.cos(2 * np.pi * f0 * k[:, None] * t + phases)).sum(0)
    waveforms.append(0.1 * x / np.abs(x).max())
  log_mel = melspec.log_mel_spectrogram(tf.constant(np.stack(waveforms), tf.float32), CONFIG)
  return list(melspec.normalize_log_spectrogram(log_mel, CONFIG).numpy())


def test_fitted_chooser_finds_the_pitch_the_template_misses_at_unseen_pitches(
    rng, monkeypatch):
  """Fitted on the training pitches (MIDI 40-80 but every 6th), the learned
  chooser finds the pitch of held-out notes within 50 cents; the template,
  fooled by the weak odd harmonics, does for at most half of them."""
  midi = np.arange(40, 81)
  index = pipeline.Index(sources=[], location=np.zeros((len(midi), 2), np.int64), content=midi,
                     style=np.zeros(len(midi), np.int64), vocabulary=None,
                     _features={CONFIG: weak_odd_notes(midi, rng)})
  monkeypatch.setattr(comb_chooser, "EPOCHS", 600)  # 27 notes: ~250 steps
  head = learned_head()
  fit = calibration.fit_comb_chooser(head.chooser, index, CONFIG, seed=0)
  assert fit["notes"] == fit["recordings"] == 27 and fit["learned"] == 1.0
  held_out = np.concatenate([pipeline.split_rows(index, "valid"), pipeline.split_rows(index, "test")])
  pitches = calibration.note_pitches(index, held_out)
  summaries = calibration.chooser_summaries(head.chooser, index, held_out, CONFIG)
  assert comb_chooser.choice_accuracy(head.chooser, summaries, pitches, template=True) <= 0.5
  assert comb_chooser.choice_accuracy(head.chooser, summaries, pitches) == 1.0
  frames = pipeline.pad_rows([index.features(CONFIG)[r] for r in held_out])
  lengths = [len(index.features(CONFIG)[r]) for r in held_out]
  chosen = head.bank.midi[head.choose_combs(frames, lengths).numpy()]
  np.testing.assert_array_less(np.abs(chosen - pitches) * 100, 50)


def test_note_pitches_add_the_detune():
  index = pipeline.Index(sources=[], location=np.zeros((3, 2), np.int64),
                     content=np.array([60, 60, 61]), style=np.zeros(3, np.int64),
                     vocabulary=None, variant=np.array([0.0, -40.0, 20.0]),
                     training_only=np.array([False, True, True]))
  np.testing.assert_allclose(calibration.note_pitches(index, [0, 1, 2]), [60, 59.6, 61.2])


def test_comb_chooser_configuration():
  """auto: learned for the comb heads on notes, template elsewhere; files
  written before 0.10 load as template; a head without a comb refuses it."""
  notes = make_run_config(dataset="gm_notes", preset="tiny")
  assert notes.model.comb_chooser == "learned"
  assert make_run_config(dataset="gm_notes", preset="tiny",
                         comb_chooser="template").model.comb_chooser == "template"
  assert make_run_config(dataset="gm_notes", preset="tiny",
                         output_head="source_filter").model.comb_chooser == "template"
  assert make_run_config(dataset="tts_words", preset="tiny").model.comb_chooser == "template"
  assert defaults.resolve_model(ModelConfig()).comb_chooser == "template"
  stored = {key: value for key, value in notes.model.__dict__.items() if key != "comb_chooser"}
  assert compat.model_config(stored).comb_chooser == "template"
  with pytest.raises(RunError, match="--comb_chooser=learned: .* --dataset=tts_words is not"):
    make_run_config(dataset="tts_words", preset="tiny", comb_chooser="learned")
  with pytest.raises(RunError, match="comb_chooser='learned' needs a head"):
    make_run_config(dataset="gm_notes", preset="tiny", output_head="direct",
                    comb_chooser="learned")
  with pytest.raises(ValueError, match="comb_chooser='learned' needs a head"):
    ModelConfig(output_head="source_filter", comb_chooser="learned")
  with pytest.raises(ValueError, match="comb_chooser must be"):
    ModelConfig(comb_chooser="oracle")
  assert RunConfig.from_json(notes.to_json()) == notes


def test_train_py_fits_the_chooser_before_training(tiny_notes_run, tfds_dir):
  """The tiny run's model.keras holds a fitted chooser (not the template as
  built), equal to a refit on the same training notes with the run's seed."""
  run = load_run(tiny_notes_run)
  chooser = run.model.decoder.head.chooser
  assert run.config.model.comb_chooser == "learned"
  stored = [w.numpy().copy() for w in chooser.chooser_weights]
  assert np.abs(stored[2]).max() > 0
  index = pipeline.load_index(run.config.dataset, data_dir=tfds_dir,
                          config=run.config.dataset_config, soundfont=run.config.soundfont)
  for variable in chooser.chooser_weights:
    variable.assign(np.zeros(variable.shape, np.float32))
  fit = calibration.fit_comb_chooser(chooser, index, run.config.audio, seed=run.config.seed)
  assert fit["notes"] == len(pipeline.split_rows(index, "train", variants=True))
  for variable, expected in zip(chooser.chooser_weights, stored):
    # (to float rounding: the fit runs without op determinism)
    np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-3, atol=1e-4)
