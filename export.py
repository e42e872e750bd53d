r"""Export a trained run as a SavedModel for TF Serving / TF Hub.

Usage:
  python export.py --model_dir=runs/main_ours --export_dir=exports
  # -> exports/tf_transforms/1/ (the next free version; existing ones are kept)
  python export.py --model_dir=runs/main_ours --tflite=float32 --tflite=float16 \
      --tflite=dynamic_range     # also exports/tf_transforms/<version>.<variant>.tflite
  python export.py --model_dir=runs/main_ours --web_demo=float32   # + <version>.web/ (browser)

  saved_model_cli show --dir exports/tf_transforms/1 --all
"""

import os

from absl import app, flags

from tf_transforms.core.errors import reported_in_one_line

flags.DEFINE_string("model_dir", None, "A finished train.py run.", required=True)
flags.DEFINE_string("export_dir", "exports", "TF Serving base directory.")
flags.DEFINE_string("name", "tf_transforms", "Model name (the folder under --export_dir).")
flags.DEFINE_integer("version", None, "Version number (>= 1); default the next free one.",
                     lower_bound=1)
flags.DEFINE_float("max_seconds", 10.0, "Longest waveform the export accepts.")
flags.register_validator("max_seconds", lambda value: 0 < value <= 600,
                         message="--max_seconds must be in (0, 600] seconds")
flags.DEFINE_multi_enum("tflite", [], ["float32", "float16", "dynamic_range"],
                        "Also write <export_dir>/<name>/<version>.<variant>.tflite "
                        "(audio in / out with Griffin-Lim, and log-mel in / out; builtin ops only).")
flags.DEFINE_enum("web_demo", None, ["float32", "float16", "dynamic_range"],
                  "Also write <export_dir>/<name>/<version>.web/: a static web page running this "
                  "TFLite variant in the browser with LiteRT.js (docs/export.md).")
flags.DEFINE_integer("griffin_lim_iters", None,
                     "Full-grid Griffin-Lim iterations in the exported graphs (default 6, after "
                     "the coarse ones); fewer is faster and rougher (docs/export.md).",
                     lower_bound=1)
flags.DEFINE_integer("griffin_lim_coarse_iters", None,
                     "Half-grid Griffin-Lim iterations run first in the exported graphs "
                     "(default 28; 0 with --griffin_lim_iters=32 is evaluate.py's vocoder).",
                     lower_bound=0)
FLAGS = flags.FLAGS


@reported_in_one_line  # user errors: one line, no traceback (TF_TRANSFORMS_TRACEBACK=1 shows it)
def main(argv):
  del argv
  from tf_transforms.training import run_files
  run_files.check_writable_directory(FLAGS.export_dir, "--export_dir")  # before TensorFlow
  run_files.check_finished(FLAGS.model_dir)
  models = os.path.join(FLAGS.export_dir, FLAGS.name)  # this model's versions
  lock = run_files.EXPORT_LOCK_FILE
  with run_files.removed_if_left_empty(models, lock), run_files.directory_lock(
      models, lock, "--export_dir", "export.py"):
    _export()


def _export():
  from tf_transforms.export import saved_model  # TF starts up here
  vocoder = dict(griffin_lim_iters=FLAGS.griffin_lim_iters,
                 griffin_lim_coarse_iters=FLAGS.griffin_lim_coarse_iters)
  from tf_transforms.export import web_demo
  if FLAGS.web_demo:
    web_demo.litert_version()  # LiteRT.js installed? (before any work)
  path = saved_model.export_saved_model(FLAGS.model_dir, FLAGS.export_dir, FLAGS.name,
                                   FLAGS.version, FLAGS.max_seconds, **vocoder)
  print(f"exported {path}")
  if FLAGS.tflite:
    paths = {variant: f"{path}.{variant}.tflite" for variant in FLAGS.tflite}
    sizes = saved_model.export_tflite_variants(FLAGS.model_dir, paths, **vocoder)
    for variant, tflite_path in paths.items():
      print(f"exported {tflite_path} ({sizes[variant] / 1e6:.2f} MB)")
  if FLAGS.web_demo:
    demo = f"{path}.web"
    size = web_demo.write_web_demo(
        demo, FLAGS.model_dir, os.path.join(path, "assets.extra", "styles.json"),
        FLAGS.max_seconds, FLAGS.web_demo, name=FLAGS.name, vocoder=vocoder)
    print(f"exported {demo} ({size / 1e6:.1f} MB to download); serve it with\n"
          f"  python -m tf_transforms.export.web_demo {demo}")


if __name__ == "__main__":
  app.run(main)
