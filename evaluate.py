r"""Evaluate trained runs on unseen content: Table 2, Table 3, Figures 2 and 3.

Usage:
  python evaluate.py --model_dir=runs/main_ours
  python evaluate.py --model_dir=runs/ours --model_dir=runs/las --model_dir=runs/seq2seq \
      --model_dir=runs/cseq2seq                                    # Table 2
  python evaluate.py --sweep=context_ms --model_dir=runs/ctx12.5 --model_dir=runs/ctx25 ...
  python evaluate.py --split=valid --model_dir=runs/a --model_dir=runs/b   # choose settings
  python evaluate.py --warm_cache --model_dir=runs/main_ours   # judges' cache only (beside training)
  python evaluate.py --model_dir=runs/main_ours --foreign_sources=DIR   # sources never heard

Works for notes (gm_notes, nsynth) and words (tts_words, timit). Writes to
--output_dir: table2.md (and table3.md for a sweep, pitch.md for notes),
results.json (every number, per pair too), figure2_<run>.png with the example
WAVs in <run>/, and figure3_<run>.png (notes). Existing results are refused
before any work unless --overwrite. See tf_transforms/evaluation/scoring.py for what
each column measures (docs/evaluation.md for the conventions).
"""

from absl import app, flags

from tf_transforms.cli import flag_defs
from tf_transforms.core.errors import reported_in_one_line

flag_defs.define_evaluate_flags()
flags.adopt_module_key_flags(flag_defs)
FLAGS = flags.FLAGS


@reported_in_one_line  # user errors: one line, no traceback (TF_TRANSFORMS_TRACEBACK=1 shows it)
def main(argv):
  del argv
  if FLAGS.warm_cache:
    return _warm_cache()
  from tf_transforms.training import run_files
  run_files.check_model_dirs(FLAGS.model_dir)  # before TensorFlow and the judges start up
  run_files.check_writable_directory(FLAGS.output_dir, "--output_dir")
  lock = run_files.EVALUATE_LOCK_FILE
  with run_files.removed_if_left_empty(FLAGS.output_dir, lock), run_files.directory_lock(
      FLAGS.output_dir, lock, "--output_dir", "evaluate.py"):
    from tf_transforms.evaluation import report
    report.evaluate(FLAGS.model_dir, FLAGS.output_dir, data_dir=FLAGS.data_dir,
                    manual_dir=FLAGS.manual_dir, sweep=FLAGS.sweep, max_pairs=FLAGS.max_pairs,
                    seed=FLAGS.seed, overwrite=FLAGS.overwrite,
                    processes=FLAGS.processes, split=FLAGS.split,
                    foreign_sources=FLAGS.foreign_sources, source_as=FLAGS.source_as,
                    progress=lambda line: print(line, flush=True))
  print(f"\nwrote {FLAGS.output_dir}/")


def _warm_cache():
  from tf_transforms.core.errors import RunError
  from tf_transforms.training.run_files import check_started
  if len(FLAGS.model_dir or []) != 1:
    raise RunError("--warm_cache: give exactly one --model_dir (a run train.py has started)")
  check_started(FLAGS.model_dir[0])  # before TensorFlow starts up
  from tf_transforms.evaluation import report
  pairs = report.warm_cache(FLAGS.model_dir[0], data_dir=FLAGS.data_dir,
                            manual_dir=FLAGS.manual_dir, max_pairs=FLAGS.max_pairs,
                            seed=FLAGS.seed, processes=FLAGS.processes, split=FLAGS.split,
                            progress=lambda line: print(line, flush=True))
  print(f"\njudges' cache ready for {pairs} {FLAGS.split} pairs")


if __name__ == "__main__":
  app.run(main)
