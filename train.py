r"""Train a conditional audio-transform model (or a Table 2 baseline).

Usage:
  python train.py                                   # ours on gm_notes, default preset
  python train.py --dataset=nsynth --manual_dir=/data/nsynth --preset=paper
  python train.py --model=las --model_dir=runs/las --steps=2000
  python train.py --context_ms=50 --model_dir=runs/ctx50          # Table 3
  python train.py --dataset=audioset_speech --autoencoder --model_dir=runs/ae
  python train.py --dataset=timit --init_from=runs/ae/model.keras

  python train.py --dataset=tts_words --print_config        # every default, resolved

Rerunning a command resumes its run from the last checkpoint; a model_dir
holding a run with other settings is refused. TensorBoard: --logdir=<model_dir>/logs.
"""

import errno
import os
import signal
import sys

from absl import app, flags

from tf_transforms.cli import flag_defs
from tf_transforms.core.errors import reported_in_one_line

flag_defs.define_train_flags()
flags.adopt_module_key_flags(flag_defs)
FLAGS = flags.FLAGS


@reported_in_one_line  # user errors: one line, no traceback (TF_TRANSFORMS_TRACEBACK=1 shows it)
def main(argv):
  del argv
  model_dir = FLAGS.model_dir or os.path.join("runs", f"{FLAGS.dataset}_{FLAGS.model}")
  from tf_transforms.training.run_files import (check_not_busy, check_tf_config,
                                                check_writable_directory)
  if FLAGS.strategy == "multi_worker":
    check_tf_config(os.environ.get("TF_CONFIG"))
  if FLAGS.dataset == "folder":  # the user's folder, checked before TensorFlow starts up
    from tf_transforms.data import folder_dataset
    folder_dataset.describe(FLAGS.manual_dir)
  if not FLAGS.print_config:
    check_writable_directory(model_dir, "--model_dir")  # before TensorFlow starts up
    if FLAGS.strategy != "multi_worker":  # a cluster's chief takes the lock as the others start
      check_not_busy(model_dir)
  from tf_transforms.training import run as runs
  run = runs.make_run_config(
      dataset=FLAGS.dataset, dataset_config=FLAGS.dataset_config, preset=FLAGS.preset,
      model=FLAGS.model, steps=FLAGS.steps, epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
      learning_rate=FLAGS.learning_rate, context_ms=FLAGS.context_ms,
      output_head=FLAGS.output_head, envelope_coefficients=FLAGS.envelope_coefficients,
      guided_attention=FLAGS.guided_attention, frame_loss=FLAGS.frame_loss,
      sort_window=FLAGS.sort_window, unknown_source_share=FLAGS.unknown_source_share,
      mel_inverse_prior=FLAGS.mel_inverse_prior,
      postfilter=FLAGS.postfilter, comb_chooser=FLAGS.comb_chooser,
      autoencoder=FLAGS.autoencoder,
      init_from=FLAGS.init_from, seed=FLAGS.seed, strategy=FLAGS.strategy,
      soundfont=FLAGS.soundfont, checkpoint_every=FLAGS.checkpoint_every,
      manual_dir=FLAGS.manual_dir)
  if FLAGS.print_config:
    print(run.to_json())
    print("(model.num_styles is set from the dataset's style vocabulary when training starts)",
          file=sys.stderr)
    return
  from tf_transforms.training import loop

  # SIGTERM ends the run as Ctrl-C does: between steps, the checkpoints kept.
  # (Not in a cluster: a Python handler waits for TensorFlow to return, and a
  # worker waiting for its peers inside TensorFlow would then ignore SIGTERM.)
  if FLAGS.strategy != "multi_worker":
    signal.signal(signal.SIGTERM, _interrupt)
  try:
    loop.train(run, model_dir, data_dir=FLAGS.data_dir, manual_dir=FLAGS.manual_dir,
               deterministic=FLAGS.deterministic)
  except (KeyboardInterrupt, OSError) as error:
    if isinstance(error, OSError) and error.errno != errno.ENOSPC:
      raise
    cause = "interrupted" if isinstance(error, KeyboardInterrupt) else "the disk is full"
    saved = loop.saved_steps(model_dir, run)
    resume = (f"rerun the same command to resume at step {saved}" if saved else
              "no checkpoint was saved yet: rerun the same command to start again")
    print(f"train.py: {cause}; {resume}", file=sys.stderr, flush=True)
    sys.exit(130 if isinstance(error, KeyboardInterrupt) else 1)


def _interrupt(signum, frame):
  del signum, frame
  raise KeyboardInterrupt


if __name__ == "__main__":
  app.run(main)
