"""`ours` learns: it overfits real note pairs far below copy-the-source.

Notes are rendered from the General MIDI SoundFont shipped in the pretty_midi
wheel (real sampled piano, nylon guitar and flute), 4 pitches each; every
(source instrument, target instrument, pitch) with different instruments is
one pair: 24 pairs in one batch, trained with Keras' fit.
"""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_transforms.core import defaults
from tf_transforms.core.configs import AudioConfig, ModelConfig
from tf_transforms.data.soundfont import NoteRenderer
from tf_transforms.model import losses, transform_model
from tf_transforms.signal import melspec
from tf_transforms.signal.ops import dct_basis

PAPER = AudioConfig()  # the paper's front-end

PROGRAMS = [0, 24, 73]          # acoustic grand piano, nylon guitar, flute
PITCHES = [55, 60, 64, 67]


def note_pairs():
  renderer = NoteRenderer()
  features = {}
  for style, program in enumerate(PROGRAMS):
    for pitch in PITCHES:
      clip = renderer.render(program, pitch, hold_seconds=0.5, total_seconds=0.75)
      features[style, pitch] = melspec.normalize_log_spectrogram(melspec.log_mel_spectrogram(clip, PAPER), PAPER).numpy()
  pairs = [(s, t, p) for s, t in itertools.permutations(range(len(PROGRAMS)), 2)
           for p in PITCHES]
  source = np.stack([features[s, p] for s, _, p in pairs])
  target = np.stack([features[t, p] for _, t, p in pairs])
  frames = source.shape[1]
  return {
      "source": source, "target": target,
      "source_length": np.full(len(pairs), frames, np.int32),
      "target_length": np.full(len(pairs), frames, np.int32),
      "source_style": np.array([s for s, _, _ in pairs], np.int32),
      "target_style": np.array([t for _, t, _ in pairs], np.int32),
  }


@pytest.mark.slow
def test_ours_overfits_real_note_pairs_below_copy_baseline():
  keras.utils.set_random_seed(0)
  batch = note_pairs()
  copy_mse = float(np.mean((batch["source"] - batch["target"]) ** 2))
  config = ModelConfig(method="ours", num_styles=len(PROGRAMS), context_frames=2,
                       conv_filters=64, encoder_units=64, pyramid_layers=1,
                       decoder_units=128, attention_units=64, prenet_units=64,
                       prenet_dropout=0.2)
  model = transform_model.build_model(config, PAPER)
  model.compile(optimizer=keras.optimizers.Adam(3e-3))
  data = tf.data.Dataset.from_tensors(batch).repeat()
  history = model.fit(data, epochs=1, steps_per_epoch=150, verbose=0)
  history_losses = history.history["loss"]
  assert np.all(np.isfinite(history_losses))
  outputs = model(batch)
  frame_mse = float(losses.transform_loss(outputs, batch["target"], batch["target_length"],
                                          config.reduction_factor)["frame_loss"])
  # Each frame splits into orthogonal parts: smooth (the first K DCT
  # coefficients over the mel bins: envelope and level) and fine (the rest:
  # the comb, hence pitch and partial pattern), and so does the MSE. The
  # smooth part is what the source heads learn freely; its error must fall far
  # below copy-the-source's. The fine part is a comb: source_filter copies the
  # source's (its error is a floor, copy's); harmonic_comb and the default
  # harmonic_levels set the levels of a comb generated at the source's pitch
  # (below copy's).
  head = defaults.output_head(config)
  basis = dct_basis(config.envelope_coefficients, config.num_mel_bins)
  smooth = basis.T @ basis
  fine = np.eye(config.num_mel_bins) - smooth
  frames = batch["target"].shape[1]
  prediction = outputs["frames"].numpy()[:, :frames]
  copy_fine = float(np.mean(((batch["source"] - batch["target"]) @ fine) ** 2))
  copy_smooth = float(np.mean(((batch["source"] - batch["target"]) @ smooth) ** 2))
  learned_smooth = float(np.mean(((prediction - batch["target"]) @ smooth) ** 2))
  learned_fine = float(np.mean(((prediction - batch["target"]) @ fine) ** 2))
  print(f"{head}: copy MSE {copy_mse:.4f} = smooth {copy_smooth:.4f} + fine {copy_fine:.4f}; "
        f"model MSE {frame_mse:.4f} = smooth {learned_smooth:.4f} + fine {learned_fine:.4f}")
  assert frame_mse == pytest.approx(learned_smooth + learned_fine, rel=1e-3)
  assert learned_smooth < 0.25 * copy_smooth
  if head == "source_filter":
    assert learned_fine == pytest.approx(copy_fine, rel=1e-3)
  else:
    assert head in ("harmonic_comb", "harmonic_levels")
    assert learned_fine < 0.9 * copy_fine
