r"""Griffin-Lim on two FFT grids: spectral convergence and LiteRT time, one run.

Frames are 800 samples and the FFT 2048 points, so the 1024-point grid
(every second bin) describes a frame exactly, at about half the cost per
iteration. ``vocoding.griffin_lim(coarse_iterations=C, iterations=F)`` runs C
iterations there, then F on the full grid. This prints, for several (C, F):

  * spectral convergence (``vocoding.spectral_convergence``: ||S - |STFT(y)||| /
    ||S||, lower is better) against the magnitude the vocoder is given --
    the mel inverse of real clips' log-mel, as for a model's output -- for
    ``--clips`` training clips of gm_notes and of tts_words (``--seconds``
    each, one batch), mean over clips;
  * LiteRT time for 4 s (321 frames, batch 1, 2 threads, loops unrolled as
    export.py writes them), best of ``--repeats``, and its ratio to evaluate.py's
    32 full-grid iterations timed in the same run.

Usage:
  python bench/griffin_lim_grids.py
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench.common import best_time  # noqa: E402
from tf_transforms.core.configs import AudioConfig  # noqa: E402
from tf_transforms.data import pipeline  # noqa: E402
from tf_transforms.export.saved_model import Vocoder  # noqa: E402
from tf_transforms.signal import melspec, vocoding

flags.DEFINE_integer("clips", 24, "Clips per dataset.")
flags.DEFINE_float("seconds", 2.0, "Longest clip length used (clips are cut to the shortest).")
flags.DEFINE_integer("repeats", 3, "Timed LiteRT calls per schedule; the best is kept.")
FLAGS = flags.FLAGS

EXPORT = Vocoder()
SCHEDULES = [  # (coarse, full, label)
    (0, 32, "evaluate.py's vocoder"),
    (0, 24, ""),
    (EXPORT.coarse_iterations, EXPORT.iterations, "export.py's default"),
    (24, 8, ""),
    (36, 2, ""),
    (28, 4, ""),
    (48, 0, "half grid only, then one full-grid projection"),
]


def clips(name, config):
  index = pipeline.load_index(name)
  rows = np.random.default_rng(0).choice(len(index.content), FLAGS.clips, replace=False)
  waves = [index.audio(r)[:int(FLAGS.seconds * config.sample_rate)] for r in rows]
  length = min(len(w) for w in waves)
  return np.stack([w[:length] for w in waves])


def lite_time(coarse, full, config):
  from ai_edge_litert.interpreter import Interpreter
  module = tf.Module()
  module.vocode = tf.function(lambda magnitude: {"waveform": vocoding.griffin_lim(
      magnitude, config, iterations=full, coarse_iterations=coarse, unroll=True)})
  function = module.vocode.get_concrete_function(
      tf.TensorSpec([1, None, config.fft_length // 2 + 1], tf.float32, name="magnitude"))
  converter = tf.lite.TFLiteConverter.from_concrete_functions([function], module)
  converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
  runner = Interpreter(model_content=converter.convert(), num_threads=2).get_signature_runner()
  magnitude = np.abs(np.random.default_rng(0).standard_normal(
      (1, 321, config.fft_length // 2 + 1))).astype(np.float32)
  runner(magnitude=magnitude)
  return best_time(lambda: runner(magnitude=magnitude), FLAGS.repeats)


def main(argv):
  del argv
  config = AudioConfig()
  magnitudes = {}
  for name in ("gm_notes", "tts_words"):
    waves = clips(name, config)
    power = vocoding.mel_to_linear(tf.exp(melspec.log_mel_spectrogram(waves, config)), config)
    magnitudes[name] = tf.sqrt(power)
  print(f"{FLAGS.clips} training clips per dataset ({magnitudes['gm_notes'].shape[1]} and "
        f"{magnitudes['tts_words'].shape[1]} frames), {os.cpu_count()} CPU cores, "
        f"TF {tf.__version__}\n")
  print("| half-grid + full-grid iterations | SC notes | SC words | LiteRT, 4 s (ms) | "
        "time vs 32 full | |")
  print("| --- | ---: | ---: | ---: | ---: | --- |")
  reference = None
  for coarse, full, label in SCHEDULES:
    scores = []
    for magnitude in magnitudes.values():
      vocode = tf.function(lambda m: vocoding.griffin_lim(m, config, iterations=full,
                                                       coarse_iterations=coarse))
      scores.append(float(np.mean(vocoding.spectral_convergence(
          magnitude, vocode(magnitude), config))))
    seconds = lite_time(coarse, full, config)
    reference = reference or seconds
    print(f"| {coarse} + {full} | {scores[0]:.4f} | {scores[1]:.4f} | {seconds * 1e3:.0f} | "
          f"{seconds / reference:.2f}x | {label} |", flush=True)


if __name__ == "__main__":
  app.run(main)
