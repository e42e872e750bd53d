"""The four methods x presets: shapes, saving, loss masking, optimiser."""

import dataclasses
import json
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_transforms.core import compat, defaults
from tf_transforms.core.compat import STORED_AUTO_HEADS
from tf_transforms.core.configs import METHODS, PRESETS, AudioConfig, ModelConfig, TrainingConfig
from tf_transforms.core.defaults import DEFAULT_OUTPUT_HEADS
from tf_transforms.core.errors import RunError
from tf_transforms.model import losses, transform_model
from tf_transforms.model.heads import HEADS, make_head
from tf_transforms.model.transform_model import AudioTransformModel
from tf_transforms.training import optimizer
from tf_transforms.training.run import RunConfig, make_run_config

DATA = pathlib.Path(__file__).parent / "data"
SMALL = dict(num_styles=4, conv_filters=16, encoder_units=16, decoder_units=32,
             attention_units=16, prenet_units=16, max_decoder_steps=10)


def batch(rng, size=2, source_time=19, target_time=15, num_styles=4, features=80):
  return {
      "source": rng.standard_normal((size, source_time, features)).astype(np.float32),
      "source_length": np.array([source_time] + [source_time - 6] * (size - 1), np.int32),
      "source_style": np.arange(size, dtype=np.int32) % num_styles,
      "target_style": (np.arange(size, dtype=np.int32) + 1) % num_styles,
      "target": rng.standard_normal((size, target_time, features)).astype(np.float32),
      "target_length": np.array([target_time] + [target_time - 4] * (size - 1), np.int32),
  }


# Every method at every preset, except the paper preset's large models for the
# three baselines (they share ours' layers: building them adds time, not coverage).
@pytest.mark.parametrize("method, preset", [(m, p) for p in sorted(PRESETS) for m in METHODS
                                            if p != "paper" or m == "ours"])
def test_every_method_and_preset_builds_and_runs_a_batch_of_one(rng, method, preset):
  config = dataclasses.replace(PRESETS[preset].model, method=method, num_styles=4)
  model = transform_model.build_model(config, AudioConfig())
  x = batch(rng, size=1)
  out = model(x)
  assert out["frames"].shape == (1, 16, 80)          # 15 rounded up to r = 2
  assert out["stop_logits"].shape == (1, 8)
  generated = model.generate(x["source"], x["source_length"], x["source_style"],
                             x["target_style"], num_frames=15)
  assert generated["frames"].shape == (1, 15, 80)
  assert np.all(np.isfinite(generated["frames"]))


def test_conditioning_changes_the_output_only_for_conditioned_methods(rng):
  x = batch(rng)
  for method, conditioned in [("ours", True), ("cseq2seq", True), ("las", False),
                              ("seq2seq", False)]:
    model = transform_model.build_model(ModelConfig(method=method, **SMALL), AudioConfig())
    other = dict(x, target_style=(x["target_style"] + 1) % 4)
    difference = np.abs(model(x)["frames"] - model(other)["frames"]).max()
    assert (difference > 1e-5) == conditioned, method


@pytest.mark.parametrize("method", METHODS)
def test_keras_file_round_trip_in_safe_mode_gives_identical_outputs(rng, tmp_path, method):
  model = transform_model.build_model(ModelConfig(method=method, **SMALL), AudioConfig())
  x = batch(rng)
  path = str(tmp_path / f"{method}.keras")
  model.save(path)
  loaded = keras.saving.load_model(path, safe_mode=True)
  assert isinstance(loaded, transform_model.AudioTransformModel)
  assert loaded.config == model.config
  np.testing.assert_allclose(loaded(x)["frames"], model(x)["frames"], atol=1e-6)
  args = (x["source"], x["source_length"], x["source_style"], x["target_style"])
  np.testing.assert_allclose(loaded.generate(*args, num_frames=6)["frames"],
                             model.generate(*args, num_frames=6)["frames"], atol=1e-6)


@pytest.mark.parametrize("method", ["ours", "cseq2seq"])
def test_keras_files_written_before_heads_were_layers_still_load(method):
  """tests/data/legacy_*.keras were saved by the decoder with head branches
  (commit 9f1c045, tiny preset, random non-zero head weights): they load in
  safe mode and generate exactly the frames recorded then."""
  recorded = np.load(DATA / "legacy_outputs.npz")
  model = keras.saving.load_model(DATA / f"legacy_{method}.keras", safe_mode=True)
  inputs = {k: recorded[k] for k in ("source", "source_length", "source_style",
                                     "target_style")}
  frames = model.generate(**inputs, num_frames=20)["frames"].numpy()
  np.testing.assert_allclose(frames, recorded[f"{method}_frames"], atol=1e-5)


def test_generation_reports_lengths_at_the_stop_token(rng):
  model = transform_model.build_model(ModelConfig(method="ours", **SMALL), AudioConfig())
  x = batch(rng)
  stop = model.decoder.stop_layer
  stop.weights[0].assign(tf.zeros_like(stop.weights[0]))
  stop.weights[1].assign([5.0])
  out = model.generate(x["source"], x["source_length"], x["source_style"], x["target_style"])
  np.testing.assert_array_equal(out["lengths"], [2, 2])   # stopped after one step of r = 2


def test_loss_ignores_padding_and_labels_the_last_step(rng):
  x = batch(rng, target_time=8)
  x["target_length"] = np.array([8, 5], np.int32)
  frames = rng.standard_normal((2, 8, 80)).astype(np.float32)
  logits = np.zeros((2, 4), np.float32)
  base = losses.transform_loss({"frames": frames, "stop_logits": logits},
                               x["target"], x["target_length"], 2)
  changed = frames.copy()
  changed[1, 5:] += 10.0                          # beyond example 1's length
  again = losses.transform_loss({"frames": changed, "stop_logits": logits},
                                x["target"], x["target_length"], 2)
  assert float(again["frame_loss"]) == pytest.approx(float(base["frame_loss"]), rel=1e-6)
  expected = np.concatenate([((frames[0] - x["target"][0]) ** 2).mean(-1),
                             ((frames[1, :5] - x["target"][1, :5]) ** 2).mean(-1)]).mean()
  assert float(base["frame_loss"]) == pytest.approx(expected, rel=1e-5)
  # Stop labels: example 0 steps [0,0,0,1]; example 1 (5 frames -> 3 steps) [0,0,1], step 3 masked.
  confident = np.array([[-9, -9, -9, 9], [-9, -9, 9, -9]], np.float32)
  loss = losses.transform_loss({"frames": frames, "stop_logits": confident},
                               x["target"], x["target_length"], 2)["stop_loss"]
  assert float(loss) < 1e-3


def test_l1_frame_loss_is_the_mean_absolute_error_over_valid_frames(rng):
  x = batch(rng, target_time=8)
  x["target_length"] = np.array([8, 5], np.int32)
  frames = rng.standard_normal((2, 8, 80)).astype(np.float32)
  outputs = {"frames": frames, "stop_logits": np.zeros((2, 4), np.float32)}
  loss = losses.transform_loss(outputs, x["target"], x["target_length"], 2, frame_loss="l1")
  expected = np.concatenate([np.abs(frames[0] - x["target"][0]).mean(-1),
                             np.abs(frames[1, :5] - x["target"][1, :5]).mean(-1)]).mean()
  assert float(loss["frame_loss"]) == pytest.approx(expected, rel=1e-5)
  with pytest.raises(ValueError, match="frame_loss must be one of"):
    losses.transform_loss(outputs, x["target"], x["target_length"], 2, frame_loss="huber")


def test_frame_loss_is_l1_by_default_and_old_runs_keep_mse():
  assert make_run_config(dataset="tts_words").training.frame_loss == "l1"
  assert make_run_config(dataset="gm_notes").training.frame_loss == "l1"
  assert make_run_config(dataset="gm_notes", frame_loss="mse").training.frame_loss == "mse"
  assert make_run_config(dataset="tts_words", frame_loss="mse").training.frame_loss == "mse"
  with pytest.raises(RunError, match="frame_loss"):
    make_run_config(dataset="gm_notes", frame_loss="huber")
  stored = json.loads(make_run_config(dataset="tts_words").to_json())
  del stored["training"]["frame_loss"]                # a run_config.json from before the option
  assert RunConfig.from_json(json.dumps(stored)).training.frame_loss == "mse"


def test_the_harmonic_prior_is_the_notes_default_and_old_runs_vocode_without():
  for dataset in ("gm_notes", "nsynth"):
    assert make_run_config(dataset=dataset).audio.mel_inverse_prior == "harmonic"
    assert make_run_config(dataset=dataset, mel_inverse_prior="none").audio == AudioConfig()
  for dataset in ("tts_words", "timit"):
    assert make_run_config(dataset=dataset).audio.mel_inverse_prior == "none"
  for dataset in ("gm_notes", "nsynth"):
    config = make_run_config(dataset=dataset, mel_inverse_prior="harmonic")
    assert config.audio == AudioConfig(mel_inverse_prior="harmonic")
  for dataset in ("tts_words", "timit"):
    with pytest.raises(RunError, match="one note per clip"):
      make_run_config(dataset=dataset, mel_inverse_prior="harmonic")
  with pytest.raises(RunError, match="mel_inverse_prior must be one of"):
    make_run_config(mel_inverse_prior="bogus")
  stored = json.loads(make_run_config(dataset="gm_notes", mel_inverse_prior="harmonic").to_json())
  assert RunConfig.from_json(json.dumps(stored)).audio.mel_inverse_prior == "harmonic"
  del stored["audio"]["mel_inverse_prior"]            # a run_config.json from before the option
  assert RunConfig.from_json(json.dumps(stored)).audio.mel_inverse_prior == "none"


def test_sort_window_defaults_to_the_preset_and_old_runs_keep_random_batches():
  assert make_run_config(dataset="tts_words").training.sort_window == 32
  assert make_run_config(dataset="tts_words", sort_window=0).training.sort_window == 0
  with pytest.raises(RunError, match="sort_window must be >= 0"):
    make_run_config(sort_window=-1)
  stored = json.loads(make_run_config(dataset="tts_words").to_json())
  assert RunConfig.from_json(json.dumps(stored)).training.sort_window == 32
  del stored["training"]["sort_window"]               # a run_config.json from before the option
  assert RunConfig.from_json(json.dumps(stored)).training.sort_window == 0


def test_unknown_sources_are_hidden_by_default_for_the_conditioned_methods_only():
  for method in ("ours", "cseq2seq"):
    run = make_run_config(model=method)
    assert run.training.unknown_source_share == 0.25 and run.accepts_unknown_source
  for method in ("las", "seq2seq"):  # no source condition to hide
    run = make_run_config(model=method)
    assert run.training.unknown_source_share == 0.0 and not run.accepts_unknown_source
  assert not make_run_config(unknown_source_share=0).accepts_unknown_source  # the paper's
  with pytest.raises(RunError, match="does not condition on the source style"):
    make_run_config(model="las", unknown_source_share=0.5)
  with pytest.raises(RunError, match=r"unknown_source_share must be in \[0, 1\)"):
    make_run_config(unknown_source_share=1.0)
  stored = json.loads(make_run_config().to_json())
  del stored["training"]["unknown_source_share"]      # a run_config.json from before 0.11
  old = RunConfig.from_json(json.dumps(stored))
  assert old.training.unknown_source_share == 0.0 and not old.accepts_unknown_source


def test_compiled_frame_loss_is_saved_with_the_model(rng, tmp_path):
  model = transform_model.build_model(ModelConfig(method="ours", **SMALL), AudioConfig())
  model.compile(optimizer="adam", frame_loss="l1")
  path = str(tmp_path / "m.keras")
  model.save(path)
  assert keras.models.load_model(path).frame_loss == "l1"
  with pytest.raises(ValueError, match="frame_loss must be one of"):
    model.compile(optimizer="adam", frame_loss="huber")


def test_optimizer_is_the_papers_adam_with_per_epoch_decay():
  adam = optimizer.make_optimizer(TrainingConfig(), steps_per_epoch=10)
  assert (adam.beta_1, adam.beta_2, adam.epsilon) == (0.9, 0.999, 1e-8)
  schedule = optimizer.learning_rate_schedule(TrainingConfig(), steps_per_epoch=10)
  assert float(schedule(9)) == pytest.approx(1e-3)
  assert float(schedule(10)) == pytest.approx(1e-3 * 0.99)
  assert float(schedule(25)) == pytest.approx(1e-3 * 0.99 ** 2)


def test_model_config_rejects_bad_values():
  with pytest.raises(ValueError, match="method must be one of"):
    ModelConfig(method="transformer")
  with pytest.raises(ValueError, match="encoder_units must be >= 1"):
    ModelConfig(encoder_units=0)
  # The head registry checks a head's settings where the config is used
  # (configs stays light to import): in make_run_config before training, and
  # when the model is built; "auto" as a named head.
  with pytest.raises(ValueError, match="has no attention"):
    make_head(ModelConfig(method="seq2seq", output_head="source_filter"))
  with pytest.raises(RunError, match="has no attention"):
    make_run_config(model="seq2seq", output_head="source_filter")
  with pytest.raises(ValueError, match="envelope_coefficients must be in"):
    make_head(ModelConfig(output_head="source_filter", envelope_coefficients=81), AudioConfig())
  auto = dataclasses.replace(PRESETS["tiny"].model, envelope_coefficients=81)
  with pytest.raises(ValueError, match="envelope_coefficients must be in"):
    make_head(auto)


def test_auto_output_head_is_the_documented_default_and_is_stored_resolved():
  heads = {method: defaults.output_head(ModelConfig(method=method))
           for method in ("ours", "las", "seq2seq", "cseq2seq")}
  assert heads == DEFAULT_OUTPUT_HEADS
  assert heads["seq2seq"] == heads["cseq2seq"] == "direct"   # nothing to copy through
  assert defaults.output_head(ModelConfig(output_head="direct")) == "direct"
  # What is stored names its head, so a later default cannot change a file ...
  run = make_run_config(preset="tiny")
  assert run.model.output_head == DEFAULT_OUTPUT_HEADS["ours"]
  assert RunConfig.from_json(run.to_json()) == run
  model = AudioTransformModel(ModelConfig(num_mel_bins=6, envelope_coefficients=3, decoder_units=8),
                              AudioConfig(num_mel_bins=6))
  assert model.get_config()["config"]["output_head"] == DEFAULT_OUTPUT_HEADS["ours"]
  # ... and "auto" in a file of 0.1-0.2 loads as what it meant then.
  for method, head in STORED_AUTO_HEADS.items():
    assert compat.model_config({"method": method, "output_head": "auto"}).output_head == head


def test_train_step_compiles_with_xla_and_matches_graph(rng):
  """The decoder's while loop must be bounded for XLA to differentiate it.
  One pBLSTM layer (not the default two): XLA's compile time grows with the
  graph (27.7 s against 21.5 s here), and one shows the pyramid compiles."""
  config = ModelConfig(method="ours", prenet_dropout=0.0, **{**SMALL, "pyramid_layers": 1})
  model = transform_model.build_model(config, AudioConfig())
  x = {k: tf.constant(v) for k, v in batch(rng, target_time=16).items()}

  def loss_and_gradient_norm(inputs):
    with tf.GradientTape() as tape:
      outputs = model(inputs, training=True)
      loss = losses.transform_loss(outputs, inputs["target"], inputs["target_length"],
                                   config.reduction_factor)["loss"]
    gradients = tape.gradient(loss, model.trainable_variables)
    return loss, tf.linalg.global_norm(gradients)

  graph = tf.function(loss_and_gradient_norm)(x)
  xla = tf.function(loss_and_gradient_norm, jit_compile=True)(x)
  np.testing.assert_allclose([float(v) for v in xla], [float(v) for v in graph], rtol=1e-4)


def postnet_batch(rng, **kwargs):
  x = batch(rng, **kwargs)
  x["target_linear"] = rng.standard_normal(x["target"].shape[:2] + (1025,)).astype(np.float32)
  return x


def test_postnet_model_predicts_linear_and_trains_it(rng, tmp_path):
  config = ModelConfig(method="ours", linear_output="postnet", postnet_filters=8,
                       postnet_layers=1, **SMALL)
  model = transform_model.build_model(config, AudioConfig())
  x = postnet_batch(rng)
  out = model(x)
  assert out["linear"].shape == (2, 16, 1025)
  terms = losses.transform_loss(out, x["target"], x["target_length"], 2, x["target_linear"])
  assert float(terms["loss"]) == pytest.approx(
      float(terms["frame_loss"] + terms["stop_loss"] + terms["linear_loss"]), rel=1e-6)
  with pytest.raises(ValueError, match="target_linear"):
    losses.transform_loss(out, x["target"], x["target_length"], 2)
  generated = model.generate(x["source"], x["source_length"], x["source_style"],
                             x["target_style"], num_frames=9)
  assert generated["linear"].shape == (2, 9, 1025)
  path = str(tmp_path / "postnet.keras")
  model.save(path)
  loaded = keras.saving.load_model(path, safe_mode=True)
  np.testing.assert_allclose(loaded(x)["linear"], out["linear"], atol=1e-5)


@pytest.mark.parametrize("linear_output", ["mel_inverse", "postnet"])
def test_to_audio_vocodes_either_path(rng, linear_output):
  config = ModelConfig(method="las", linear_output=linear_output, postnet_filters=8,
                       postnet_layers=1, **SMALL)
  model = transform_model.build_model(config, AudioConfig())
  x = postnet_batch(rng)
  out = model.generate(x["source"], x["source_length"], x["source_style"],
                       x["target_style"], num_frames=10)
  waveform = model.to_audio(out, AudioConfig(), iterations=2).numpy()
  assert waveform.shape == (2, 9 * 200)            # (frames - 1) * hop, as inverse_stft
  assert np.all(np.isfinite(waveform))


def _guided_attention_reference(alignments, memory_length, target_length, r, sigma):
  """ESPnet's GuidedAttentionLoss, written out per example and cell."""
  total, count = 0.0, 0
  for a, ilen, tlen in zip(alignments, memory_length, target_length):
    olen = -(-tlen // r)
    for n in range(olen):
      for t in range(ilen):
        total += a[n, t] * (1 - np.exp(-((t / ilen - n / olen) ** 2) / (2 * sigma ** 2)))
        count += 1
  return total / count


def test_guided_attention_loss_matches_espnets_formula_and_rewards_the_diagonal(rng):
  alignments = rng.random((3, 7, 5)).astype(np.float32)
  alignments /= alignments.sum(-1, keepdims=True)
  memory_length, target_length = np.array([5, 3, 4]), np.array([14, 9, 6])
  loss = losses.guided_attention_loss(alignments, memory_length, target_length, 2, 0.4)
  assert float(loss) == pytest.approx(_guided_attention_reference(
      alignments, memory_length, target_length, 2, 0.4), rel=1e-5)
  # Attention on the diagonal costs (almost) nothing; on the anti-diagonal, much more
  # (the mean runs over all N x T cells, so one-hot rows cost at most 1 / T).
  steps = np.arange(7) * 5 // 7
  diagonal = np.eye(5, dtype=np.float32)[steps][None]
  anti = np.eye(5, dtype=np.float32)[4 - steps][None]
  lengths = dict(memory_length=[5], target_length=[14], reduction_factor=2)
  on_diagonal = float(losses.guided_attention_loss(diagonal, **lengths))
  assert on_diagonal < 0.01
  assert float(losses.guided_attention_loss(anti, **lengths)) > 5 * on_diagonal + 0.05


def test_guided_attention_is_part_of_the_training_loss_only_when_asked(rng, tmp_path):
  x = batch(rng)
  plain = transform_model.build_model(ModelConfig(method="ours", **SMALL), AudioConfig())
  plain.compile(optimizer="adam")
  assert "attention_loss" not in [m.name for m in plain.metrics]
  guided = transform_model.build_model(ModelConfig(method="ours", **SMALL), AudioConfig())
  guided.compile(optimizer="adam", guided_attention=2.0)
  outputs = guided(x, training=True)
  loss = float(guided.compute_loss(x, y_pred=outputs))
  logs = {m.name: float(m.result()) for m in guided.metrics if m.name.endswith("_loss")}
  expected = losses.guided_attention_loss(outputs["alignments"], outputs["memory_length"],
                                          x["target_length"], 2)
  assert logs["attention_loss"] == pytest.approx(float(expected), rel=1e-5)
  assert loss == pytest.approx(
      logs["frame_loss"] + logs["stop_loss"] + 2.0 * logs["attention_loss"], rel=1e-5)
  # A saved model compiles again with the same loss (Keras' compile config).
  path = str(tmp_path / "guided.keras")
  guided.save(path)
  assert keras.saving.load_model(path).guided_attention == 2.0
  with pytest.raises(ValueError, match="needs a method with attention"):
    transform_model.build_model(ModelConfig(method="seq2seq", **SMALL), AudioConfig()).compile(
        optimizer="adam", guided_attention=1.0)


def test_run_config_takes_guided_attention_for_methods_with_attention_only():
  run = make_run_config(guided_attention=1.0)
  assert run.training.guided_attention == 1.0
  assert RunConfig.from_json(run.to_json()) == run
  assert make_run_config().training.guided_attention == 0.0    # notes: the paper's loss
  # "auto" on words: configs.SPEECH_GUIDED_ATTENTION, for the methods with attention.
  assert make_run_config(dataset="tts_words").training.guided_attention == 1.0
  assert make_run_config(dataset="tts_words", guided_attention=0.0).training.guided_attention == 0
  assert make_run_config(dataset="tts_words", model="cseq2seq").training.guided_attention == 0
  # A run stored before the option existed trained without it.
  stored = json.loads(make_run_config(dataset="tts_words").to_json())
  del stored["training"]["guided_attention"]
  assert RunConfig.from_json(json.dumps(stored)).training.guided_attention == 0.0
  with pytest.raises(RunError, match="--guided_attention: the seq2seq method has no attention"):
    make_run_config(model="seq2seq", guided_attention=1.0)


def test_words_train_for_their_default_steps_unless_told():
  """tts_words: DatasetSpec.default_steps (sized for ~20 min on 2 CPU cores);
  --steps or --epochs win; notes keep the preset's epochs."""
  assert make_run_config(dataset="tts_words").steps == 6000
  assert make_run_config(dataset="tts_words", steps=7).steps == 7
  assert make_run_config(dataset="tts_words", epochs=2).steps == 0  # from epochs, later
  assert make_run_config(dataset="gm_notes").steps == 0


def test_words_get_the_speech_context_unless_told():
  """Spoken datasets: SPEECH_CONTEXT_MS (12.5 ms = 1 frame per conv step, 4
  frames per encoder step); notes the preset's 25 ms; --context_ms wins."""
  assert make_run_config(dataset="tts_words").model.context_frames == 1
  assert make_run_config(dataset="tts_words").model.time_reduction == 4
  assert make_run_config(dataset="timit").model.context_frames == 1
  assert make_run_config(dataset="gm_notes").model.context_frames == 2
  assert make_run_config(dataset="tts_words", context_ms=50).model.context_frames == 4


@pytest.mark.parametrize("head", sorted(HEADS))
def test_keras_files_of_every_head_written_by_0_10_load_and_generate_the_same_frames(head):
  """tests/data/heads_0_10/ were saved by tf_transforms 0.10 (one class chain
  for the source heads, the learned chooser's weights stored with the head's;
  tiny preset, every weight random and non-zero): they load in safe mode and
  generate the frames recorded then."""
  folder = DATA / "heads_0_10"
  recorded = np.load(folder / "head_outputs.npz")
  model = keras.saving.load_model(folder / f"head_{head}.keras", safe_mode=True)
  inputs = {k: recorded[k] for k in ("source", "source_length", "source_style",
                                     "target_style")}
  frames = model.generate(**inputs, num_frames=16)["frames"].numpy()
  np.testing.assert_allclose(frames, recorded[f"{head}_frames"], rtol=0, atol=1e-5)
  if head.startswith("harmonic"):  # the chooser's fitted weights came back, not zeros
    assert np.abs(model.decoder.head.chooser.output_kernel.numpy()).max() > 0.1
