r"""Real-time factor of an exported model: processing time / audio duration.

Loads the SavedModel (as TF Serving would: tf.saved_model.load, signatures
only) and times ``serving_default`` -- front-end, autoregressive model,
mel inverse, Griffin-Lim and de-emphasis, all in-graph -- on 1 s and 4 s
inputs. Best of --repeats; RTF < 1 is faster than real time.

With --tflite, the TFLite model (builtins only) is timed on the same inputs,
through the same path (its serving_default signature: audio in, audio out,
Griffin-Lim included) with 1 and with 2 interpreter threads (``lite.LiteTransform``
uses 2), and, for comparison, its network alone (transform_log_mel).

Usage:
  python export.py --model_dir=runs/main_ours --export_dir=exports --tflite=float32
  python bench/inference.py --model=exports/tf_transforms/1 \
      --tflite=exports/tf_transforms/1.float32.tflite
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench.common import best_time  # noqa: E402

flags.DEFINE_string("model", None, "Exported SavedModel version directory.", required=True)
flags.DEFINE_string("tflite", None, "Optional TFLite model (export.py --tflite) to time too.")
flags.DEFINE_integer("repeats", 5, "Timed calls per length; the best is kept.")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  loaded = tf.saved_model.load(FLAGS.model)
  serve = loaded.signatures["serving_default"]
  print(f"{FLAGS.model}, {os.cpu_count()} CPU cores, TF {tf.__version__}, best of "
        f"{FLAGS.repeats}\n")
  runners, network = {}, None
  if FLAGS.tflite:
    from ai_edge_litert.interpreter import Interpreter
    for threads in (1, 2):
      interpreter = Interpreter(model_path=FLAGS.tflite, num_threads=threads)
      runners[threads] = interpreter.get_signature_runner("serving_default")
    network = interpreter.get_signature_runner("transform_log_mel")
  print("| input | model | seconds | real-time factor |")
  print("| --- | --- | ---: | ---: |")
  for seconds in (1.0, 4.0):
    t = np.arange(int(seconds * 16000)) / 16000
    waveform = tf.constant((0.3 * np.sin(2 * np.pi * 261.6 * t))[np.newaxis], tf.float32)
    styles = tf.constant([0], tf.int32), tf.constant([1], tf.int32)
    run = lambda: serve(waveform=waveform, source_style=styles[0],
                        target_style=styles[1])["waveform"].numpy()
    run()  # warm up
    best = best_time(run, FLAGS.repeats)
    print(f"| {seconds:g} s | SavedModel, audio to audio (Griffin-Lim included) | {best:.3f} | "
          f"{best / seconds:.3f} |")
    saved_model_best = best
    for threads, runner in runners.items():
      inputs = dict(waveform=waveform.numpy(), source_style=np.array([0], np.int32),
                    target_style=np.array([1], np.int32))
      runner(**inputs)  # warm up
      best = best_time(lambda: runner(**inputs), FLAGS.repeats)
      print(f"| {seconds:g} s | TFLite, {threads} thread{'s' * (threads > 1)}, audio to audio "
            f"(Griffin-Lim included) | {best:.3f} | {best / seconds:.3f} "
            f"({best / saved_model_best:.2f}x the SavedModel's time) |")
    if network is not None:
      log_mel = serve(waveform=waveform, source_style=styles[0],
                      target_style=styles[1])["log_mel"].numpy()  # any log-mel of this length
      inputs = dict(log_mel=log_mel, source_style=inputs["source_style"],
                    target_style=inputs["target_style"])
      network(**inputs)  # warm up
      best = best_time(lambda: network(**inputs), FLAGS.repeats)
      print(f"| {seconds:g} s | TFLite, network only (log-mel in/out) | {best:.3f} | "
            f"{best / seconds:.3f} |")
  if network is not None:
    print_fft_speed(FLAGS.repeats)


def print_fft_speed(repeats):
  """The FFT both audio paths spend their Griffin-Lim time in: TF's vs TFLite's RFFT2D."""
  from ai_edge_litert.interpreter import Interpreter
  module = tf.Module()
  module.rfft = tf.function(lambda frames: {"spectrum": tf.abs(tf.signal.rfft(frames, [2048]))})
  function = module.rfft.get_concrete_function(tf.TensorSpec([1, None, 800], tf.float32,
                                                             name="frames"))
  converter = tf.lite.TFLiteConverter.from_concrete_functions([function], module)
  converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
  lite = Interpreter(model_content=converter.convert()).get_signature_runner()
  frames = np.random.default_rng(0).standard_normal((1, 321, 800)).astype(np.float32)
  lite(frames=frames)
  module.rfft(tf.constant(frames))
  tf_time = best_time(lambda: module.rfft(tf.constant(frames))["spectrum"].numpy(), repeats)
  lite_time = best_time(lambda: lite(frames=frames), repeats)
  print(f"\n2048-point RFFT of 321 frames (4 s of audio; Griffin-Lim does 2 per iteration): "
        f"TF {tf_time * 1e3:.1f} ms, TFLite {lite_time * 1e3:.1f} ms "
        f"({lite_time / tf_time:.1f}x TF's time)")


if __name__ == "__main__":
  app.run(main)
