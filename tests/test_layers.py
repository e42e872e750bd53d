"""Custom layers: numerics against NumPy, masking, shapes, serialisation."""

import keras
import librosa
import numpy as np
import pytest
import scipy.fft
import tensorflow as tf

from tests.head_reference import dct_curve, dct_smooth, project_random
from tf_transforms.core.configs import AudioConfig, ModelConfig
from tf_transforms.model.decoder import AttentionDecoder
from tf_transforms.model.encoder import (ConvFrontEnd, ProjectedLSTM, PyramidalLSTM,
                                         StyleConditioning)
from tf_transforms.model.heads import (HEADS, DirectHead, PartialLevelsHead, SourceEnvelopeHead,
                                       SourceFilterHead, SourceWarpHead, attend)
from tf_transforms.model.heads.source import pool_source_frames
from tf_transforms.model.postnet import LinearPostNet
from tf_transforms.signal.melspec import NORMALISED_FLOOR
from tf_transforms.signal.ops import dct_basis


def lengths_mask(lengths, time):
  return tf.sequence_mask(lengths, time)


# ---------------------------------------------------------------- ConvFrontEnd


@pytest.mark.parametrize("stride", [1, 2, 4, 8, 16])
def test_conv_front_end_is_a_strided_filterbank(rng, stride):
  layer = ConvFrontEnd(filters=6, context_frames=stride)
  x = rng.standard_normal((2, 37, 5)).astype(np.float32)
  out, mask = layer(x, lengths_mask([37, 9], 37))
  steps = -(-37 // stride)
  assert out.shape == (2, steps, 6)
  np.testing.assert_array_equal(mask, lengths_mask([steps, -(-9 // stride)], steps))
  # Reference: zero the padding, pad time, group `stride` frames, one matmul.
  kernel, bias = [w.numpy() for w in layer.conv.weights]     # [stride, 5, 6], [6]
  padded = np.zeros((2, steps * stride, 5), np.float32)
  padded[0, :37] = x[0]
  padded[1, :9] = x[1, :9]
  groups = padded.reshape(2, steps, stride * 5)
  expected = np.maximum(groups @ kernel.reshape(stride * 5, 6) + bias, 0)
  np.testing.assert_allclose(out, expected, atol=1e-5)


def test_style_conditioning_appends_one_hot_at_every_step():
  features = tf.ones([2, 3, 4])
  out = StyleConditioning(num_styles=5)(features, tf.constant([1, 4])).numpy()
  assert out.shape == (2, 3, 9)
  np.testing.assert_array_equal(out[0, :, 4:], np.tile(np.eye(5)[1], (3, 1)))
  np.testing.assert_array_equal(out[1, :, 4:], np.tile(np.eye(5)[4], (3, 1)))


# ---------------------------------------------------------------- ProjectedLSTM


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("direction", ["bidirectional", "forwards", "backwards"])
def test_projected_lstm_is_keras_lstm_in_values_and_gradients(rng, return_state, direction,
                                                              training):
  """Same weights, same outputs (and final states) and gradients as
  keras.layers.LSTM, in inference (Keras' loop) and in training (the loop
  with a hand-written gradient), masked: in both directions of a Bidirectional (which
  zeroes masked steps' outputs), and alone in either direction from a random
  initial state (a masked step repeats the previous output; before any valid
  step, zeros)."""
  x = rng.standard_normal((3, 7, 5)).astype(np.float32)
  mask = np.array([[True] * 7, [True] * 4 + [False] * 3, [False, True, True] + [False] * 4])
  state = [tf.constant(rng.standard_normal((3, 6)), tf.float32) for _ in range(2)]
  layers = []
  for lstm in (keras.layers.LSTM, ProjectedLSTM):
    layer = lstm(6, return_sequences=True, return_state=return_state,
                 go_backwards=direction == "backwards")
    if direction == "bidirectional":
      layer = keras.layers.Bidirectional(layer)
    layer.build((None, None, 5))
    layers.append(layer)
  weights = [0.5 * rng.standard_normal(w.shape).astype(np.float32)
             for w in layers[0].get_weights()]
  results = []
  for layer in layers:
    layer.set_weights(weights)
    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
      tape.watch([inputs, *state])
      extra = {} if direction == "bidirectional" else {"initial_state": state}
      outputs = tf.nest.flatten(layer(inputs, mask=tf.constant(mask), training=training,
                                      **extra))
      loss = sum(tf.reduce_sum(tf.sin(o)) for o in outputs)
    sources = [inputs] + ([] if direction == "bidirectional" else state)
    gradients = tape.gradient(loss, sources + layer.trainable_weights)
    results.append([o.numpy() for o in outputs + gradients])
  directions = 2 if direction == "bidirectional" else 1
  assert len(results[1]) == len(results[0]) == (
      1 + 2 * directions * return_state + 1 + 2 * (directions == 1) + 3 * directions)
  for expected, actual in zip(*results):
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_projected_lstm_with_other_activations_is_keras_lstm(rng):
  """The hand-written loops assume tanh and sigmoid; other activations train
  through Keras' own layer, with its values."""
  x = rng.standard_normal((2, 5, 3)).astype(np.float32)
  mask = tf.constant(lengths_mask([5, 3], 5))
  settings = dict(activation="relu", recurrent_activation="hard_sigmoid", return_sequences=True)
  layers = [lstm(4, **settings) for lstm in (keras.layers.LSTM, ProjectedLSTM)]
  for layer in layers:
    layer.build((None, None, 3))
  layers[1].set_weights(layers[0].get_weights())
  expected, actual = [layer(x, mask=mask, training=True) for layer in layers]
  np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_attend_is_the_weighted_sum_of_values(rng):
  values = rng.standard_normal((2, 5, 3)).astype(np.float32)
  weights = rng.random((2, 4, 5)).astype(np.float32)
  np.testing.assert_allclose(attend(weights, values), np.einsum("bst,btf->bsf", weights, values),
                             rtol=1e-5)
  np.testing.assert_allclose(attend(weights[:, 0], values),
                             np.einsum("bt,btf->bf", weights[:, 0], values), rtol=1e-5)


# ---------------------------------------------------------------- PyramidalLSTM


@pytest.mark.parametrize("time, lengths, expected_time, expected_lengths", [
    (7, [7, 5, 1], 2, [2, 2, 1]),     # odd: 7 -> 4 -> 2 ; 5 -> 3 -> 2
    (8, [8, 4, 3], 2, [2, 1, 1]),
    (9, [9, 9, 2], 3, [3, 3, 1]),
])
def test_pyramidal_lstm_halves_time_per_layer_on_odd_lengths(rng, time, lengths,
                                                             expected_time, expected_lengths):
  layer = PyramidalLSTM(units=4, pyramid_layers=2)
  x = rng.standard_normal((3, time, 3)).astype(np.float32)
  out, mask = layer(x, lengths_mask(lengths, time))
  assert out.shape == (3, expected_time, 8)
  np.testing.assert_array_equal(np.sum(mask, 1), expected_lengths)


def test_pyramidal_lstm_ignores_what_is_in_the_padding(rng):
  layer = PyramidalLSTM(units=4, pyramid_layers=1, bidirectional=True)
  x = rng.standard_normal((2, 9, 3)).astype(np.float32)
  noisy = x.copy()
  noisy[1, 5:] = 100.0 * rng.standard_normal((4, 3))  # example 1 has 5 valid frames
  mask = lengths_mask([9, 5], 9)
  clean_out, out_mask = layer(x, mask)
  noisy_out, _ = layer(noisy, mask)
  valid = out_mask.numpy()
  np.testing.assert_allclose(noisy_out.numpy()[valid], clean_out.numpy()[valid], atol=1e-6)


def test_pyramidal_lstm_pairs_consecutive_steps_as_eq_1():
  """With zero pyramid layers it is one (B)LSTM; each pyramid layer's input
  is the reshape [h_2i, h_2i+1] -- checked by feeding the first layer's output
  by hand to the second."""
  layer = PyramidalLSTM(units=3, pyramid_layers=1, bidirectional=False)
  x = tf.random.stateless_normal([1, 6, 2], seed=[1, 2])
  mask = lengths_mask([6], 6)
  out, _ = layer(x, mask)
  first = layer.rnns[0](x, mask=mask).numpy()                     # [1, 6, 3]
  pairs = first.reshape(1, 3, 6)                                  # [h0,h1], [h2,h3], ...
  np.testing.assert_allclose(out, layer.rnns[1](pairs), atol=1e-6)


# ---------------------------------------------------------------- decoder


def make_decoder(output_head="direct", envelope_coefficients=4, time_reduction=1, **kwargs):
  defaults = dict(num_mel_bins=6, decoder_units=16, attention_units=8, prenet_units=8,
                  prenet_dropout=0.5, reduction_factor=2, max_decoder_steps=12,
                  conditioning_dim=3)
  settings = {**defaults, **kwargs}
  bins, r = settings["num_mel_bins"], settings["reduction_factor"]
  extra = ({"audio_config": AudioConfig(num_mel_bins=bins)}
           if HEADS.get(output_head) and HEADS[output_head].needs_audio_config else {})
  head = (DirectHead(bins, r) if output_head == "direct" else
          HEADS[output_head](bins, r, envelope_coefficients, time_reduction, **extra))
  return AttentionDecoder(head=head, **settings)


def decoder_inputs(rng, batch=2, time=7):
  memory = rng.standard_normal((batch, time, 5)).astype(np.float32)
  mask = lengths_mask([time, 4], time)
  conditioning = tf.one_hot([0, 2], 3)
  return memory, mask, conditioning


def test_attention_weights_sum_to_one_and_skip_padding(rng):
  decoder = make_decoder()
  memory, mask, conditioning = decoder_inputs(rng)
  targets = rng.standard_normal((2, 10, 6)).astype(np.float32)
  out = decoder(memory, mask, conditioning, targets=targets)
  weights = out["alignments"].numpy()                             # [B, steps, T]
  assert out["frames"].shape == (2, 10, 6) and weights.shape == (2, 5, 7)
  np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
  assert np.all(weights[1, :, 4:] == 0.0)
  noisy = memory.copy()
  noisy[1, 4:] = 50.0
  again = decoder(noisy, mask, conditioning, targets=targets)
  np.testing.assert_allclose(again["frames"], out["frames"], atol=1e-5)


@pytest.mark.parametrize("settings", [{}, {"use_attention": False, "conditioning_dim": 0}])
def test_teacher_forcing_on_own_predictions_reproduces_inference(rng, settings):
  """Autoregressive inference fed back as teacher frames must give the same
  frames: the two code paths compute the same recurrence."""
  decoder = make_decoder(**settings)
  memory, mask, conditioning = decoder_inputs(rng)
  if settings:
    conditioning = tf.zeros([2, 0])
  inferred = decoder(memory, mask, conditioning, num_steps=5)
  assert inferred["frames"].shape == (2, 10, 6)
  forced = decoder(memory, mask, conditioning, targets=inferred["frames"])
  np.testing.assert_allclose(forced["frames"], inferred["frames"], atol=1e-4)
  np.testing.assert_allclose(forced["stop_logits"], inferred["stop_logits"], atol=1e-4)
  np.testing.assert_allclose(forced["alignments"], inferred["alignments"], atol=1e-5)


def reference_teacher_forced(decoder, memory, mask, conditioning, targets, state):
  """The teacher-forced recurrence step by step through the decoder's own
  ``_step`` (Keras' LSTMCell and ``_attend``), for autodiff to differentiate."""
  r = decoder.reduction_factor
  frames = tf.concat([tf.zeros_like(targets[:, :1]), targets[:, r - 1::r][:, :-1]], 1)
  inputs = decoder._prenet(frames, training=False)
  keys = decoder.memory_layer(memory) if decoder.use_attention else None
  memory = memory if decoder.use_attention else tf.zeros([2, memory.shape[1], 0])
  context = tf.zeros([2, memory.shape[-1]])
  steps = []
  for i in range(inputs.shape[1]):
    output, context, weights, state = decoder._step(inputs[:, i], context, conditioning, state,
                                                    keys, memory, tf.cast(mask, tf.bool))
    steps.append((output, context, weights))
  outputs, contexts, alignments = [tf.stack(t, 1) for t in zip(*steps)]
  prepared = decoder.head.prepare(None, None, targets.shape[1])
  frames, stop_logits = decoder._project(outputs, contexts, alignments, prepared)
  return {"frames": tf.reshape(frames, targets.shape), "stop_logits": stop_logits,
          "alignments": alignments}


@pytest.mark.parametrize("settings", [{}, {"use_attention": False, "conditioning_dim": 0}])
def test_teacher_forcing_has_autodiffs_values_and_gradients(rng, settings):
  """The hand-written gradient of the teacher-forced loop (recurrences.py)
  against autodiff of the same recurrence step by step: every weight, the
  memory, the initial state and the teacher frames, through a loss on the
  frames, stop logits and alignments, with a padded example."""
  decoder = make_decoder(**settings)
  memory, mask, conditioning = decoder_inputs(rng)
  if settings:
    conditioning = tf.zeros([2, 0])
  memory, targets = tf.constant(memory), tf.constant(rng.standard_normal((2, 12, 6)), tf.float32)
  state = [tf.constant(rng.standard_normal((2, 16)), tf.float32) for _ in range(2)]
  decoder(memory, mask, conditioning, num_steps=1)  # build
  for weight in decoder.trainable_weights:  # larger than the initial weights: saturated gates too
    weight.assign(rng.standard_normal(weight.shape).astype(np.float32) * 0.7)
  loss_weights = {key: tf.constant(rng.standard_normal(shape), tf.float32) for key, shape in
                  [("frames", (2, 12, 6)), ("stop_logits", (2, 6)), ("alignments", (2, 6, 7))]}

  def values_and_gradients(run):
    sources = [memory, targets, *state]
    with tf.GradientTape() as tape:
      tape.watch(sources)
      out = run(memory, mask, conditioning, targets, state)
      loss = sum(tf.reduce_sum(out[key] * loss_weights[key]) for key in out)
    return out, tape.gradient(loss, [*decoder.trainable_weights, *sources])

  ours, ours_gradients = values_and_gradients(
      lambda *a: decoder(*a[:3], targets=a[3], initial_state=a[4]))
  reference, reference_gradients = values_and_gradients(
      lambda *a: reference_teacher_forced(decoder, *a))
  for key in reference:
    np.testing.assert_allclose(ours[key], reference[key], atol=2e-5, err_msg=key)
  names = [w.path for w in decoder.trainable_weights] + ["memory", "targets", "h0", "c0"]
  for name, got, expected in zip(names, ours_gradients, reference_gradients):
    if got is None or expected is None:  # unattended: the memory is not read
      assert got is None and expected is None, name
      continue
    expected = tf.convert_to_tensor(expected)
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(tf.convert_to_tensor(got), expected, atol=2e-5 * scale, err_msg=name)


def test_inference_stops_at_the_stop_token_or_the_cap(rng):
  memory, mask, conditioning = decoder_inputs(rng)
  decoder = make_decoder()
  decoder(memory, mask, conditioning, num_steps=1)  # build
  kernel, bias = decoder.stop_layer.weights
  kernel.assign(tf.zeros_like(kernel))
  bias.assign([10.0])                                 # always "stop"
  assert decoder(memory, mask, conditioning)["frames"].shape[1] == 2   # one step
  bias.assign([-10.0])                                # never "stop"
  assert decoder(memory, mask, conditioning)["frames"].shape[1] == 24  # 12 steps x r


def test_unattending_decoder_uses_initial_state_not_memory(rng):
  decoder = make_decoder(use_attention=False, conditioning_dim=0)
  memory, mask, _ = decoder_inputs(rng)
  none = tf.zeros([2, 0])
  state = [tf.ones([2, 16]), tf.zeros([2, 16])]
  a = decoder(memory, mask, none, num_steps=3, initial_state=state)["frames"]
  b = decoder(memory * 0 + 7, mask, none, num_steps=3, initial_state=state)["frames"]
  c = decoder(memory, mask, none, num_steps=3)["frames"]
  np.testing.assert_allclose(a, b, atol=1e-6)
  assert np.abs(a - c).max() > 1e-4


# ------------------------------------------------- decoder: source_filter head


def test_dct_basis_is_scipy_orthonormal_inverse_dct():
  basis = dct_basis(5, 12)
  expected = np.stack([scipy.fft.idct(np.eye(12)[k], norm="ortho") for k in range(5)])
  np.testing.assert_allclose(basis, expected, atol=1e-6)
  np.testing.assert_allclose(basis @ basis.T, np.eye(5), atol=1e-6)


def test_pool_source_frames_averages_valid_frames_per_block(rng):
  frames = rng.standard_normal((2, 11, 3)).astype(np.float32)
  pooled = pool_source_frames(frames, lengths_mask([11, 6], 11), 4).numpy()
  assert pooled.shape == (2, 3, 3)                       # ceil(11 / 4) blocks
  np.testing.assert_allclose(pooled[0, 2], frames[0, 8:11].mean(0), atol=1e-6)
  np.testing.assert_allclose(pooled[1, 1], frames[1, 4:6].mean(0), atol=1e-6)
  np.testing.assert_allclose(pooled[1, 2], 0.0)           # no valid frame


def source_filter_inputs(rng, smooth_coefficients=None):
  """Decoder inputs for 5 encoder steps plus the source [2, 9, 12] read at 2
  frames per step (example 1 has 6 valid frames; junk in its padding)."""
  memory, mask, conditioning = decoder_inputs(rng, time=5)
  frames = rng.standard_normal((2, 9, 12)).astype(np.float32)
  if smooth_coefficients:  # only the first DCT components: no fine structure
    frames = (rng.standard_normal((2, 9, smooth_coefficients)) @
              dct_basis(smooth_coefficients, 12)).astype(np.float32)
  frames[1, 6:] = 50.0
  return memory, mask, conditioning, {"source": frames, "source_length": np.array([9, 6])}


def valid_source(source):
  """The source frames with padding zeroed, and the mean of each block of 2."""
  frames = source["source"].copy()
  frames[1, 6:] = 0.0
  blocks = np.stack([np.stack([frames[0, j:j + 2].mean(0) for j in range(0, 9, 2)]),
                     np.stack([frames[1, j:j + 2].mean(0) if j < 6 else np.zeros(12)
                               for j in range(0, 9, 2)])])
  blocks[0, 4] = frames[0, 8]                       # the last block holds one frame
  return frames, blocks


def smooth_and_fine(coefficients, bins):
  basis = dct_basis(coefficients, bins)
  return basis.T @ basis, np.eye(bins) - basis.T @ basis


def randomise(decoder, rng, scale=1.0):
  for weight in decoder.frame_layer.weights:
    weight.assign(scale * rng.standard_normal(weight.shape).astype(np.float32))


SOURCE_HEADS = ("source_filter", "partial_levels")


@pytest.mark.parametrize("output_head", SOURCE_HEADS)
def test_source_heads_start_as_the_attended_envelope_with_the_source_fine_structure(
    rng, output_head):
  decoder = make_decoder(num_mel_bins=12, output_head=output_head, envelope_coefficients=4,
                         time_reduction=2)
  memory, mask, conditioning, source = source_filter_inputs(rng)
  out = decoder(memory, mask, conditioning, num_steps=5, **source)
  smooth, fine = smooth_and_fine(4, 12)
  frames, blocks = valid_source(source)
  copies = np.einsum("bst,btf->bsf", out["alignments"].numpy(), blocks)
  expected = np.repeat(copies @ smooth, 2, axis=1)                       # [B, 10, F]
  expected[:, :9] += frames @ fine                                        # frame t <- source frame t
  if output_head == "partial_levels":                                     # floored
    expected = np.maximum(expected, NORMALISED_FLOOR)
  np.testing.assert_allclose(out["frames"].numpy(), expected, atol=1e-5)


def test_source_filter_fine_structure_is_the_sources_whatever_the_weights(rng):
  """The pitch cannot be changed: with any weights, each output frame's fine
  structure is that of the source frame at the same time (none past the
  source's end), in inference and teacher forcing alike."""
  decoder = make_decoder(num_mel_bins=12, output_head="source_filter", envelope_coefficients=4,
                         time_reduction=2)
  memory, mask, conditioning, source = source_filter_inputs(rng)
  decoder(memory, mask, conditioning, num_steps=1, **source)
  randomise(decoder, rng)
  _, fine = smooth_and_fine(4, 12)
  expected = np.zeros((2, 12, 12), np.float32)
  expected[:, :9] = valid_source(source)[0] @ fine
  inferred = decoder(memory, mask, conditioning, num_steps=6, **source)["frames"].numpy()
  np.testing.assert_allclose(inferred @ fine, expected, atol=1e-5)
  forced = decoder(memory, mask, conditioning, targets=inferred, **source)["frames"].numpy()
  np.testing.assert_allclose(forced @ fine, expected, atol=1e-5)


def test_source_heads_cannot_add_harmonics_the_source_lacks(rng):
  """Whatever their weights, the source heads only reshape the source smoothly
  (and scale its fine structure): a source without fine structure (a smooth
  spectrum) gives smooth output frames, while the direct head is free to put
  detail anywhere, and harmonic_comb puts its generated comb there. (The
  source is lifted well above the floor, where flooring would add detail of
  its own.)"""
  memory, mask, conditioning, source = source_filter_inputs(rng, smooth_coefficients=4)
  source["source"] = source["source"] + 30.0
  _, fine = smooth_and_fine(4, 12)
  for head, expect_smooth in (("source_filter", True), ("partial_levels", True),
                              ("direct", False), ("harmonic_comb", False)):
    decoder = make_decoder(num_mel_bins=12, output_head=head, envelope_coefficients=4,
                           time_reduction=2)
    decoder(memory, mask, conditioning, num_steps=1, **source)  # build
    randomise(decoder, rng)
    frames = decoder(memory, mask, conditioning, num_steps=5, **source)["frames"]
    detail = np.abs(frames.numpy() @ fine).max()
    assert (detail < 1e-4) == expect_smooth, (head, detail)


def test_source_envelope_head_adds_a_predicted_residual_to_the_attended_envelope(rng):
  """y_t = x_i BᵀB + Dense([s_i, c_i]) against NumPy: zero-initialised it is the
  attended smooth envelope (repeated for the step's r frames); with any
  weights the rest is the dense projection of the decoder's features, in
  inference and teacher forcing alike. It reads no fine structure of the source."""
  decoder = make_decoder(num_mel_bins=12, output_head="source_envelope",
                         envelope_coefficients=4, time_reduction=2)
  memory, mask, conditioning, source = source_filter_inputs(rng)
  out = decoder(memory, mask, conditioning, num_steps=5, **source)
  smooth, fine = smooth_and_fine(4, 12)
  _, blocks = valid_source(source)
  copies = np.einsum("bst,btf->bsf", out["alignments"].numpy(), blocks) @ smooth
  np.testing.assert_allclose(out["frames"].numpy(), np.repeat(copies, 2, axis=1), atol=1e-5)
  randomise(decoder, rng, scale=0.1)
  inferred = decoder(memory, mask, conditioning, num_steps=5, **source)
  forced = decoder(memory, mask, conditioning, targets=inferred["frames"], **source)
  np.testing.assert_allclose(forced["frames"], inferred["frames"], atol=1e-5)
  envelope = np.einsum("bst,btf->bsf", inferred["alignments"].numpy(), blocks) @ smooth
  residual = inferred["frames"].numpy() - np.repeat(envelope, 2, axis=1)
  assert np.abs(residual).max() > 1e-2                       # the weights now count
  changed = dict(source)
  changed["source"] = source["source"] + (rng.standard_normal((2, 9, 12)) @ fine).astype(np.float32)
  again = decoder(memory, mask, conditioning, num_steps=5, **changed)["frames"].numpy()
  np.testing.assert_allclose(again, inferred["frames"].numpy(), atol=1e-5)  # fine structure unread


def test_partial_levels_head_scales_the_source_comb_by_a_bounded_smooth_gain(rng):
  """Against an independent NumPy formula (scipy's DCT for the curves):
  y_t = max(x_i S + o_t B + 2^tanh(g_t B) * fine(s_t), -1), [o_t, g_t] =
  features W + b, S the smoothing by the first K DCT coefficients. The comb's
  positions are the source's; its depth per band is the decoder's, within
  [1/2, 2] of the source's; a band pushed below the floor is silent, comb
  included."""
  bins, r, k = 12, 2, 4
  head = PartialLevelsHead(bins, r, envelope_coefficients=k, time_reduction=2)
  frames = rng.standard_normal((1, 8, bins)).astype(np.float32)
  out, features, weights, kernel, bias = project_random(head, rng, frames, np.array([8]))
  out = out[0]

  def curve(coefficients):
    return dct_curve(coefficients, bins)

  def smooth(v):
    return dct_smooth(v, k)

  blocks = [smooth(block) for block in frames[0].reshape(4, 2, bins).mean(1)]
  params = (features[0] @ kernel + bias).reshape(4, r, 2 * k)
  gains = []
  for i in range(4):
    for j in range(r):
      source = frames[0, r * i + j]
      gain = 2.0 ** np.tanh(curve(params[i, j, k:]))
      gains.append(gain)
      expected = np.maximum(weights[0, i] @ np.stack(blocks) + curve(params[i, j, :k]) +
                            gain * (source - smooth(source)), -1.0)
      np.testing.assert_allclose(out[i, j], expected, atol=1e-5)
  gains = np.concatenate(gains)
  assert gains.min() < 0.7 and gains.max() > 1.4   # the weights above use the range
  assert (out >= -1.0).all() and (out == -1.0).any()


@pytest.mark.parametrize("output_head", SOURCE_HEADS + ("harmonic_comb", "harmonic_levels", "source_warp"))
def test_source_heads_teacher_forcing_reproduces_inference(rng, output_head):
  decoder = make_decoder(num_mel_bins=12, output_head=output_head, envelope_coefficients=4,
                         time_reduction=2)
  memory, mask, conditioning, source = source_filter_inputs(rng)
  decoder(memory, mask, conditioning, num_steps=1, **source)
  randomise(decoder, rng, scale=0.3)
  inferred = decoder(memory, mask, conditioning, num_steps=5, **source)
  forced = decoder(memory, mask, conditioning, targets=inferred["frames"], **source)
  np.testing.assert_allclose(forced["frames"], inferred["frames"], atol=1e-4)


def test_source_filter_head_needs_attention_and_the_source(rng):
  with pytest.raises(ValueError, match="needs use_attention=True"):
    make_decoder(output_head="source_filter", use_attention=False)
  with pytest.raises(ValueError, match="envelope_coefficients must be in"):
    SourceFilterHead(12, 2, envelope_coefficients=13)
  with pytest.raises(ValueError, match="head emits 3 frames of 6 bins"):
    AttentionDecoder(num_mel_bins=6, decoder_units=4, head=DirectHead(6, 3))
  memory, mask, conditioning, source = source_filter_inputs(rng)
  decoder = make_decoder(num_mel_bins=12, output_head="source_filter", envelope_coefficients=3,
                         time_reduction=2)
  with pytest.raises(ValueError, match="needs the source"):
    decoder(memory, mask, conditioning, num_steps=1, source=source["source"])


def test_source_warp_head_reads_the_pointed_frame_and_warps_it_along_frequency(rng):
  """Against NumPy, with librosa's mel scale for the bands' frequencies: the
  attention's expected source frame (plus one frame per output frame) is read
  by linear interpolation of the valid frames' smooth envelopes (clamped to
  them: padding is never read), moved along frequency by alpha (band k reads
  the envelope at f_k / alpha, linearly in mel between band centres), and the
  predicted residual added::

    y = warp(e(p), 2^(0.5 tanh w)) + d,   [d, w] = features W + b
  """
  bins, r, k, reduction, steps = 12, 2, 4, 2, 4
  head = SourceWarpHead(bins, r, k, reduction, audio_config=AudioConfig(num_mel_bins=bins))
  frames = rng.standard_normal((2, steps * reduction, bins)).astype(np.float32)
  lengths = np.array([8, 5])
  frames[1, 5:] = 50.0                                           # padding: never read
  out, features, weights, kernel, bias = project_random(head, rng, frames, lengths, steps)
  hz = librosa.mel_frequencies(bins + 2, fmin=0.0, fmax=8000.0)[1:-1]     # band centres
  mel = librosa.hz_to_mel(hz)
  centres = (np.arange(steps) + 0.5) * reduction - 0.5           # each encoder step's frame
  params = (features @ kernel + bias).reshape(2, steps, r, bins + 1)
  alphas = 2.0 ** (0.5 * np.tanh(params[..., bins]))
  for b in range(2):
    envelopes = np.stack([dct_smooth(f, k) for f in frames[b, :lengths[b]]])   # [T_b, F]
    for i in range(steps):
      for j in range(r):
        position = weights[b, i] @ centres + j - (r - 1) / 2
        read = np.array([np.interp(position, np.arange(lengths[b]), envelopes[:, f])
                         for f in range(bins)])
        warped = np.interp(librosa.hz_to_mel(hz / alphas[b, i, j]), mel, read)
        np.testing.assert_allclose(out[b, i, j], warped + params[b, i, j, :bins], atol=1e-4)
  assert alphas.min() < 0.8 and alphas.max() > 1.25              # the weights above warp


def test_source_warp_head_starts_as_the_source_envelope_along_the_alignment(rng):
  """Zero-initialised, the output is the source's smooth envelope read where
  the attention points: with the source a smooth ramp over time (frame t =
  t v), every output frame is p v for the position p it reads."""
  decoder = make_decoder(num_mel_bins=12, output_head="source_warp", envelope_coefficients=4,
                         time_reduction=2)
  memory, mask, conditioning, source = source_filter_inputs(rng)
  profile = (rng.standard_normal(4) @ dct_basis(4, 12)).astype(np.float32)     # smooth
  source["source"] = (np.arange(9, dtype=np.float32)[None, :, None] * profile +
                      np.zeros((2, 1, 1), np.float32))
  out = decoder(memory, mask, conditioning, num_steps=5, **source)
  centres = np.arange(5) * 2 + 0.5
  expected_positions = (out["alignments"].numpy() @ centres)[..., None] + np.array([-0.5, 0.5])
  positions = np.clip(expected_positions.reshape(2, 10), 0, np.array([[8], [5]]))
  np.testing.assert_allclose(out["frames"].numpy(), positions[..., None] * profile, atol=1e-4)


def test_a_new_head_is_one_registered_class(rng):
  """The decoder has no head branches: a head registered here, and unknown to
  every other module, is built, run and serialised through the registry."""
  from tf_transforms.model import heads

  @heads.register_head("test_constant")
  class ConstantHead(heads.OutputHead):
    def project(self, features, weights, prepared, step=None):
      return 0.0 * self.linear(features) + 0.25

  try:
    decoder = make_decoder(num_mel_bins=6)
    decoder = AttentionDecoder(**{**decoder.get_config(), "head": ConstantHead(6, 2)})
    memory, mask, conditioning = decoder_inputs(rng)
    np.testing.assert_allclose(decoder(memory, mask, conditioning, num_steps=3)["frames"], 0.25)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(decoder))
    assert type(clone.head) is ConstantHead
    config = ModelConfig(output_head="test_constant", num_mel_bins=6)
    assert type(heads.make_head(config)) is ConstantHead
  finally:
    heads.HEADS.pop("test_constant")
  with pytest.raises(ValueError, match=r"output_head must be one of \('auto', 'direct', "
                     r"'source_filter', 'partial_levels', 'harmonic_comb', 'harmonic_levels', "
                     r"'source_envelope', 'source_warp'\)"):
    heads.make_head(ModelConfig(output_head="test_constant"))


def test_decoder_rejects_wrong_conditioning_width(rng):
  memory, mask, _ = decoder_inputs(rng)
  with pytest.raises(ValueError, match="conditioning must have width 3"):
    make_decoder()(memory, mask, tf.zeros([2, 5]), num_steps=1)


# ---------------------------------------------------------------- post-net


def test_postnet_maps_frames_to_linear_bins_and_ignores_padding(rng):
  layer = LinearPostNet(num_bins=33, filters=8, kernel_size=5, num_layers=2)
  x = rng.standard_normal((2, 12, 6)).astype(np.float32)
  mask = lengths_mask([12, 7], 12)
  out = layer(x, mask).numpy()
  assert out.shape == (2, 12, 33)
  noisy = x.copy()
  noisy[1, 7:] = 1e3
  np.testing.assert_allclose(layer(noisy, mask).numpy()[1, :7], out[1, :7], atol=1e-5)


# ---------------------------------------------------------------- serialisation


@pytest.mark.parametrize("layer", [
    ConvFrontEnd(filters=4, context_frames=4),
    StyleConditioning(num_styles=7),
    PyramidalLSTM(units=5, pyramid_layers=2, bidirectional=False),
    make_decoder(use_attention=False),
    make_decoder(output_head="source_filter", envelope_coefficients=3, time_reduction=4),
    SourceFilterHead(12, 2, envelope_coefficients=5, time_reduction=8),
    PartialLevelsHead(12, 2, envelope_coefficients=5, time_reduction=8),
    SourceEnvelopeHead(12, 2, envelope_coefficients=5, time_reduction=8),
    DirectHead(7, 3),
    LinearPostNet(num_bins=9, filters=4, kernel_size=3, num_layers=1),
], ids=lambda layer: type(layer).__name__)
def test_layer_config_round_trip(layer):
  config = layer.get_config()
  clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
  assert type(clone) is type(layer)
  assert clone.get_config() == config


def test_the_pyramid_builds_inside_keras_object_sharing_scope():
  """While Keras loads a model its object-sharing scope keys objects by id():
  a freed Bidirectional template whose id the next one reused made the
  pyramid fail to build ("go_backwards" equal in both directions) about once
  in 200 builds. Its templates now stay alive until all are wrapped: 0 in
  1000 measured; 100 builds here."""
  from keras.src.saving import serialization_lib
  for _ in range(100):
    with serialization_lib.ObjectSharingScope():
      PyramidalLSTM(8, 3)
