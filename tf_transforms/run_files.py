"""The files of a finished run, checked without importing TensorFlow.

``evaluate.py`` refuses a missing or unfinished ``--model_dir`` with these
checks before its judges (and TensorFlow) start up; ``run.load_run`` makes the
same check with ``tf.io.gfile`` (remote paths too) before loading anything.
"""

import os

from tf_transforms.errors import RunError

# What train.py leaves in model_dir when a run completes (the layout: run.py).
FINISHED_RUN_FILES = ("model.keras", "run_config.json", "styles.json")


def check_finished(model_dir: str, exists=None) -> None:
  """Refuses a ``model_dir`` that is not a finished run, naming what is missing.

  Args:
    exists: a path -> bool test; default ``os.path.exists`` for local paths
      (remote ones, ``gs://...``, are then left to ``run.load_run``).

  Raises:
    RunError: files of ``FINISHED_RUN_FILES`` are missing.
  """
  if exists is None:
    if "://" in model_dir:
      return
    exists = os.path.exists
  missing = [name for name in FINISHED_RUN_FILES if not exists(os.path.join(model_dir, name))]
  if missing:
    raise RunError(f"--model_dir={model_dir}: missing {', '.join(missing)} -- is it a "
                   "finished train.py run? (rerun train.py with the same flags to finish it)")


def check_model_dirs(model_dirs) -> None:
  """``evaluate.py``'s runs: at least one, each finished (``check_finished``)."""
  if not model_dirs:
    raise RunError("give at least one --model_dir (a finished train.py run)")
  for model_dir in model_dirs:
    check_finished(model_dir)
