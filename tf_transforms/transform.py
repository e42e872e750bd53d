r"""Transform an audio file with an exported model.

Usage:
  python -m tf_transforms.transform --model=exports/tf_transforms/1 \
      --input=in.wav --source_style=keyboard_acoustic_000 \
      --target_style=flute_acoustic_073 --output=out.wav

Styles are given by name (the export's `styles` signature lists them). Only
the SavedModel is used, not the training code. The output is not overwritten
unless --overwrite.
"""

import sys

from absl import app, flags

flags.DEFINE_string("model", None, "An exported SavedModel version directory.", required=True)
flags.DEFINE_string("input", None, "Input audio file (WAV, FLAC, OGG, NIST SPHERE).",
                    required=True)
flags.DEFINE_string("output", None, "Output WAV file.", required=True)
flags.DEFINE_string("source_style", None, "Name of the input's style.", required=True)
flags.DEFINE_string("target_style", None, "Name of the wanted style.", required=True)
flags.DEFINE_bool("overwrite", False, "Replace --output if it exists.")
FLAGS = flags.FLAGS


def transform_file(model_path, input_path, output_path, source_style, target_style,
                   overwrite=False):
  """Reads, transforms and writes one file; returns the output's duration in s."""
  import numpy as np
  import tensorflow as tf
  from tf_transforms import io
  if not overwrite and tf.io.gfile.exists(output_path):
    raise FileExistsError(f"{output_path}: already exists; pass --overwrite to replace it")
  waveform = io.read_audio(input_path)  # validates: missing, empty, corrupt, NaN...
  loaded = tf.saved_model.load(model_path)
  names = [n.decode() for n in loaded.signatures["styles"]()["names"].numpy()]
  ids = {}
  for flag, name in (("--source_style", source_style), ("--target_style", target_style)):
    if name not in names:
      raise ValueError(f"{flag}={name!r} is not a style of {model_path}; its styles are: "
                       f"{', '.join(names)}")
    ids[flag] = names.index(name)
  result = loaded.signatures["serving_default"](
      waveform=tf.constant(waveform[np.newaxis]),
      source_style=tf.constant([ids["--source_style"]], tf.int32),
      target_style=tf.constant([ids["--target_style"]], tf.int32))
  output = result["waveform"].numpy()[0, :int(result["lengths"].numpy()[0])]
  peak = float(np.max(np.abs(output))) if output.size else 0.0
  if peak > 1.0:
    output = output / peak
  io.write_audio(output_path, output, overwrite=overwrite)
  return len(output) / io.DEFAULT_SAMPLE_RATE


def main(argv):
  del argv
  seconds = transform_file(FLAGS.model, FLAGS.input, FLAGS.output, FLAGS.source_style,
                           FLAGS.target_style, FLAGS.overwrite)
  print(f"wrote {FLAGS.output} ({seconds:.2f} s, {FLAGS.source_style} -> {FLAGS.target_style})")
  return 0


if __name__ == "__main__":
  sys.exit(app.run(main))
