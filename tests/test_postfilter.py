"""The global-variance post-filter: its statistics, the layer, the model's
generate path, the configuration default and the calibration after training."""

import json
import os

import keras
import numpy as np
import pytest

from tf_transforms.core import defaults
from tf_transforms.core.configs import AudioConfig, ModelConfig
from tf_transforms.data import pipeline
from tf_transforms.model import transform_model
from tf_transforms.model.postfilter import GlobalVariancePostFilter
from tf_transforms.training import calibration
from tf_transforms.training.run import RunConfig, load_run, make_run_config

SMALL = dict(num_styles=4, conv_filters=16, encoder_units=16, decoder_units=32,
             attention_units=16, prenet_units=16, max_decoder_steps=10)


def clips(rng, count, width=6, styles=3):
  """Paired (output, target, style): outputs flatter than targets, lengths 9..20."""
  outputs, targets, chosen = [], [], []
  for _ in range(count):
    length = int(rng.integers(9, 21))
    style = int(rng.integers(0, styles))
    level = rng.uniform(5.5, 6.5, width)  # far above the floor (-1)
    outputs.append(level + 0.3 * rng.standard_normal((length, width)))
    targets.append(level + 0.2 + (0.5 + 0.3 * style) * rng.standard_normal((length, width)))
    chosen.append(style)
  return outputs, targets, chosen


def test_calibrated_gain_and_bias_give_the_outputs_the_targets_mean_variance_and_level(
    rng, monkeypatch):
  """Checked with np.var / np.mean on the filtered clips, not the formula:
  per style, the filtered outputs' mean variance over time is the targets'
  (VARIANCE_EPSILON, which keeps flat bands at gain 1, set to 0 here) and
  their mean level the targets'; a style without pairs is left as it is."""
  monkeypatch.setattr(calibration, "VARIANCE_EPSILON", 0.0)
  outputs, targets, styles = clips(rng, 60)
  gain, bias, count = calibration.postfilter_statistics(outputs, targets, styles, 4)
  assert count.tolist()[:3] == [styles.count(s) for s in range(3)] and count[3] == 0
  np.testing.assert_array_equal(gain[3], 1.0)
  np.testing.assert_array_equal(bias[3], 0.0)
  layer = GlobalVariancePostFilter(4, 6)
  layer.build()
  layer.gain.assign(gain)
  layer.bias.assign(bias)
  filtered = [layer(o[None].astype(np.float32), np.array([len(o)]), np.array([s])).numpy()[0]
              for o, s in zip(outputs, styles)]
  assert min(f.min() for f in filtered) > layer.FLOOR  # the floor plays no part here
  for style in range(3):
    mine = [i for i, s in enumerate(styles) if s == style]
    np.testing.assert_allclose(np.mean([filtered[i].var(0) for i in mine], 0),
                               np.mean([targets[i].var(0) for i in mine], 0), rtol=1e-4)
    np.testing.assert_allclose(np.mean([filtered[i].mean(0) for i in mine], 0),
                               np.mean([targets[i].mean(0) for i in mine], 0), atol=1e-5)


def test_a_band_flat_in_outputs_and_targets_keeps_gain_one(rng):
  outputs, targets, styles = clips(rng, 10, styles=1)
  for clip in outputs + targets:
    clip[:, 2] = -1.0  # on the floor throughout
  gain, _, _ = calibration.postfilter_statistics(outputs, targets, styles, 1)
  assert gain[0, 2] == 1.0 and np.all(gain[0, [0, 1, 3, 4, 5]] > 1.2)


def test_layer_is_the_identity_as_built_and_its_mean_ignores_padding(rng):
  layer = GlobalVariancePostFilter(3, 5)
  layer.build()
  frames = rng.uniform(-0.9, 1.0, (2, 8, 5)).astype(np.float32)
  np.testing.assert_allclose(layer(frames, np.array([8, 5]), np.array([0, 2])), frames, atol=1e-6)
  gain = rng.uniform(0.5, 2.0, (3, 5)).astype(np.float32)
  bias = rng.uniform(-0.3, 0.3, (3, 5)).astype(np.float32)
  layer.gain.assign(gain)
  layer.bias.assign(bias)
  padded = frames.copy()
  padded[1, 5:] = 40.0  # past the second clip's length: must not move its mean
  out = layer(padded, np.array([8, 5]), np.array([0, 2])).numpy()
  for i, (length, style) in enumerate([(8, 0), (5, 2)]):
    clip = frames[i, :length]
    mean = clip.mean(0)
    expected = np.maximum(mean + bias[style] + gain[style] * (clip - mean), -1.0)
    np.testing.assert_allclose(out[i, :length], expected, atol=1e-5)


def test_model_generates_through_its_calibrated_post_filter_and_saves_it(rng, tmp_path):
  config = ModelConfig(method="ours", postfilter="global_variance", **SMALL)
  model = transform_model.build_model(config, AudioConfig())
  args = (rng.standard_normal((2, 12, 80)).astype(np.float32), np.array([12, 9], np.int32),
          np.array([0, 1], np.int32), np.array([2, 3], np.int32))
  plain = model.generate(*args, num_frames=6, postfilter=False)["frames"].numpy()
  np.testing.assert_allclose(model.generate(*args, num_frames=6)["frames"], plain, atol=1e-6)
  model.postfilter.gain.assign(rng.uniform(0.5, 2.0, (4, 80)))
  model.postfilter.bias.assign(rng.uniform(-0.3, 0.3, (4, 80)))
  filtered = model.generate(*args, num_frames=6)["frames"].numpy()
  gain, bias = model.postfilter.gain.numpy(), model.postfilter.bias.numpy()
  for i, style in enumerate(args[3]):
    mean = plain[i].mean(0)
    np.testing.assert_allclose(
        filtered[i], np.maximum(mean + bias[style] + gain[style] * (plain[i] - mean), -1.0),
        atol=1e-5)
  path = str(tmp_path / "calibrated.keras")
  model.save(path)
  loaded = keras.saving.load_model(path, safe_mode=True)
  assert loaded.config.postfilter == "global_variance"
  np.testing.assert_allclose(loaded.generate(*args, num_frames=6)["frames"], filtered,
                             atol=1e-5)


def test_post_filter_defaults_to_global_variance_for_ours_on_notes_only():
  assert make_run_config(dataset="gm_notes", preset="tiny").model.postfilter == "global_variance"
  assert make_run_config(dataset="gm_notes", model="las").model.postfilter == "none"
  assert make_run_config(dataset="tts_words", preset="tiny").model.postfilter == "none"
  chosen = make_run_config(dataset="gm_notes", postfilter="none")
  assert chosen.model.postfilter == "none"
  assert RunConfig.from_json(chosen.to_json()) == chosen
  # A run stored before the option had none, whatever "auto" means now.
  stored = json.loads(make_run_config(dataset="gm_notes").to_json())
  del stored["model"]["postfilter"]
  assert RunConfig.from_json(json.dumps(stored)).model.postfilter == "none"
  assert defaults.resolve_model(ModelConfig()).postfilter == "none"
  with pytest.raises(ValueError, match="postfilter must be auto or one of"):
    ModelConfig(postfilter="gv")


def test_train_py_calibrates_the_post_filter_on_training_pairs(tiny_notes_run, tfds_dir):
  """The shared tiny run's stored gain and bias are not the identity, and are
  what calibrating its model again on the same training pairs gives."""
  run = load_run(tiny_notes_run)
  assert run.config.model.postfilter == "global_variance"
  stored_gain = run.model.postfilter.gain.numpy().copy()
  stored_bias = run.model.postfilter.bias.numpy().copy()
  assert np.abs(stored_gain - 1).max() > 0.01 and np.abs(stored_bias).max() > 0.01
  index = pipeline.load_index(run.config.dataset, data_dir=tfds_dir,
                          config=run.config.dataset_config, soundfont=run.config.soundfont)
  run.model.postfilter.gain.assign(np.ones_like(stored_gain))
  run.model.postfilter.bias.assign(np.zeros_like(stored_bias))
  count = calibration.calibrate_postfilter(run.model, index, run.config.audio)
  assert count.sum() == min(calibration.CALIBRATION_PAIRS, pipeline.count_pairs(index, "train"))
  np.testing.assert_allclose(run.model.postfilter.gain, stored_gain, rtol=1e-5)
  np.testing.assert_allclose(run.model.postfilter.bias, stored_bias, atol=1e-5)
