"""One audio file through an exported SavedModel: what ``transform.py`` runs.

Only the SavedModel is used, not the training code. Styles are given by name
(the export's ``styles`` signature lists them).
"""

import os
import re

from tf_transforms.core import waveforms
from tf_transforms.core.errors import TransformError
from tf_transforms.training import run_files

MIN_SECONDS = 0.05  # one 50 ms analysis window: anything shorter has no frame to transform


def check_output(output_path, overwrite=False):
  """Refuses, before any work, an output that could not be written: a
  directory, a file in a missing or unwritable directory, or an existing file
  without ``overwrite``. Raises TransformError."""
  run_files.check_output_file(output_path, "--output", overwrite, error=TransformError)
  from tf_transforms.signal.audio_files import WRITTEN_FORMATS
  extension = os.path.splitext(output_path)[1].lower()
  if extension not in WRITTEN_FORMATS:
    *others, last = WRITTEN_FORMATS
    raise TransformError(f"--output={output_path}: cannot write "
                         f"{extension or 'a file without an extension'}; give "
                         f"{', '.join(others)} or {last}")


def transform_file(model_path, input_path, output_path, source_style, target_style,
                   overwrite=False):
  """Reads, transforms and writes one file; returns the output's duration in s.

  Everything that can be checked is checked before inference: the output
  location, the input audio (``audio_files.read_audio``: missing, empty, truncated,
  implausible rate, NaN; ``core.waveforms``: samples outside [-1, 1]) and its length (at least one analysis window; at
  most the export's limit, which the SavedModel enforces and names), and the
  style names.

  Raises:
    TransformError or AudioError: a user error, in one line.
  """
  check_output(output_path, overwrite)  # before TensorFlow starts up
  import numpy as np
  import tensorflow as tf

  from tf_transforms.signal import audio_files
  waveform = audio_files.read_audio(input_path)
  if len(waveform) < MIN_SECONDS * audio_files.DEFAULT_SAMPLE_RATE:
    raise TransformError(f"--input={input_path}: {1000 * len(waveform) / audio_files.DEFAULT_SAMPLE_RATE:.1f} "
                         f"ms of audio; at least {1000 * MIN_SECONDS:.0f} ms (one analysis "
                         "window) is needed")
  problem = waveforms.amplitude_problem(waveform)
  if problem:
    raise TransformError(f"--input={input_path}: {problem}")
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
      reason += (f" (the input is {len(waveform)} samples, "
                 f"{len(waveform) / audio_files.DEFAULT_SAMPLE_RATE:.4f} s; the model "
                 "transforms one note or word: cut the file, or re-export with a larger "
                 "`export.py --max_seconds`)")
    raise TransformError(f"--input={input_path}: {reason}") from None
  output = result["waveform"].numpy()[0, :int(result["lengths"].numpy()[0])]
  peak = float(np.max(np.abs(output))) if output.size else 0.0
  if peak > 1.0:
    output = output / peak
  audio_files.write_audio(output_path, output, overwrite=overwrite)
  return len(output) / audio_files.DEFAULT_SAMPLE_RATE
