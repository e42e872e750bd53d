r"""Export a trained run as a SavedModel for TF Serving / TF Hub.

Usage:
  python export.py --model_dir=runs/main_ours --export_dir=exports
  # -> exports/tf_transforms/1/ (the next free version; existing ones are kept)

  saved_model_cli show --dir exports/tf_transforms/1 --all
"""

from absl import app, flags

flags.DEFINE_string("model_dir", None, "A finished train.py run.", required=True)
flags.DEFINE_string("export_dir", "exports", "TF Serving base directory.")
flags.DEFINE_string("name", "tf_transforms", "Model name (the folder under --export_dir).")
flags.DEFINE_integer("version", None, "Version number; default the next free one.")
flags.DEFINE_float("max_seconds", 10.0, "Longest waveform the export accepts.")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  from tf_transforms import export  # after flag parsing: TF starts up here
  path = export.export_saved_model(FLAGS.model_dir, FLAGS.export_dir, FLAGS.name,
                                   FLAGS.version, FLAGS.max_seconds)
  print(f"exported {path}")


if __name__ == "__main__":
  app.run(main)
