r"""Front-end speed: TF (tf.signal, in-graph) vs librosa, measured in one run.

Prints, on the same inputs and in the same process:
  * batched log-mel extraction, clips/s, TF vs librosa;
  * Griffin-Lim seconds per second of audio at equal iteration count, TF
    (graph and XLA) vs ``librosa.griffinlim``, with both spectral convergences
    (mean over the same clips; lower is better).

Times are the best of --repeats runs (machines here are shared and noisy);
ratios are what to read.

Usage:
  python bench/frontend.py [--clips=8] [--seconds=4] [--iterations=32]
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import librosa  # noqa: E402
import numpy as np  # noqa: E402
import scipy.signal  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench.common import best_time  # noqa: E402
from tests import signals  # noqa: E402
from tf_transforms.core.configs import AudioConfig  # noqa: E402
from tf_transforms.signal import melspec, vocoding  # noqa: E402

PAPER = AudioConfig()  # the paper's front-end

flags.DEFINE_integer("clips", 8, "Clips per batch.")
flags.DEFINE_float("seconds", 4.0, "Seconds per clip.")
flags.DEFINE_integer("iterations", 32, "Griffin-Lim iterations.")
flags.DEFINE_integer("repeats", 3, "Timing repeats; the best is kept.")
FLAGS = flags.FLAGS

CONFIG = AudioConfig()
LIBROSA_STFT = dict(n_fft=2048, hop_length=200, win_length=800, window="hann",
                    center=True, pad_mode="constant")


def make_clips(count, seconds):
  clips = []
  for i in range(count):
    maker = signals.speech_like if i % 2 == 0 else signals.harmonic_tone
    kwargs = dict(seed=i) if maker is signals.speech_like else dict(f0=110.0 * (1 + i % 5))
    clips.append(maker(seconds=seconds, **kwargs))
  return np.stack(clips)  # [clips, samples]


def librosa_log_mel(clip):
  emphasised = scipy.signal.lfilter([1.0, -CONFIG.pre_emphasis], [1.0], clip).astype(np.float32)
  mel = librosa.feature.melspectrogram(y=emphasised, sr=CONFIG.sample_rate,
                                       n_mels=CONFIG.num_mel_bins, power=2.0, **LIBROSA_STFT)
  return np.log(np.maximum(mel, CONFIG.log_floor))


def main(argv):
  del argv
  clips = make_clips(FLAGS.clips, FLAGS.seconds)
  audio_seconds = FLAGS.clips * FLAGS.seconds
  print(f"{FLAGS.clips} clips x {FLAGS.seconds:g} s, {os.cpu_count()} CPU cores, "
        f"TF {tf.__version__}, librosa {librosa.__version__}, best of {FLAGS.repeats}\n")

  # ---- log-mel
  tf_log_mel = tf.function(lambda x: melspec.log_mel_spectrogram(x, PAPER))
  batch = tf.constant(clips)
  tf_log_mel(batch)  # trace
  librosa_log_mel(clips[0])  # warm caches
  t_tf = best_time(lambda: tf_log_mel(batch).numpy(), FLAGS.repeats)
  t_lr = best_time(lambda: [librosa_log_mel(c) for c in clips], FLAGS.repeats)
  print("| log-mel extraction | clips/s | vs librosa |")
  print("| --- | ---: | ---: |")
  print(f"| librosa (loop over clips) | {FLAGS.clips / t_lr:.1f} | 1.00x |")
  print(f"| tf_transforms (one batched graph call) | {FLAGS.clips / t_tf:.1f} | "
        f"{t_lr / t_tf:.2f}x |\n")

  # ---- Griffin-Lim on the true magnitudes
  magnitudes = np.stack([np.abs(librosa.stft(c, **LIBROSA_STFT)).T for c in clips])
  n = FLAGS.iterations

  def convergence(outputs):
    return float(np.mean(vocoding.spectral_convergence(magnitudes, np.stack(outputs), PAPER)))

  def run_librosa():
    return [librosa.griffinlim(m.T, n_iter=n, momentum=0.99, random_state=0,
                               hop_length=200, win_length=800, n_fft=2048,
                               pad_mode="constant").astype(np.float32) for m in magnitudes]

  rows = []
  run_librosa()  # warm
  t = best_time(run_librosa, FLAGS.repeats)
  rows.append(("librosa.griffinlim (loop over clips)", t, convergence(run_librosa())))
  for name, jit, batched in [("tf graph, one clip at a time", False, False),
                             ("tf graph, batched", False, True),
                             ("tf XLA, one clip at a time", True, False)]:
    fn = tf.function(lambda m: vocoding.griffin_lim(m, PAPER, iterations=n), jit_compile=jit)
    if batched:
      run = lambda fn=fn: list(fn(tf.constant(magnitudes)).numpy())
    else:
      run = lambda fn=fn: [fn(tf.constant(m)).numpy() for m in magnitudes]
    run()  # trace / compile
    rows.append((name, best_time(run, FLAGS.repeats), convergence(run())))
  reference = rows[0][1]
  print(f"| Griffin-Lim, {n} iterations, momentum 0.99 | s per s of audio | "
        "speed vs librosa | spectral convergence |")
  print("| --- | ---: | ---: | ---: |")
  for name, seconds, sc in rows:
    print(f"| {name} | {seconds / audio_seconds:.4f} | {reference / seconds:.2f}x | {sc:.4f} |")


if __name__ == "__main__":
  app.run(main)
