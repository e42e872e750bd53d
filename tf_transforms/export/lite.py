"""A checked wrapper around an exported TFLite file.

TFLite has no error ops, so the file itself cannot refuse a bad request: a
NaN sample comes back as silence, an out-of-range style id as garbage. This
wrapper checks, before invoking the interpreter, what the SavedModel's
signatures check in the graph (``saved_model.TransformModule``): rank, at least
one analysis window and not too long an input, finite values in [-1, 1]
(``core.waveforms``), the mel count, and style names or ids in range.
Failures raise ``LiteError`` naming the input and the problem.

One instance may be called from any number of threads: a TFLite interpreter
is not thread-safe, so each calling thread gets an interpreter of its own,
made on its first call: on 2 cores, four threads so serve more requests per
second than one interpreter whose calls take turns behind a lock
(``bench/lite_threads.py``; docs/export.md); each interpreter holds its own
copy of the model's buffers.

    lite = LiteTransform("exports/tf_transforms/1.float32.tflite",
                         styles="exports/tf_transforms/1/assets.extra/styles.json")
    waveform = lite.transform(wave, "keyboard_acoustic_000", "flute_acoustic_073")
    waveform = lite.transform(my_recording, None, "flute_acoustic_073")  # unknown source

Only numpy and ``ai_edge_litert`` are needed (no TensorFlow, no project
training code): what an app would ship.
"""

import json
import threading

import numpy as np

from tf_transforms.core import waveforms
from tf_transforms.core.configs import UNKNOWN_STYLE, AudioConfig
from tf_transforms.core.errors import LiteError

# The front-end the TFLite file computes (``export_tflite`` writes the run's
# AudioConfig into the graph; a run that changed it needs it here too).
FRONT_END = AudioConfig()
DEFAULT_MAX_SECONDS = 10.0  # the SavedModel's default limit (export.DEFAULT_MAX_SECONDS)


def _load_styles(styles):
  """(style names, unknown_source or None) from a list, or from a styles.json
  path (an export's says whether source style -1 is accepted; a run's does not)."""
  if isinstance(styles, str):
    try:
      with open(styles) as handle:
        stored = json.load(handle)
      return list(stored["styles"]), stored.get("unknown_source")
    except (OSError, ValueError, KeyError, TypeError) as error:
      raise LiteError(f"styles={styles}: cannot read a styles.json ({error})") from None
  return list(styles), None


class LiteTransform:
  """Validating runner for both signatures of an ``saved_model.export_tflite`` file.

  Args:
    model_path: the .tflite file.
    styles: style names, id i = names[i]: a list, or the path of the
      export's ``assets.extra/styles.json`` (or the run's).
    unknown_source: whether the model converts sources of unknown style
      (``source_style=None``); None: as the export's styles.json says (False
      without it). The SavedModel's ``styles`` signature says it too.
    max_seconds: longest input accepted (the SavedModel's default, 10 s).
    num_threads: interpreter threads.
    audio_config: the run's front-end (``FRONT_END``, the paper's, unless the
      run changed it); the mel count is read from the file itself.
  """

  def __init__(self, model_path, styles, max_seconds=DEFAULT_MAX_SECONDS, num_threads=2,
               audio_config=FRONT_END, unknown_source=None):
    from ai_edge_litert.interpreter import Interpreter
    if not max_seconds > 0:
      raise LiteError(f"max_seconds must be > 0. Received {max_seconds}")
    self.styles, stored = _load_styles(styles)
    self.unknown_source = bool(stored if unknown_source is None else unknown_source)
    if not self.styles:
      raise LiteError("styles: the list of style names is empty")
    self.sample_rate = audio_config.sample_rate
    self.min_samples = audio_config.frame_length   # one analysis window
    self.max_samples = int(max_seconds * self.sample_rate)
    self.max_frames = int(audio_config.num_frames(self.max_samples))
    self._make_interpreter = lambda: Interpreter(model_path=model_path, num_threads=num_threads)
    self._local = threading.local()  # each thread's own interpreter
    try:
      self._local.interpreter = self._make_interpreter()
    except (ValueError, RuntimeError) as error:
      raise LiteError(f"{model_path}: not a loadable TFLite file ({error})") from None
    signatures = set(self._local.interpreter.get_signature_list())
    if signatures != {"serving_default", "transform_log_mel"}:
      raise LiteError(f"{model_path}: not a tf_transforms export (signatures {sorted(signatures)})")
    inputs = self._local.interpreter.get_signature_runner("transform_log_mel").get_input_details()
    self.num_mel_bins = int(inputs["log_mel"]["shape_signature"][-1])

  def style_id(self, style, name="style"):
    """An id from a name or an int, checked against the vocabulary; for
    ``name="source_style"``, None is an unknown source (``UNKNOWN_STYLE``)."""
    if style is None and name == "source_style":
      if not self.unknown_source:
        raise LiteError("source_style is needed: this model was trained with every source "
                        "named (unknown_source_share 0), so it cannot take an unknown one")
      return UNKNOWN_STYLE
    if isinstance(style, str):
      if style not in self.styles:
        raise LiteError(f"{name}={style!r} is not a style of this model; its styles are: "
                        f"{', '.join(self.styles)}")
      return self.styles.index(style)
    if isinstance(style, bool) or not isinstance(style, (int, np.integer)):
      raise LiteError(f"{name} must be a style name or an int id. Received {style!r}")
    if not 0 <= int(style) < len(self.styles):
      raise LiteError(f"{name} id {style} out of range: this model knows {len(self.styles)} "
                      f"styles, ids 0..{len(self.styles) - 1}")
    return int(style)

  def _styles(self, source_style, target_style):
    return (np.array([self.style_id(source_style, "source_style")], np.int32),
            np.array([self.style_id(target_style, "target_style")], np.int32))

  def transform(self, waveform, source_style, target_style):
    """Waveform float [samples] at the front-end's rate (16 kHz) -> transformed
    waveform [samples'].

    ``source_style`` None: the recording's voice or instrument is none of the
    model's styles (``unknown_source`` models only).

    Runs the ``serving_default`` signature (front-end, model, mel inverse,
    Griffin-Lim, de-emphasis) and trims the output to its valid length.
    """
    waveform = np.asarray(waveform)
    if waveform.ndim == 2 and waveform.shape[0] == 1:
      waveform = waveform[0]
    if waveform.ndim != 1:
      raise LiteError(f"waveform must be one mono clip, shape [samples] or [1, samples]. "
                      f"Received shape {waveform.shape}")
    if not np.issubdtype(waveform.dtype, np.floating):
      raise LiteError(f"waveform must be floating point in [-1, 1]. Received {waveform.dtype}")
    if waveform.size < self.min_samples:
      raise LiteError(f"waveform has {waveform.size} samples; at least {self.min_samples} "
                      f"(one analysis window at {self.sample_rate} Hz) are needed")
    if waveform.size > self.max_samples:
      raise LiteError(f"waveform is {waveform.size} samples ({waveform.size / self.sample_rate:.4f}"
                      f" s); the limit is {self.max_samples} ({self.max_samples / self.sample_rate:g}"
                      " s, max_seconds)")
    if not np.all(np.isfinite(waveform)):
      raise LiteError(f"waveform contains {int(np.sum(~np.isfinite(waveform)))} NaN or Inf "
                      "samples")
    problem = waveforms.amplitude_problem(waveform)
    if problem:
      raise LiteError(f"waveform {problem}")
    source, target = self._styles(source_style, target_style)
    out = self._invoke("serving_default", waveform=waveform.astype(np.float32)[np.newaxis],
                       source_style=source, target_style=target)
    return out["waveform"][0, :int(out["lengths"][0])]

  def _invoke(self, signature, **inputs):
    """Runs ``signature`` on ``inputs`` with this thread's interpreter; returns
    copies of its outputs (the interpreter reuses its buffers on the next call)."""
    interpreter = getattr(self._local, "interpreter", None)
    if interpreter is None:
      interpreter = self._local.interpreter = self._make_interpreter()
    runner = interpreter.get_signature_runner(signature)
    return {name: np.array(value) for name, value in runner(**inputs).items()}

  def transform_log_mel(self, log_mel, source_style, target_style):
    """Normalised log-mel [frames, mels] -> (log-mel [frames', mels], valid frames)."""
    log_mel = np.asarray(log_mel)
    mels = self.num_mel_bins
    if log_mel.ndim == 3 and log_mel.shape[0] == 1:
      log_mel = log_mel[0]
    if log_mel.ndim != 2 or log_mel.shape[1] != mels:
      raise LiteError(f"log_mel must have shape [frames, {mels}] (or [1, frames, {mels}]). "
                      f"Received shape {log_mel.shape}")
    if not 1 <= log_mel.shape[0] <= self.max_frames:
      raise LiteError(f"log_mel has {log_mel.shape[0]} frames; 1..{self.max_frames} accepted")
    if not np.all(np.isfinite(log_mel)):
      raise LiteError("log_mel contains NaN or Inf")
    if log_mel.min() < waveforms.MIN_NORMALISED_LOG_MEL:
      raise LiteError(f"log_mel has values down to {log_mel.min():.2f}, below -1, the normalised "
                      "floor: give normalised log-mel, not natural-log mel power")
    source, target = self._styles(source_style, target_style)
    out = self._invoke("transform_log_mel", log_mel=log_mel.astype(np.float32)[np.newaxis],
                       source_style=source, target_style=target)
    return out["log_mel"][0], int(out["lengths"][0])
