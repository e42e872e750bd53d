r"""Which way to linear magnitude: the mel inverse or a learned post-net?

Measured on real notes rendered from the General MIDI SoundFont (peak-
normalised to 0.5): 8 instruments across families, MIDI pitches 48-72 in
whole tones; every fourth
pitch is held out (unseen pitches, as the paper's test split). The post-net
(``LinearPostNet``, the model's option ``linear_output="postnet"``) is trained
alone to map the true normalised log-mel to the true normalised linear
log-power; then each held-out note is vocoded three ways with the same
Griffin-Lim (32 iterations, same seed):

  * mel inverse : log-mel -> ``vocoding.mel_to_linear`` -> Griffin-Lim
  * post-net    : log-mel -> post-net -> Griffin-Lim
  * oracle      : the true linear spectrogram -> Griffin-Lim (the ceiling)

and scored against the original note by the 80-band log-mel cepstral
distance (``metrics.log_mel_cepstral_distance``, coefficients 1-24: a
diagnostic, not the field's MCD) and log-spectral distance on the linear spectrogram (dB). Both paths
get the *true* log-mel here; inside the model the post-net sees predicted
frames and is trained jointly, which can only help it further.

Usage:
  python bench/vocoder_paths.py [--steps=1500]
"""

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_transforms.core.configs import AudioConfig, ModelConfig  # noqa: E402
from tf_transforms.data.soundfont import NoteRenderer  # noqa: E402
from tf_transforms.evaluation import metrics  # noqa: E402
from tf_transforms.model.postnet import LinearPostNet
from tf_transforms.signal import melspec, vocoding

PAPER = AudioConfig()  # the paper's front-end

flags.DEFINE_integer("steps", 1500, "Post-net training steps.")
flags.DEFINE_integer("batch_size", 16, "Post-net training batch.")
flags.DEFINE_integer("seed", 0, "Seed.")
FLAGS = flags.FLAGS

PROGRAMS = [0, 19, 24, 40, 56, 65, 73, 32]   # piano, organ, guitar, violin, trumpet, sax, flute, bass
PITCHES = list(range(48, 73, 2))
CONFIG = AudioConfig()


def render_set():
  renderer = NoteRenderer()
  notes, silent = {}, []
  for program in PROGRAMS:
    for pitch in PITCHES:
      clip = renderer.render(program, pitch, hold_seconds=0.75, total_seconds=1.0)
      peak = np.abs(clip).max()
      if peak < 1e-4:  # the SoundFont has no sample for this pitch
        silent.append((program, pitch))
        continue
      notes[program, pitch] = 0.5 * clip / peak  # TimGM6mb renders at ~-21 dBFS
  if silent:
    print(f"skipped {len(silent)} silent renders (program, pitch): {silent}")
  held_out = set(PITCHES[3::4])
  train = [k for k in notes if k[1] not in held_out]
  test = [k for k in notes if k[1] in held_out]
  return notes, train, test


def log_spectral_distance(reference_log_power, estimate_log_power):
  """RMS over bins of the dB difference, mean over frames."""
  difference_db = 10.0 / np.log(10.0) * (reference_log_power - estimate_log_power)
  return float(np.mean(np.sqrt(np.mean(difference_db ** 2, axis=-1))))


def main(argv):
  del argv
  keras.utils.set_random_seed(FLAGS.seed)
  notes, train, test = render_set()
  waveforms = np.stack([notes[k] for k in train + test])
  mel = melspec.normalize_log_spectrogram(melspec.log_mel_spectrogram(waveforms, PAPER), PAPER).numpy()
  linear = melspec.normalize_log_spectrogram(melspec.log_linear_spectrogram(waveforms, PAPER), PAPER).numpy()
  n_train = len(train)
  print(f"{len(PROGRAMS)} instruments, {n_train} training notes, {len(test)} held-out notes "
        f"(pitches {sorted({k[1] for k in test})}), {mel.shape[1]} frames each")

  defaults = ModelConfig()
  postnet = LinearPostNet(defaults.num_linear_bins, defaults.postnet_filters,
                          num_layers=defaults.postnet_layers)
  optimizer = keras.optimizers.Adam(1e-3)
  full_mask = tf.ones(mel.shape[:2], tf.bool)

  @tf.function
  def train_step(x, y):
    with tf.GradientTape() as tape:
      loss = tf.reduce_mean(tf.square(postnet(x, tf.ones(tf.shape(x)[:2], tf.bool)) - y))
    gradients = tape.gradient(loss, postnet.trainable_variables)
    optimizer.apply_gradients(zip(gradients, postnet.trainable_variables))
    return loss

  rng = np.random.default_rng(FLAGS.seed)
  start = time.perf_counter()
  for step in range(FLAGS.steps):
    index = rng.choice(n_train, FLAGS.batch_size, replace=False)
    loss = train_step(mel[index], linear[index])
  print(f"post-net: {FLAGS.steps} steps in {time.perf_counter() - start:.0f} s, "
        f"final training MSE {float(loss):.4f}\n")

  test_mel, test_linear = mel[n_train:], linear[n_train:]
  predicted_linear = postnet(test_mel, full_mask[n_train:]).numpy()
  true_log_mel = melspec.denormalize_log_spectrogram(test_mel, PAPER).numpy()
  true_log_linear = melspec.denormalize_log_spectrogram(test_linear, PAPER).numpy()
  length = waveforms.shape[1]
  paths = {
      "mel inverse (Richardson-Lucy)": lambda: vocoding.log_mel_to_audio(true_log_mel, PAPER, length=length),
      "post-net": lambda: vocoding.log_linear_to_audio(
          melspec.denormalize_log_spectrogram(predicted_linear, PAPER), PAPER, length=length),
      "oracle (true linear)": lambda: vocoding.log_linear_to_audio(true_log_linear, PAPER, length=length),
  }
  print("| path to linear magnitude | log-mel cepstral dist. dB (mean ± 95% CI) | log-spectral distance dB | "
        "vocoding s/clip |")
  print("| --- | ---: | ---: | ---: |")
  for name, vocode in paths.items():
    start = time.perf_counter()
    resynthesized = vocode().numpy()
    seconds = (time.perf_counter() - start) / len(test)
    resynth_log_mel = melspec.log_mel_spectrogram(resynthesized, PAPER).numpy()
    resynth_log_linear = melspec.log_linear_spectrogram(resynthesized, PAPER).numpy()
    mcds = [metrics.log_mel_cepstral_distance(a, b) for a, b in zip(true_log_mel, resynth_log_mel)]
    mean, half = metrics.mean_confidence_interval(mcds)
    lsd = np.mean([log_spectral_distance(a, b)
                   for a, b in zip(true_log_linear, resynth_log_linear)])
    print(f"| {name} | {mean:.2f} ± {half:.2f} | {lsd:.2f} | {seconds:.3f} |")


if __name__ == "__main__":
  app.run(main)
