"""Audio files through an exported SavedModel: what ``transform.py`` runs.

Only the SavedModel is used, not the training code. Styles are given by name
(the export's ``styles`` signature lists them); no source style means a
recording of a voice or instrument outside the training styles (for exports
whose ``styles`` signature says ``unknown_source``).

``transform_file`` converts one file; ``transform_files`` a file, a folder
(recursively) or a glob in one process, the model loaded once: every output
location is checked before any work, a bad file is reported by name while
the others are done, and a summary comes at the end. With a segmentation
(``signal/segments.py``), a recording of several notes or words separated by
silences is cut, each segment converted, and the segments joined again.
"""

import dataclasses
import glob
import os
import re
import time

from tf_transforms.core import waveforms
from tf_transforms.core.errors import AudioError, RunError, TransformError
from tf_transforms.data.folder_dataset import AUDIO_EXTENSIONS
from tf_transforms.signal.segments import SEGMENTATIONS
from tf_transforms.training import run_files

MIN_SECONDS = 0.05  # one 50 ms analysis window: anything shorter has no frame to transform
# What --input may name in a folder or glob: the folder dataset's formats and
# NIST SPHERE (TIMIT's).
INPUT_EXTENSIONS = AUDIO_EXTENSIONS + (".sph",)
DEFAULT_OUTPUT_EXTENSION = ".wav"
EXPORT_MAX_SECONDS = 10.0  # exports before 0.12 do not say theirs: export.py's default


def check_output(output_path, overwrite=False):
  """Refuses, before any work, an output that could not be written: a
  directory, a file in a missing or unwritable directory, or an existing file
  without ``overwrite``. Raises TransformError."""
  run_files.check_output_file(output_path, "--output", overwrite, error=TransformError)
  from tf_transforms.signal.audio_files import WRITTEN_FORMATS
  extension = os.path.splitext(output_path)[1].lower()
  if extension not in WRITTEN_FORMATS:
    *others, last = WRITTEN_FORMATS
    raise TransformError(f"--output={output_path}: cannot write "
                         f"{extension or 'a file without an extension'}; give "
                         f"{', '.join(others)} or {last}")


def check_segmentation(segmentation):
  if segmentation not in SEGMENTATIONS:
    raise TransformError(f"--segment={segmentation}: choose one of {', '.join(SEGMENTATIONS)}")


class Converter:
  """An exported SavedModel version directory, loaded once.

  Attributes:
    names: the style names (id i is names[i]).
    unknown_source: whether a source of unknown style is accepted.
    max_samples: the longest input the export takes (16 kHz samples).
  """

  def __init__(self, model_path):
    import tensorflow as tf
    if not tf.io.gfile.exists(os.path.join(model_path, "saved_model.pb")):
      raise TransformError(f"--model={model_path}: not a SavedModel version directory (no "
                           "saved_model.pb; give e.g. exports/tf_transforms/1)")
    self.model_path = model_path
    self._loaded = tf.saved_model.load(model_path)
    styles = self._loaded.signatures["styles"]()
    self.names = [n.decode() for n in styles["names"].numpy()]
    self.unknown_source = bool(styles["unknown_source"].numpy()) if "unknown_source" in styles \
        else False
    seconds = float(styles["max_seconds"].numpy()) if "max_seconds" in styles \
        else EXPORT_MAX_SECONDS
    from tf_transforms.signal.audio_files import DEFAULT_SAMPLE_RATE
    self.sample_rate = DEFAULT_SAMPLE_RATE
    self.max_samples = int(seconds * DEFAULT_SAMPLE_RATE)

  def style_id(self, flag, name):
    """The id of style ``name`` (``flag`` names it in errors); for
    --source_style, None is an unknown source (-1)."""
    if name is None and flag == "--source_style":
      if not self.unknown_source:
        raise TransformError(f"--source_style is needed: {self.model_path} was trained with "
                             f"every source named; its styles are: {', '.join(self.names)}")
      from tf_transforms.core.configs import UNKNOWN_STYLE
      return UNKNOWN_STYLE
    if name not in self.names:
      raise TransformError(f"{flag}={name!r} is not a style of {self.model_path}; its styles "
                           f"are: {', '.join(self.names)}")
    return self.names.index(name)

  def convert(self, waveform, source_id, target_id, where="--input"):
    """One note or word: float [samples] at 16 kHz -> the converted waveform."""
    import numpy as np
    import tensorflow as tf
    try:
      result = self._loaded.signatures["serving_default"](
          waveform=tf.constant(np.asarray(waveform, np.float32)[np.newaxis]),
          source_style=tf.constant([source_id], tf.int32),
          target_style=tf.constant([target_id], tf.int32))
    except tf.errors.InvalidArgumentError as error:  # the export's own checks, e.g. too long
      found = re.search(r"assertion failed: \[([^\]]*)\]", error.message)
      reason = found.group(1) if found else error.message.strip().splitlines()[-1]
      reason = reason.replace("\\'", "'")  # TF escapes quotes in assertion messages
      if "longer than this export's maximum" in reason:
        reason += (f" (the input is {len(waveform)} samples, "
                   f"{len(waveform) / self.sample_rate:.4f} s; the model transforms one note "
                   "or word: --segment=silence cuts a recording of several at its silences, "
                   "or re-export with a larger `export.py --max_seconds`)")
      raise TransformError(f"{where}: {reason}") from None
    return result["waveform"].numpy()[0, :int(result["lengths"].numpy()[0])]

  def convert_segments(self, waveform, source_id, target_id, segmentation, where="--input"):
    """``convert`` per segment of ``waveform`` (``segments.split``), joined
    again (``segments.join``); returns (waveform, segment count)."""
    from tf_transforms.signal import segments
    cuts = segments.split(waveform, self.sample_rate, segmentation)
    if not cuts:
      raise TransformError(f"{where}: no sound above the silence threshold "
                           f"({segments.TOP_DB:g} dB below its peak) to convert")
    too_long = [(a, b) for a, b in cuts if b - a > self.max_samples]
    if too_long:
      start, end = too_long[0]
      raise TransformError(
          f"{where}: the segment at {start / self.sample_rate:.2f}-{end / self.sample_rate:.2f} s "
          f"is longer than this export's maximum of {self.max_samples / self.sample_rate:g} s: "
          "segments are cut at silences (continuous speech is not cut into words)")
    pieces = [self.convert(waveform[a:b], source_id, target_id,
                           f"{where} (segment at {a / self.sample_rate:.2f} s)")
              for a, b in cuts]
    joined = segments.join(pieces, cuts, len(waveform),
                           int(segments.FADE_S * self.sample_rate))
    return joined, len(cuts)


def _read_checked(input_path):
  """The input as 16 kHz mono, refused (TransformError / AudioError) if it is
  too short or outside [-1, 1]."""
  from tf_transforms.signal import audio_files
  waveform = audio_files.read_audio(input_path)
  rate = audio_files.DEFAULT_SAMPLE_RATE
  if len(waveform) < MIN_SECONDS * rate:
    raise TransformError(f"--input={input_path}: {1000 * len(waveform) / rate:.1f} "
                         f"ms of audio; at least {1000 * MIN_SECONDS:.0f} ms (one analysis "
                         "window) is needed")
  problem = waveforms.amplitude_problem(waveform)
  if problem:
    raise TransformError(f"--input={input_path}: {problem}")
  return waveform


def _write(output_path, output, overwrite):
  import numpy as np

  from tf_transforms.signal import audio_files
  peak = float(np.max(np.abs(output))) if output.size else 0.0
  if peak > 1.0:
    output = output / peak
  os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
  audio_files.write_audio(output_path, output, overwrite=overwrite)
  return len(output) / audio_files.DEFAULT_SAMPLE_RATE


def transform_file(model_path, input_path, output_path, source_style, target_style,
                   overwrite=False, segmentation="none"):
  """Reads, transforms and writes one file; returns the output's duration in s.

  Everything that can be checked is checked before inference: the output
  location, the input audio (``audio_files.read_audio``: missing, empty,
  truncated, implausible rate, NaN; ``core.waveforms``: samples outside
  [-1, 1]) and its length (at least one analysis window; at most the
  export's limit, which the SavedModel enforces and names, unless a
  ``segmentation`` cuts it), and the style names. ``source_style`` None: a
  source of unknown style.

  Raises:
    TransformError or AudioError: a user error, in one line.
  """
  check_output(output_path, overwrite)  # before TensorFlow starts up
  check_segmentation(segmentation)
  waveform = _read_checked(input_path)
  converter = Converter(model_path)
  ids = (converter.style_id("--source_style", source_style),
         converter.style_id("--target_style", target_style))
  where = f"--input={input_path}"
  if segmentation == "none":
    output = converter.convert(waveform, *ids, where)
  else:
    output, _ = converter.convert_segments(waveform, *ids, segmentation, where)
  return _write(output_path, output, overwrite)


def list_inputs(pattern) -> tuple:
  """(input files, the folder their relative output paths start from) for
  --input: one file, a folder (its audio files, recursively) or a glob."""
  if os.path.isfile(pattern):
    return [pattern], os.path.dirname(os.path.abspath(pattern))
  if os.path.isdir(pattern):
    found = [os.path.join(folder, name) for folder, _, names in os.walk(pattern)
             for name in names if os.path.splitext(name)[1].lower() in INPUT_EXTENSIONS]
    base = pattern
  else:
    found = [p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p)]
    base = os.path.commonpath([os.path.dirname(os.path.abspath(p)) for p in found]) \
        if found else ""
  if not found:
    raise TransformError(f"--input={pattern}: no such file, and no audio files "
                         f"({', '.join(INPUT_EXTENSIONS)}) in it or matching it")
  return sorted(found), base


def output_paths(inputs, base, output, extension=DEFAULT_OUTPUT_EXTENSION) -> list:
  """Where each input's conversion goes: ``output`` itself for one input
  given as a file with an audio extension, else ``output``/<the input's path
  under ``base``> with ``extension``."""
  from tf_transforms.signal.audio_files import WRITTEN_FORMATS
  if len(inputs) == 1 and os.path.splitext(output)[1].lower() in WRITTEN_FORMATS:
    return [output]
  if os.path.isfile(output):
    raise TransformError(f"--output={output}: is a file; several inputs need a folder")
  return [os.path.join(output, os.path.splitext(os.path.relpath(os.path.abspath(p), base))[0]
                       + extension) for p in inputs]


@dataclasses.dataclass
class Summary:
  """What ``transform_files`` did: converted (input, output, seconds, segments)
  and failed (input, reason) files, and the wall time."""
  converted: list = dataclasses.field(default_factory=list)
  failed: list = dataclasses.field(default_factory=list)
  seconds: float = 0.0

  def line(self) -> str:
    audio = sum(c[2] for c in self.converted)
    total = len(self.converted) + len(self.failed)
    text = (f"converted {len(self.converted)} of {total} files ({audio:.1f} s of audio) in "
            f"{self.seconds:.0f} s")
    if self.failed:
      shown = "; ".join(f"{path} ({reason})" for path, reason in self.failed[:5])
      more = f" and {len(self.failed) - 5} more" if len(self.failed) > 5 else ""
      text += f"; {len(self.failed)} failed: {shown}{more}"
    return text


def transform_files(model_path, input_pattern, output, source_style, target_style,
                    overwrite=False, segmentation="none", extension=DEFAULT_OUTPUT_EXTENSION,
                    progress=print) -> Summary:
  """``transform_file`` for every file --input names (a file, a folder or a
  glob), in one process with the model loaded once.

  Before any work: the inputs are listed, every output location checked
  (outputs that exist are refused, all named, unless ``overwrite``), the
  model loaded and the style names checked. Then each file is converted and
  written; a file that cannot be (unreadable, too long without a
  segmentation, ...) is reported by name and the others are done.
  ``progress`` gets one line per file.

  Raises:
    TransformError: a problem found before the first file was converted.
  """
  check_segmentation(segmentation)
  inputs, base = list_inputs(input_pattern)
  outputs = output_paths(inputs, base, output, extension)
  if len(inputs) == 1:
    check_output(outputs[0], overwrite)
  else:
    from tf_transforms.signal.audio_files import WRITTEN_FORMATS
    if extension not in WRITTEN_FORMATS:
      raise TransformError(f"--output_extension={extension}: give one of "
                           f"{', '.join(WRITTEN_FORMATS)}")
    existing = [p for p in outputs if os.path.exists(p)]
    if existing and not overwrite:
      shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more"
                                         if len(existing) > 5 else "")
      raise TransformError(f"--output={output}: {len(existing)} of the {len(outputs)} outputs "
                           f"exist already: {shown}; pass --overwrite to replace them")
    try:
      run_files.check_writable_directory(output, "--output")
    except RunError as error:
      raise TransformError(str(error)) from None
  converter = Converter(model_path)
  ids = (converter.style_id("--source_style", source_style),
         converter.style_id("--target_style", target_style))
  summary, started = Summary(), time.monotonic()
  for number, (input_path, output_path) in enumerate(zip(inputs, outputs), start=1):
    where = f"--input={input_path}" if len(inputs) == 1 else input_path
    try:
      waveform = _read_checked(input_path)
      if segmentation == "none":
        output_wave, count = converter.convert(waveform, *ids, where), 1
      else:
        output_wave, count = converter.convert_segments(waveform, *ids, segmentation, where)
      seconds = _write(output_path, output_wave, overwrite)
    except (AudioError, TransformError) as error:
      if len(inputs) == 1:
        raise
      reason = str(error)
      for prefix in (f"{where}: ", f"--input={input_path}: ", f"{input_path}: "):
        reason = reason.removeprefix(prefix)
      summary.failed.append((input_path, reason))
      progress(f"[{number}/{len(inputs)}] {input_path}: FAILED: {reason}")
      continue
    summary.converted.append((input_path, output_path, seconds, count))
    progress(f"[{number}/{len(inputs)}] {input_path} -> {output_path} ({seconds:.2f} s"
             + (f", {count} segments" if count > 1 else "") + ")")
  summary.seconds = time.monotonic() - started
  return summary
