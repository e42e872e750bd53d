r"""Transform an audio file with an exported model.

Usage:
  python -m tf_transforms.transform --model=exports/tf_transforms/1 \
      --input=in.wav --source_style=keyboard_acoustic_000 \
      --target_style=flute_acoustic_073 --output=out.wav

Styles are given by name (the export's `styles` signature lists them). Only
the SavedModel is used, not the training code. The output is not overwritten
unless --overwrite. Inputs longer than the export's limit (``export.py
--max_seconds``, 10 s by default) are refused with that limit named: the
model transforms one note or word, and splitting a longer file at arbitrary
points would cut notes and words in two.
"""

import os
import re
import sys

from absl import app, flags

from tf_transforms import run_files
from tf_transforms.errors import TransformError, reported_in_one_line

flags.DEFINE_string("model", None, "An exported SavedModel version directory.", required=True)
flags.DEFINE_string("input", None, "Input audio file (WAV, FLAC, OGG, NIST SPHERE).",
                    required=True)
flags.DEFINE_string("output", None, "Output WAV file.", required=True)
flags.DEFINE_string("source_style", None, "Name of the input's style.", required=True)
flags.DEFINE_string("target_style", None, "Name of the wanted style.", required=True)
flags.DEFINE_bool("overwrite", False, "Replace --output if it exists.")
FLAGS = flags.FLAGS


MIN_SECONDS = 0.05  # one 50 ms analysis window: anything shorter has no frame to transform


def check_output(output_path, overwrite=False):
  """Refuses, before any work, an output that could not be written: a
  directory, a file in a missing or unwritable directory, or an existing file
  without ``overwrite``. Raises TransformError."""
  run_files.check_output_file(output_path, "--output", overwrite, error=TransformError)


def transform_file(model_path, input_path, output_path, source_style, target_style,
                   overwrite=False):
  """Reads, transforms and writes one file; returns the output's duration in s.

  Everything that can be checked is checked before inference: the output
  location, the input audio (``io.read_audio``: missing, empty, truncated,
  implausible rate, NaN) and its length (at least one analysis window; at
  most the export's limit, which the SavedModel enforces and names), and the
  style names.

  Raises:
    TransformError or AudioError: a user error, in one line.
  """
  check_output(output_path, overwrite)  # before TensorFlow starts up
  import numpy as np
  import tensorflow as tf
  from tf_transforms import io
  waveform = io.read_audio(input_path)
  if len(waveform) < MIN_SECONDS * io.DEFAULT_SAMPLE_RATE:
    raise TransformError(f"--input={input_path}: {1000 * len(waveform) / io.DEFAULT_SAMPLE_RATE:.1f} "
                         f"ms of audio; at least {1000 * MIN_SECONDS:.0f} ms (one analysis "
                         "window) is needed")
  if not tf.io.gfile.exists(os.path.join(model_path, "saved_model.pb")):
    raise TransformError(f"--model={model_path}: not a SavedModel version directory (no "
                         "saved_model.pb; give e.g. exports/tf_transforms/1)")
  loaded = tf.saved_model.load(model_path)
  names = [n.decode() for n in loaded.signatures["styles"]()["names"].numpy()]
  ids = {}
  for flag, name in (("--source_style", source_style), ("--target_style", target_style)):
    if name not in names:
      raise TransformError(f"{flag}={name!r} is not a style of {model_path}; its styles are: "
                           f"{', '.join(names)}")
    ids[flag] = names.index(name)
  try:
    result = loaded.signatures["serving_default"](
        waveform=tf.constant(waveform[np.newaxis]),
        source_style=tf.constant([ids["--source_style"]], tf.int32),
        target_style=tf.constant([ids["--target_style"]], tf.int32))
  except tf.errors.InvalidArgumentError as error:  # the export's own checks, e.g. too long
    found = re.search(r"assertion failed: \[([^\]]*)\]", error.message)
    reason = found.group(1) if found else error.message.strip().splitlines()[-1]
    reason = reason.replace("\\'", "'")  # TF escapes quotes in assertion messages
    if "longer than this export's maximum" in reason:
      reason += (f" (the input is {len(waveform) / io.DEFAULT_SAMPLE_RATE:.1f} s; the model "
                 "transforms one note or word: cut the file, or re-export with a larger "
                 "`export.py --max_seconds`)")
    raise TransformError(f"--input={input_path}: {reason}") from None
  output = result["waveform"].numpy()[0, :int(result["lengths"].numpy()[0])]
  peak = float(np.max(np.abs(output))) if output.size else 0.0
  if peak > 1.0:
    output = output / peak
  io.write_audio(output_path, output, overwrite=overwrite)
  return len(output) / io.DEFAULT_SAMPLE_RATE


@reported_in_one_line  # user errors: one line, no traceback (TF_TRANSFORMS_TRACEBACK=1 shows it)
def main(argv):
  del argv
  seconds = transform_file(FLAGS.model, FLAGS.input, FLAGS.output, FLAGS.source_style,
                           FLAGS.target_style, FLAGS.overwrite)
  print(f"wrote {FLAGS.output} ({seconds:.2f} s, {FLAGS.source_style} -> {FLAGS.target_style})")
  return 0


if __name__ == "__main__":
  sys.exit(app.run(main))
