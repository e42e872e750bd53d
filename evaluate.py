r"""Evaluate trained models: Table 2 / Table 3 metrics and Figures 2-3.

Usage:
  python evaluate.py --model_dir=runs/ours --model_dir=runs/las

Evaluation lands with issue #5; until then this script parses its flags and
says so. The metrics themselves are in tf_transforms.metrics.
"""

import sys

from absl import app, flags

from tf_transforms import flags as tft_flags

tft_flags.define_evaluate_flags()
flags.adopt_module_key_flags(tft_flags)


def main(argv):
  del argv
  print("evaluate.py: evaluation is not implemented yet (tracked in issue #5). "
        "Metrics are available in tf_transforms.metrics.", file=sys.stderr)
  return 1


if __name__ == "__main__":
  app.run(main)
