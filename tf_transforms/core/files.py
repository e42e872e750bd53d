"""Safe writes: every file or directory the project writes is complete or absent.

The one home of temporary-then-rename writes (runs, results, figures, exports,
WAVs). Local paths and ``tf.io.gfile`` ones (``gs://``) alike.
"""

import contextlib
import os
import shutil
import uuid

import tensorflow as tf


@contextlib.contextmanager
def atomic_output(path: str, *, overwrite: bool = True):
  """Yields a temporary path beside ``path``; renames it onto ``path`` when the
  block succeeds and removes it when the block fails, so ``path`` is only ever
  absent, old or complete. Works for files and directories; the temporary
  name ends in ``path``'s own name, so writers that go by the extension
  (``model.save``, ``savefig``) see the right one.

  Args:
    overwrite: replace an existing ``path``; False refuses it (FileExistsError)
      before the block runs.
  """
  if not overwrite and tf.io.gfile.exists(path):
    raise FileExistsError(f"{path}: already exists; pass --overwrite to replace it")
  parent = os.path.dirname(path)
  if parent:
    tf.io.gfile.makedirs(parent)
  # Unique per writer (process and call): two writers never share, or
  # delete, each other's temporary.
  temporary = os.path.join(parent, f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}-"
                                   f"{os.path.basename(path)}")
  try:
    yield temporary
    if tf.io.gfile.isdir(temporary):
      if tf.io.gfile.exists(path):  # written meanwhile by another writer
        raise FileExistsError(f"{path}: written by another process meanwhile; nothing was "
                              "replaced (rerun to write the next one)")
      try:
        tf.io.gfile.rename(temporary, path)  # directories: never replaced
      except tf.errors.OpError as error:
        raise FileExistsError(f"{path}: could not be put in place ({error.message}); "
                              "nothing was replaced") from None
    else:
      tf.io.gfile.rename(temporary, path, overwrite=True)
  except BaseException:
    if tf.io.gfile.isdir(temporary):
      shutil.rmtree(temporary, ignore_errors=True)
    elif tf.io.gfile.exists(temporary):
      tf.io.gfile.remove(temporary)
    raise


def write_text(path: str, text: str, *, overwrite: bool = True) -> None:
  """Writes ``text`` to ``path`` atomically (``atomic_output``)."""
  with atomic_output(path, overwrite=overwrite) as temporary:
    with tf.io.gfile.GFile(temporary, "w") as handle:
      handle.write(text)


@contextlib.contextmanager
def staged_directory(directory: str, manifest: str | None = None):
  """Yields a staging directory beside ``directory``'s contents; when the
  block succeeds, moves every file written there into ``directory`` (same
  relative paths, replacing older files), and when it fails, removes it --
  so ``directory`` holds the previous set of files or the new set, never a
  mix left by a failed run. (Each file lands by rename; the set is replaced
  in the time the renames take, not in one step.)

  Staging folders left by processes that no longer exist (killed) are
  removed first. With ``manifest`` (a file name), the set written is recorded
  there, and files of the previous set that the new one lacks are removed
  once it has landed: a directory holds one set, not two runs' files mixed.
  """
  tf.io.gfile.makedirs(directory)
  _remove_dead_stagings(directory)
  staging = os.path.join(directory, f".tmp-{os.getpid()}-staging")
  if tf.io.gfile.exists(staging):
    tf.io.gfile.rmtree(staging)
  tf.io.gfile.makedirs(staging)
  try:
    yield staging
    written = []
    for folder, _, names in tf.io.gfile.walk(staging):
      relative = os.path.relpath(folder, staging)
      target_folder = os.path.normpath(os.path.join(directory, relative))
      tf.io.gfile.makedirs(target_folder)
      for name in names:
        tf.io.gfile.rename(os.path.join(folder, name), os.path.join(target_folder, name),
                           overwrite=True)
        written.append(os.path.normpath(os.path.join(relative, name)))
    if manifest:
      _replace_manifest(directory, manifest, written)
  finally:
    if tf.io.gfile.exists(staging):
      shutil.rmtree(staging, ignore_errors=True)


def _remove_dead_stagings(directory):
  """Removes ``.tmp-<pid>-staging`` folders in ``directory`` whose process is gone."""
  if "://" in directory:
    return
  for name in os.listdir(directory):
    parts = name.split("-")
    if len(parts) == 3 and parts[0] == ".tmp" and parts[2] == "staging" and parts[1].isdigit():
      try:
        os.kill(int(parts[1]), 0)
      except ProcessLookupError:
        shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
      except PermissionError:  # alive, another user's
        pass


def _replace_manifest(directory, manifest, written):
  """Records ``written`` in ``directory/manifest`` and removes the files the
  previous record lists that ``written`` lacks (and folders they leave empty)."""
  import json
  path = os.path.join(directory, manifest)
  previous = []
  if tf.io.gfile.exists(path):
    try:
      with tf.io.gfile.GFile(path) as handle:
        previous = json.load(handle)["files"]
    except (ValueError, KeyError, TypeError):
      previous = []
  for stale in sorted(set(previous) - set(written)):
    if os.path.isabs(stale) or ".." in stale.split(os.sep):
      continue  # (a record naming a path outside the directory is not trusted)
    target = os.path.join(directory, stale)
    if tf.io.gfile.exists(target) and not tf.io.gfile.isdir(target):
      tf.io.gfile.remove(target)
      folder = os.path.dirname(target)
      if (os.path.normpath(folder) != os.path.normpath(directory)
          and not tf.io.gfile.listdir(folder)):
        tf.io.gfile.rmtree(folder)
  write_text(path, json.dumps({"files": sorted(written)}, indent=1))
