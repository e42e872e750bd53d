r"""Transform an audio file with an exported model.

Usage:
  python transform.py --model=exports/tf_transforms/1 \
      --input=in.wav --source_style=keyboard_acoustic_000 \
      --target_style=flute_acoustic_073 --output=out.wav

Styles are given by name (the export's `styles` signature lists them). Only
the SavedModel is used, not the training code. The output is not overwritten
unless --overwrite. Inputs longer than the export's limit (``export.py
--max_seconds``, 10 s by default) are refused with that limit named: the
model transforms one note or word, and splitting a longer file at arbitrary
points would cut notes and words in two.
"""

import sys

from absl import app, flags

from tf_transforms.core.errors import reported_in_one_line
from tf_transforms.export import convert

flags.DEFINE_string("model", None, "An exported SavedModel version directory.", required=True)
flags.DEFINE_string("input", None, "Input audio file (WAV, FLAC, OGG, NIST SPHERE).",
                    required=True)
flags.DEFINE_string("output", None, "Output WAV file.", required=True)
flags.DEFINE_string("source_style", None, "Name of the input's style.", required=True)
flags.DEFINE_string("target_style", None, "Name of the wanted style.", required=True)
flags.DEFINE_bool("overwrite", False, "Replace --output if it exists.")
FLAGS = flags.FLAGS


@reported_in_one_line  # user errors: one line, no traceback (TF_TRANSFORMS_TRACEBACK=1 shows it)
def main(argv):
  del argv
  seconds = convert.transform_file(FLAGS.model, FLAGS.input, FLAGS.output, FLAGS.source_style,
                           FLAGS.target_style, FLAGS.overwrite)
  print(f"wrote {FLAGS.output} ({seconds:.2f} s, {FLAGS.source_style} -> {FLAGS.target_style})")
  return 0


if __name__ == "__main__":
  sys.exit(app.run(main))
