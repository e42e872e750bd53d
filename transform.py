r"""Transform audio files with an exported model: one file, a folder, or a glob.

Usage:
  python transform.py --model=exports/tf_transforms/1 \
      --input=in.wav --source_style=keyboard_acoustic_000 \
      --target_style=flute_acoustic_073 --output=out.wav
  python transform.py --model=exports/tf_transforms/1 --input=my_recordings/ \
      --target_style=flute_acoustic_073 --output=converted/      # a folder, any source
  python transform.py --model=exports/tf_transforms/1 --input='takes/*.flac' \
      --target_style=flute_acoustic_073 --output=converted/ --segment=onsets

Styles are given by name (the export's `styles` signature lists them). Without
--source_style the recordings' voice or instrument is taken as unknown: any
voice or instrument, for exports trained with unknown sources (the default
since 0.11). Only the SavedModel is used, not the training code. Outputs are
not overwritten unless --overwrite; with several inputs every output is
checked before the first conversion, a file that fails is reported by name
while the others are converted, and a summary ends the run (exit status 1 if
any failed). A recording longer than the export's limit (`export.py
--max_seconds`, 10 s by default) is refused unless --segment cuts it: at
silences (isolated words or notes), or at onsets (notes played one after
another); the converted segments are joined with 10 ms cross-fades.
Continuous speech has no silences between words and is not cut.
"""

import sys

from absl import app, flags

from tf_transforms.core.errors import reported_in_one_line
from tf_transforms.export import convert
from tf_transforms.signal.segments import SEGMENTATIONS

flags.DEFINE_string("model", None, "An exported SavedModel version directory.", required=True)
flags.DEFINE_string("input", None, "An audio file (WAV, FLAC, OGG, MP3, NIST SPHERE), a folder "
                    "of them (recursively), or a quoted glob.", required=True)
flags.DEFINE_string("output", None, "The output file (one input), or a folder: each input's "
                    "relative path, with --output_extension.", required=True)
flags.DEFINE_string("source_style", None, "Name of the input's style; unset: unknown (a voice "
                    "or instrument outside the training styles).")
flags.DEFINE_string("target_style", None, "Name of the wanted style.", required=True)
flags.DEFINE_enum("segment", "none", list(SEGMENTATIONS),
                  "Cut each recording into notes or words first: at silences, or at onsets "
                  "(notes); none converts each file whole.")
flags.DEFINE_string("output_extension", convert.DEFAULT_OUTPUT_EXTENSION,
                    "Format of the files written into an --output folder: .wav, .flac or .ogg.")
flags.DEFINE_bool("overwrite", False, "Replace outputs that exist.")
FLAGS = flags.FLAGS


@reported_in_one_line  # user errors: one line, no traceback (TF_TRANSFORMS_TRACEBACK=1 shows it)
def main(argv):
  del argv
  summary = convert.transform_files(
      FLAGS.model, FLAGS.input, FLAGS.output, FLAGS.source_style, FLAGS.target_style,
      overwrite=FLAGS.overwrite, segmentation=FLAGS.segment,
      extension=FLAGS.output_extension, progress=lambda line: print(line, flush=True))
  source = FLAGS.source_style or "unknown source"
  if len(summary.converted) + len(summary.failed) == 1 and summary.converted:
    _, output, seconds, _ = summary.converted[0]
    print(f"wrote {output} ({seconds:.2f} s, {source} -> {FLAGS.target_style})")
  else:
    print(f"{summary.line()} ({source} -> {FLAGS.target_style})")
  return 1 if summary.failed else 0


if __name__ == "__main__":
  sys.exit(app.run(main))
