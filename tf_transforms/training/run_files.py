"""A run's files, its lock and the scripts' output locations, checked without
importing TensorFlow.

The scripts refuse a user's mistake here before TensorFlow starts up (~10 s):
``evaluate.py`` a missing or unfinished ``--model_dir``, ``train.py`` an
unwritable or busy ``--model_dir``, ``export.py`` an unwritable
``--export_dir``, the transform command and the examples an ``--output`` file
that exists or could not be written. The library makes the same checks again
where it does the work (``run.load_run`` with ``tf.io.gfile``, remote paths too).
"""

import contextlib
import fcntl
import os
import shutil

from tf_transforms.core.errors import RunError

# What train.py leaves in model_dir when a run completes (the layout: run.py).
FINISHED_RUN_FILES = ("model.keras", "run_config.json", "styles.json")
LOCK_FILE = ".train.lock"  # held by the train.py process working on the run


def _missing(model_dir, names, exists=None) -> list:
  """Which of ``names`` ``model_dir`` lacks, by ``exists`` (a path -> bool
  test; default ``os.path.exists`` for local paths, and nothing is reported
  missing for remote ones, ``gs://...``, which ``run.load_run`` checks)."""
  if exists is None:
    if "://" in model_dir:
      return []
    exists = os.path.exists
  return [name for name in names if not exists(os.path.join(model_dir, name))]


def check_finished(model_dir: str, exists=None) -> None:
  """Refuses a ``model_dir`` that is not a finished run, naming what is missing.

  Args:
    exists: a path -> bool test; default ``os.path.exists`` for local paths
      (remote ones, ``gs://...``, are then left to ``run.load_run``).

  Raises:
    RunError: files of ``FINISHED_RUN_FILES`` are missing, or a train.py
      process holds the run (continuing it to more steps: its model.keras
      is about to be replaced).
  """
  missing = _missing(model_dir, FINISHED_RUN_FILES, exists)
  if missing:
    raise RunError(f"--model_dir={model_dir}: missing {', '.join(missing)} -- is it a "
                   "finished train.py run? (rerun train.py with the same flags to finish it)")
  check_not_busy(model_dir)


def check_started(model_dir: str, exists=None) -> None:
  """Refuses a ``model_dir`` without run_config.json, which train.py writes
  once its dataset is ready (``evaluate.py --warm_cache`` needs no more).

  Raises:
    RunError: run_config.json is missing.
  """
  if _missing(model_dir, ("run_config.json",), exists):
    raise RunError(f"--model_dir={model_dir}: no run_config.json -- --warm_cache needs a run "
                   "train.py has started (it writes the file once its dataset is ready)")


def check_model_dirs(model_dirs) -> None:
  """``evaluate.py``'s runs: at least one, each finished (``check_finished``)."""
  if not model_dirs:
    raise RunError("give at least one --model_dir (a finished train.py run)")
  for model_dir in model_dirs:
    check_finished(model_dir)


def check_writable_directory(path: str, flag: str) -> None:
  """Raises RunError if directory ``path`` (existing or to be created) could
  not be written: it is a file, or its nearest existing ancestor is not a
  writable directory. Remote paths (``gs://`` ...) are not checked."""
  if "://" in path:
    return
  path = os.path.abspath(path)
  if os.path.exists(path) and not os.path.isdir(path):
    raise RunError(f"{flag}={path}: exists and is not a directory")
  existing = path
  while not os.path.exists(existing):
    if os.path.lexists(existing):  # a symbolic link to nowhere, or a loop of them
      raise RunError(f"{flag}={path}: {existing} is a broken or looping symbolic link")
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing) or not os.access(existing, os.W_OK):
    raise RunError(f"{flag}={path}: {existing} is not a writable directory")


def check_output_file(path: str, flag: str = "--output", overwrite: bool = False,
                      error=RunError) -> None:
  """Raises ``error`` if file ``path`` could not be written: it is a
  directory, its directory is missing or unwritable, or it exists and
  ``overwrite`` is False."""
  path = os.path.abspath(path)
  if os.path.isdir(path):
    raise error(f"{flag}={path}: is a directory; give a file path")
  directory = os.path.dirname(path)
  if not os.path.isdir(directory):
    raise error(f"{flag}={path}: directory {directory} does not exist")
  if not os.access(directory, os.W_OK):
    raise error(f"{flag}={path}: directory {directory} is not writable")
  if os.path.exists(path) and not overwrite:
    raise error(f"{flag}={path}: already exists; pass --overwrite to replace it")


EVALUATE_LOCK_FILE = ".evaluate.lock"  # held by the evaluate.py process writing an --output_dir
EXPORT_LOCK_FILE = ".export.lock"      # held by the export.py process writing a model's versions


def _refuse_held(handle, flag, directory, holder):
  handle.seek(0)
  pid = handle.read().strip() or "unknown"
  handle.close()
  raise RunError(f"{flag}={directory}: in use by another {holder} process (PID {pid}); "
                 f"wait for it to finish, or use another {flag}")


@contextlib.contextmanager
def directory_lock(directory: str, lock_file: str, flag: str, holder: str):
  """Holds ``directory`` for one process; a second is refused, naming the first.

  An exclusive ``fcntl.flock`` on ``directory/lock_file``: the operating
  system releases it when the holder exits or is killed, so a lock is never
  stale. The file holds the holder's PID, named in the refusal. Remote paths
  (``gs://`` ...) cannot be flock'ed and are not locked.

  Raises:
    RunError: another process holds the lock (``flag`` and ``holder``, e.g.
      "--model_dir" and "train.py", name it).
  """
  if "://" in directory:
    yield
    return
  os.makedirs(directory, exist_ok=True)
  handle = open(os.path.join(directory, lock_file), "a+")
  try:
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
  except BlockingIOError:
    _refuse_held(handle, flag, directory, holder)
  try:
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    yield
  finally:
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


@contextlib.contextmanager
def removed_if_left_empty(directory: str, lock_file: str):
  """Removes ``directory`` again if this block created it and fails before
  anything but ``lock_file`` was written there: a refused command leaves no trace."""
  created = "://" not in directory and not os.path.exists(directory)
  try:
    yield
  except BaseException:
    if created and os.path.isdir(directory) and set(os.listdir(directory)) <= {lock_file}:
      shutil.rmtree(directory, ignore_errors=True)
    raise


def model_dir_lock(model_dir: str):
  """Holds ``model_dir`` for one train.py process (``directory_lock`` on
  ``.train.lock``); a second is refused."""
  return directory_lock(model_dir, LOCK_FILE, "--model_dir", "train.py")


def check_not_busy(model_dir: str) -> None:
  """Refuses, without taking it or writing anything, a ``model_dir`` whose lock
  another process holds (``model_dir_lock`` takes it for the run itself)."""
  path = os.path.join(model_dir, LOCK_FILE)
  if "://" in model_dir or not os.path.exists(path):
    return
  handle = open(path, "r")
  try:
    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
  except BlockingIOError:
    _refuse_held(handle, "--model_dir", model_dir, "train.py")
  fcntl.flock(handle, fcntl.LOCK_UN)
  handle.close()


def resolve_init_from(path: str) -> str:
  """The model.keras that ``--init_from=path`` means: the file itself, or a
  finished run directory's. Raises RunError naming what is missing."""
  if "://" not in path and os.path.isdir(path):
    model = os.path.join(path, "model.keras")
    if not os.path.isfile(model):
      raise RunError(f"--init_from={path}: a directory without model.keras (give a finished "
                     "run's directory or its model.keras)")
    return model
  if "://" not in path and not os.path.isfile(path):
    raise RunError(f"--init_from={path}: no such file (give a finished run's directory or "
                   "its model.keras)")
  return path


def check_tf_config(text: str | None) -> None:
  """Raises RunError, in one line, if ``TF_CONFIG`` (its text) cannot describe
  this process's place in a cluster: missing, not JSON, no cluster or task,
  a task type the cluster lacks, or an index out of range."""
  import json
  if not text:
    raise RunError("--strategy=multi_worker: set TF_CONFIG to this worker's cluster and task "
                   '(e.g. {"cluster": {"worker": ["host1:port", "host2:port"]}, '
                   '"task": {"type": "worker", "index": 0}})')
  try:
    config = json.loads(text)
  except ValueError as error:
    raise RunError(f"TF_CONFIG is not JSON ({error})") from None
  cluster = config.get("cluster") if isinstance(config, dict) else None
  task = config.get("task") if isinstance(config, dict) else None
  if not isinstance(cluster, dict) or not cluster:
    raise RunError("TF_CONFIG has no \"cluster\" (a dict of task type -> list of host:port)")
  if not isinstance(task, dict) or "type" not in task or "index" not in task:
    raise RunError('TF_CONFIG has no "task" with "type" and "index"')
  members = cluster.get(task["type"])
  if not isinstance(members, list):
    raise RunError(f"TF_CONFIG: task type {task['type']!r} is not in the cluster "
                   f"({sorted(cluster)})")
  index = task["index"]
  if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(members):
    raise RunError(f"TF_CONFIG: task index {index!r} out of range for {len(members)} "
                   f"{task['type']} task(s)")
