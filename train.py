r"""Train a conditional audio-transform model.

Usage:
  python train.py --dataset=gm_notes --model=ours --model_dir=runs/ours

Training lands with issue #5 (train.py and evaluate.py); until then this
script parses its flags and says so.
"""

import sys

from absl import app, flags

from tf_transforms import flags as tft_flags

tft_flags.define_train_flags()
flags.adopt_module_key_flags(tft_flags)


def main(argv):
  del argv
  print("train.py: training is not implemented yet (tracked in issue #5). "
        "The audio front-end demo is `python examples/resynthesize.py`.",
        file=sys.stderr)
  return 1


if __name__ == "__main__":
  app.run(main)
