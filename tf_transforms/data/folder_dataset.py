"""A folder of the user's own recordings as a dataset: what it holds, checked.

Two layouts (``describe``):

  DIR/<style>/<content>.<wav|flac|ogg|mp3>     one recording per style and content
  DIR/manifest.csv                              columns path, style, content
                                                (paths relative to DIR)

and an optional ``DIR/dataset.json`` that says once what the content is, so
that the right judges apply::

  {"content": "pitch", "pitch_unit": "midi"}    notes: MIDI numbers (60) or,
                                                with "hz", frequencies (261.6)
  {"content": "word"}                           words (the recogniser judges them)
  {"content": "key"}                            anything else (default): MCD and
                                                style only

A *pair* is two recordings of the same content in two styles. ``describe``
refuses, in one line naming what was wrong, before anything is read or
written: a missing folder, a bad dataset.json or manifest, no recordings,
unreadable files (their headers, named), duplicate (style, content) keys, a
single style, content recorded in only one style (unpaired: counted and
listed), and too few paired contents to hold out a validation and a test
split. Any sample rate and channel count is accepted (read as 16 kHz mono,
as every builder writes).

The folder's *fingerprint* (its files' names, sizes and modification times,
and dataset.json) names the prepared TFDS dataset, so that two folders --
or one folder after a change -- never share a prepared copy.
"""

import csv
import dataclasses
import hashlib
import json
import math
import os
import re

import soundfile

from tf_transforms.core.errors import DatasetError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")
CONTENT_KINDS = ("pitch", "word", "key")
PITCH_UNITS = ("midi", "hz")
DESCRIPTION_FILE = "dataset.json"
MANIFEST_FILE = "manifest.csv"
MANIFEST_COLUMNS = ("path", "style", "content")
# Paired contents needed to hold out one validation and one test content
# (``pipeline.split_content`` with every=6 sends content 0 to valid, 3 to test).
MIN_PAIRED_CONTENTS = 4
SHOWN = 5  # names listed in an error before "and N more"


@dataclasses.dataclass(frozen=True)
class Recording:
  """One recording: its absolute ``path``, ``style``, and ``content`` key
  (an int MIDI pitch for notes, a lower-case word for words, else a str)."""
  path: str
  style: str
  content: object


@dataclasses.dataclass(frozen=True)
class FolderDataset:
  """A checked folder.

  Attributes:
    root: the folder (absolute).
    kind: "pitch", "word" or "key" (``CONTENT_KINDS``).
    recordings: tuple of Recording, sorted by (style, content).
    fingerprint: 12 hex digits naming this folder's content.
  """
  root: str
  kind: str
  recordings: tuple
  fingerprint: str

  @property
  def styles(self) -> list:
    return sorted({r.style for r in self.recordings})

  @property
  def config_name(self) -> str:
    """The TFDS config name of this folder's prepared dataset."""
    base = re.sub(r"[^a-z0-9]+", "_", os.path.basename(self.root).lower()).strip("_")
    return f"{base or 'recordings'}_{self.fingerprint}"


def _listed(names, limit=SHOWN) -> str:
  names = list(names)
  shown = ", ".join(str(n) for n in names[:limit])
  return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def read_description(root) -> tuple:
  """(kind, pitch unit) from ``root``/dataset.json; ("key", "midi") without one."""
  path = os.path.join(root, DESCRIPTION_FILE)
  if not os.path.exists(path):
    return "key", "midi"
  try:
    with open(path, encoding="utf-8") as handle:
      description = json.load(handle)
  except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
    raise DatasetError(f"{path}: not a readable JSON file ({error})") from None
  if not isinstance(description, dict):
    raise DatasetError(f"{path}: expected a JSON object such as {{\"content\": \"pitch\"}}")
  unknown = sorted(set(description) - {"content", "pitch_unit"})
  if unknown:
    raise DatasetError(f"{path}: unknown keys {unknown}; it takes \"content\" "
                       f"({', '.join(CONTENT_KINDS)}) and \"pitch_unit\" ({', '.join(PITCH_UNITS)})")
  kind = description.get("content", "key")
  unit = description.get("pitch_unit", "midi")
  if kind not in CONTENT_KINDS:
    raise DatasetError(f"{path}: \"content\" must be one of {', '.join(CONTENT_KINDS)}. "
                       f"Received {kind!r}")
  if unit not in PITCH_UNITS:
    raise DatasetError(f"{path}: \"pitch_unit\" must be one of {', '.join(PITCH_UNITS)}. "
                       f"Received {unit!r}")
  if "pitch_unit" in description and kind != "pitch":
    raise DatasetError(f"{path}: \"pitch_unit\" applies to \"content\": \"pitch\" only")
  return kind, unit


def content_key(text: str, kind: str, unit: str, where: str):
  """The content key a file name (or manifest cell) ``text`` stands for.

  Raises:
    DatasetError: a pitch that is not a number, or outside MIDI 0-127.
  """
  text = text.strip()
  if not text:
    raise DatasetError(f"{where}: empty content")
  if kind == "word":
    return text.lower()
  if kind == "key":
    return text
  try:
    value = float(text)
  except ValueError:
    raise DatasetError(f"{where}: content {text!r} is not a pitch "
                       f"({'a MIDI number such as 60' if unit == 'midi' else 'a frequency in Hz'}"
                       f"; {DESCRIPTION_FILE} declares \"content\": \"pitch\")") from None
  if unit == "hz":
    if value <= 0:
      raise DatasetError(f"{where}: frequency {text} Hz must be positive")
    value = 69 + 12 * math.log2(value / 440.0)
  midi = round(value)
  if not 0 <= midi <= 127:
    raise DatasetError(f"{where}: pitch {text} is outside MIDI 0-127")
  return int(midi)


def _from_tree(root, kind, unit) -> list:
  recordings, ignored = [], []
  for style in sorted(os.listdir(root)):
    folder = os.path.join(root, style)
    if not os.path.isdir(folder) or style.startswith("."):
      continue
    for name in sorted(os.listdir(folder)):
      path = os.path.join(folder, name)
      stem, extension = os.path.splitext(name)
      if name.startswith(".") or os.path.isdir(path):
        continue
      if extension.lower() not in AUDIO_EXTENSIONS:
        ignored.append(os.path.join(style, name))
        continue
      recordings.append(Recording(path, style,
                                  content_key(stem, kind, unit, os.path.join(root, style, name))))
  if not recordings:
    raise DatasetError(
        f"--manual_dir={root}: no recordings found: expected <style>/<content>"
        f"{'|'.join(AUDIO_EXTENSIONS)} (e.g. alice/hello.wav) or a {MANIFEST_FILE}"
        + (f"; ignored: {_listed(ignored)}" if ignored else ""))
  return recordings


def _from_manifest(root, kind, unit) -> list:
  path = os.path.join(root, MANIFEST_FILE)
  try:
    with open(path, newline="", encoding="utf-8") as handle:
      reader = csv.DictReader(handle)
      rows = list(reader)
      columns = tuple(reader.fieldnames or ())
  except (OSError, UnicodeDecodeError, csv.Error) as error:
    raise DatasetError(f"{path}: cannot read it as CSV ({error})") from None
  missing = [c for c in MANIFEST_COLUMNS if c not in columns]
  if not rows or missing:
    raise DatasetError(f"{path}: needs a header row with the columns "
                       f"{', '.join(MANIFEST_COLUMNS)} and one row per recording"
                       + (f" (missing: {', '.join(missing)})" if rows else " (it has no rows)"))
  recordings = []
  for line, row in enumerate(rows, start=2):
    where = f"{path}:{line}"
    relative, style = (row["path"] or "").strip(), (row["style"] or "").strip()
    if not relative or not style:
      raise DatasetError(f"{where}: empty path or style")
    if os.path.splitext(relative)[1].lower() not in AUDIO_EXTENSIONS:
      raise DatasetError(f"{where}: {relative}: not one of {', '.join(AUDIO_EXTENSIONS)}")
    recordings.append(Recording(os.path.normpath(os.path.join(root, relative)), style,
                                content_key(row["content"] or "", kind, unit, where)))
  return recordings


def _unreadable(recordings) -> list:
  """'path (reason)' for each recording whose header soundfile cannot read."""
  bad = []
  for recording in recordings:
    try:
      info = soundfile.info(recording.path)
      if info.frames == 0:
        bad.append(f"{recording.path} (no audio samples)")
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
      reason = getattr(error, "error_string", None) or str(error)
      bad.append(f"{recording.path} ({' '.join(reason.split())[:80]})")
  return bad


def _fingerprint(root, recordings) -> str:
  digest = hashlib.sha1()
  for name in (DESCRIPTION_FILE, MANIFEST_FILE):
    path = os.path.join(root, name)
    if os.path.exists(path):
      with open(path, "rb") as handle:
        digest.update(name.encode() + b"\0" + handle.read())
  for recording in recordings:
    stat = os.stat(recording.path)
    digest.update(json.dumps([os.path.relpath(recording.path, root), recording.style,
                              str(recording.content), stat.st_size, stat.st_mtime_ns]).encode())
  return digest.hexdigest()[:12]


def describe(root) -> FolderDataset:
  """Scans and checks the folder ``root`` (see the module docstring).

  Raises:
    DatasetError: one line naming the folder or file and what was wrong.
  """
  if not root:
    raise DatasetError("--dataset=folder needs --manual_dir=DIR, a folder of "
                       "<style>/<content>.wav recordings (README, 'Your own recordings')")
  root = os.path.abspath(os.fspath(root))
  if not os.path.isdir(root):
    raise DatasetError(f"--manual_dir={root}: no such folder")
  kind, unit = read_description(root)
  use_manifest = os.path.exists(os.path.join(root, MANIFEST_FILE))
  recordings = (_from_manifest if use_manifest else _from_tree)(root, kind, unit)
  missing = [r.path for r in recordings if not os.path.isfile(r.path)]
  if missing:
    raise DatasetError(f"{os.path.join(root, MANIFEST_FILE)}: {len(missing)} listed files do "
                       f"not exist: {_listed(missing)}")
  seen, duplicates = {}, []
  for recording in recordings:
    key = (recording.style, recording.content)
    if key in seen:
      duplicates.append(f"{os.path.relpath(recording.path, root)} = "
                        f"{os.path.relpath(seen[key], root)}")
    seen.setdefault(key, recording.path)
  if duplicates:
    raise DatasetError(f"--manual_dir={root}: {len(duplicates)} recordings repeat a style and "
                       f"content another one has (one recording per style and content): "
                       f"{_listed(duplicates)}")
  bad = _unreadable(recordings)
  if bad:
    raise DatasetError(f"--manual_dir={root}: {len(bad)} of {len(recordings)} files cannot be "
                       f"read as audio: {_listed(bad)}")
  styles = sorted({r.style for r in recordings})
  if len(styles) < 2:
    raise DatasetError(f"--manual_dir={root}: one style ({styles[0]!r}); a conversion needs "
                       "recordings of the same contents in at least two styles")
  by_content = {}
  for recording in recordings:
    by_content.setdefault(recording.content, set()).add(recording.style)
  unpaired = sorted((c for c, s in by_content.items() if len(s) < 2), key=str)
  if unpaired:
    alone = [f"{c!r} ({next(iter(by_content[c]))})" for c in unpaired]
    raise DatasetError(f"--manual_dir={root}: {len(unpaired)} of {len(by_content)} contents are "
                       f"recorded in one style only (unpaired): {_listed(alone)}; record them "
                       "in another style too, or move them out of the folder")
  if len(by_content) < MIN_PAIRED_CONTENTS:
    raise DatasetError(
        f"--manual_dir={root}: too little data: {len(by_content)} paired contents; holding out "
        f"a validation and a test content needs at least {MIN_PAIRED_CONTENTS} (1 in 6 goes to "
        "each; a dozen or more leaves something to learn from)")
  recordings = tuple(sorted(recordings, key=lambda r: (r.style, str(r.content), r.path)))
  return FolderDataset(root, kind, recordings, _fingerprint(root, recordings))
