r"""TFLite variants of a trained run: size, speed and log-mel distance change, one run.

Exports float32, float16 and dynamic-range TFLite models (builtin ops only)
of ``--model_dir``, runs each in the LiteRT interpreter on the first
``--pairs`` test pairs (unseen content), and prints file size, seconds per
second of audio for the network (the transform_log_mel signature: log-mel
in, log-mel out), and the 80-band log-mel cepstral distance against the
targets (``metrics.log_mel_cepstral_distance``: a diagnostic, not the field's
MCD) next to the Keras model's. bench/inference.py times the whole audio path.

Usage:
  python bench/tflite.py --model_dir=runs/main_ours
"""

import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import numpy as np  # noqa: E402

from tf_transforms.data import pipeline
from tf_transforms.evaluation import metrics  # noqa: E402
from tf_transforms.export import saved_model
from tf_transforms.signal import melspec
from tf_transforms.training.run import load_run  # noqa: E402

flags.DEFINE_string("model_dir", None, "A finished train.py run.", required=True)
flags.DEFINE_string("data_dir", None, "TFDS data dir.")
flags.DEFINE_integer("pairs", 24, "Test pairs scored.")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  from ai_edge_litert.interpreter import Interpreter
  run = load_run(FLAGS.model_dir)
  config = run.config
  index = pipeline.load_index(config.dataset, data_dir=FLAGS.data_dir, config=config.dataset_config,
                          soundfont=config.soundfont)
  pairs = pipeline.sample_pairs(index, "test", seed=0)[:FLAGS.pairs]
  features = index.features(config.audio)

  def score(transform):
    mcds, seconds = [], 0.0
    for source, target in pairs:
      start = time.perf_counter()
      predicted = transform(features[source][np.newaxis], index.style[source],
                            index.style[target])
      seconds += time.perf_counter() - start
      to_log_mel = lambda f: melspec.denormalize_log_spectrogram(f, config.audio).numpy()
      mcds.append(metrics.log_mel_cepstral_distance(
          to_log_mel(features[target]), to_log_mel(predicted[0, :len(features[target])])))
    audio_seconds = sum(len(features[s]) for s, _ in pairs) * config.audio.frame_step / 16000
    return float(np.mean(mcds)), seconds / audio_seconds

  def keras_transform(log_mel, source, target):
    return run.model.generate(log_mel, np.array([log_mel.shape[1]], np.int32),
                              np.array([source], np.int32), np.array([target], np.int32),
                              num_frames=log_mel.shape[1], return_alignments=False)["frames"].numpy()

  keras_mcd, keras_speed = score(keras_transform)
  print(f"{run.label}: {len(pairs)} test pairs, {os.cpu_count()} CPU cores\n")
  print("| model (log-mel in, log-mel out) | size MB | s per s of audio | log-mel dist. dB | change |")
  print("| --- | ---: | ---: | ---: | ---: |")
  print(f"| Keras (eager) | — | {keras_speed:.3f} | {keras_mcd:.2f} | — |")
  with tempfile.TemporaryDirectory() as directory:
    paths = {v: os.path.join(directory, f"{v}.tflite") for v in saved_model.TFLITE_VARIANTS}
    sizes = saved_model.export_tflite_variants(FLAGS.model_dir, paths)
    for variant, path in paths.items():
      size = sizes[variant]
      runner = Interpreter(model_path=path).get_signature_runner("transform_log_mel")
      lite_mcd, lite_speed = score(lambda log_mel, source, target: runner(
          log_mel=log_mel.astype(np.float32), source_style=np.array([source], np.int32),
          target_style=np.array([target], np.int32))["log_mel"])
      print(f"| TFLite {variant} | {size / 1e6:.2f} | {lite_speed:.3f} | {lite_mcd:.2f} | "
            f"{lite_mcd - keras_mcd:+.2f} |")


if __name__ == "__main__":
  app.run(main)
