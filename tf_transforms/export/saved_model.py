"""SavedModel export for TF Serving and TF Hub: audio in, audio out, all in-graph.

``export_saved_model`` writes ``<export_dir>/<name>/<version>/`` (TF Serving's
layout) holding a SavedModel whose signatures need none of this project's
Python code:

  serving_default    waveform float32 [batch, samples] at 16 kHz, source_style and
                     target_style int32 [batch] -> waveform [batch, samples]
                     (front-end, model, mel inverse, Griffin-Lim, de-emphasis),
                     lengths int32 [batch] (valid output samples), log_mel.
  transform_log_mel  normalised log-mel [batch, frames, mels], lengths, styles ->
                     log_mel, lengths (frames).
  styles             -> names string [num_styles]: id i is names[i] (also in
                     assets.extra/styles.json), unknown_source bool: whether
                     source_style may be -1 (``UNKNOWN_STYLE``), a recording of a
                     voice or instrument outside the training set (models
                     trained with ``unknown_source_share`` > 0), max_seconds
                     float: the longest waveform accepted.

Bad requests fail with InvalidArgumentError naming the input and the problem:
wrong rank, an empty batch, empty or too long a waveform or log_mel (the
frame cap follows ``max_seconds``), a wrong mel count, NaN/Inf values,
lengths outside 1..frames, a style id out of range (-1 for the source of a
model that was not trained for unknown sources), or style / lengths /
batch sizes that disagree. The TFLite file has no error ops: ``lite.py``
checks the same before invoking it.
"""

import dataclasses
import json
import os
import tempfile

import keras
import tensorflow as tf

from tf_transforms.core import waveforms
from tf_transforms.core.configs import UNKNOWN_STYLE
from tf_transforms.core.errors import RunError
from tf_transforms.core.files import atomic_output, write_text
from tf_transforms.signal import melspec
from tf_transforms.training.run import load_run
from tf_transforms.training.run_files import check_writable_directory

DEFAULT_MAX_SECONDS = 10.0


@dataclasses.dataclass(frozen=True)
class Vocoder:
  """The exported graphs' Griffin-Lim (``vocoding.griffin_lim``).

  The default, 28 iterations on the half-size FFT grid and then 6 on the
  full one, reaches the spectral convergence of evaluate.py's 32 full-grid
  iterations (equal on notes, better on words) in 0.75x LiteRT's time
  (bench/griffin_lim_grids.py; docs/export.md, "Speed"). ``Vocoder(32, 0)`` computes
  what evaluate.py's vocoder does. The exported graphs write the loops out
  (``unroll=True``: the same ops, less LiteRT time: bench/tflite.py).

  Attributes:
    iterations: full-grid iterations, >= 1.
    coarse_iterations: half-grid iterations run first, >= 0.
  """

  iterations: int = 6
  coarse_iterations: int = 28

  def __post_init__(self):
    if self.iterations < 1:
      raise ValueError(f"griffin_lim_iters must be >= 1. Received {self.iterations}")
    if self.coarse_iterations < 0:
      raise ValueError(f"griffin_lim_coarse_iters must be >= 0. "
                       f"Received {self.coarse_iterations}")

  @classmethod
  def from_flags(cls, iterations=None, coarse_iterations=None):
    """The default, with the values that are not None replaced."""
    default = cls()
    return cls(default.iterations if iterations is None else int(iterations),
               default.coarse_iterations if coarse_iterations is None
               else int(coarse_iterations))


class TransformModule:
  """The exported endpoints around a trained AudioTransformModel.

  Written out with ``keras.export.ExportArchive``, which records every Keras
  variable in the SavedModel's saver, so that session-based loaders (TF
  Serving, ``saved_model_cli run``) restore them too -- a plain tf.Module
  holding the model is enough for ``tf.saved_model.load`` but not for those.
  """

  def __init__(self, model, audio_config, style_names, fixed_length,
               max_seconds=DEFAULT_MAX_SECONDS, vocoder: Vocoder = Vocoder(),
               unknown_source=False):
    self.model = model
    self._unknown_source = bool(unknown_source)
    self._audio_config = audio_config
    self._vocoder = vocoder
    self._style_names = list(style_names)
    self._fixed_length = fixed_length
    self._max_samples = int(max_seconds * audio_config.sample_rate)
    self._max_frames = int(audio_config.num_frames(self._max_samples))
    self._max_seconds = max_seconds

  def endpoints(self):
    """{signature name: (function, input signature)}."""
    return {
        # Any rank is accepted so that a wrong rank reaches the explicit check
        # in _transform / _transform_log_mel (a [None, None] placeholder makes TF assume rank 2 and
        # fail later with an unhelpful slicing error).
        "serving_default": (self._transform, [
            tf.TensorSpec(None, tf.float32, name="waveform"),
            tf.TensorSpec([None], tf.int32, name="source_style"),
            tf.TensorSpec([None], tf.int32, name="target_style")]),
        "transform_log_mel": (self._transform_log_mel, [
            tf.TensorSpec(None, tf.float32, name="log_mel"),
            tf.TensorSpec([None], tf.int32, name="lengths"),
            tf.TensorSpec([None], tf.int32, name="source_style"),
            tf.TensorSpec([None], tf.int32, name="target_style")]),
        "styles": (self._styles, []),
    }

  def _check_styles(self, batch, source_style, target_style):
    count = len(self._style_names)
    checks = []
    for name, ids in (("source_style", source_style), ("target_style", target_style)):
      if name == "source_style" and self._unknown_source:
        lowest = tf.debugging.assert_greater_equal(ids, UNKNOWN_STYLE, message=(
            f"source_style ids must be >= {UNKNOWN_STYLE} ({UNKNOWN_STYLE}: a source outside "
            "the training styles)"))
      else:
        lowest = tf.debugging.assert_non_negative(ids, message=(
            f"{name} ids must be >= 0" + (" (this model was trained with every source named: "
                                          "it cannot take an unknown source)"
                                          if name == "source_style" else "")))
      checks += [
          tf.debugging.assert_equal(tf.shape(ids)[0], batch, message=(
              f"{name} needs one id per example of the batch")),
          lowest,
          tf.debugging.assert_less(ids, count, message=(
              f"{name} id out of range: this model knows {count} styles, ids 0..{count - 1} "
              "(the `styles` signature names them)")),
      ]
    return checks

  def _generate(self, log_mel, lengths, source_style, target_style):
    frames = tf.shape(log_mel)[1]
    return self.model.generate(log_mel, lengths, source_style, target_style,
                               num_frames=frames if self._fixed_length else None,
                               return_alignments=False)

  def audio_transform(self, waveform, source_style, target_style):
    """Waveform [batch, samples] -> dict of waveform, lengths (samples), log_mel.

    No input checks: the TFLite export uses this as it is (TFLite has no
    error ops); the SavedModel signature wraps it in ``_transform``.
    """
    config = self._audio_config
    log_mel = melspec.normalize_log_spectrogram(melspec.log_mel_spectrogram(waveform, config),
                                              config)
    batch, frames = tf.shape(log_mel)[0], tf.shape(log_mel)[1]
    outputs = self._generate(log_mel, tf.fill([batch], frames), source_style, target_style)
    samples = tf.shape(waveform)[1] if self._fixed_length else None
    result = self.model.to_audio(outputs, config, length=samples,
                                 iterations=self._vocoder.iterations,
                                 coarse_iterations=self._vocoder.coarse_iterations,
                                 unroll=True)
    lengths = (tf.fill([batch], samples) if self._fixed_length else
               tf.maximum(outputs["lengths"] - 1, 0) * config.frame_step)
    return {"waveform": result, "lengths": lengths, "log_mel": outputs["frames"]}

  def static_audio_transform(self, waveform, samples, source_style, target_style):
    """``audio_transform`` behind static shapes, for runtimes that cannot
    resize inputs (LiteRT.js): waveform [1, max samples] of which the first
    ``samples[0]`` are the clip (the rest is ignored, not transformed) ->
    ``waveform`` [1, ``max_output_samples``] zero-padded, ``lengths`` [1].
    The computation runs on the clip alone, so the cost follows its length."""
    clip = waveform[:, :samples[0]]
    outputs = self.audio_transform(clip, source_style, target_style)
    size = self.max_output_samples
    result = outputs["waveform"][:, :size]
    result = tf.pad(result, [[0, 0], [0, size - tf.shape(result)[1]]])
    return {"waveform": tf.reshape(result, [1, size]),
            "lengths": tf.reshape(tf.minimum(outputs["lengths"], size), [1])}

  @property
  def max_samples(self) -> int:
    """The longest input waveform this export accepts (``max_seconds``)."""
    return self._max_samples

  @property
  def max_output_samples(self) -> int:
    """The longest waveform the model can return for this export's longest
    input: the input's length for fixed-length notes, else the decoder's cap."""
    if self._fixed_length:
      return self._max_samples
    frames = self.model.config.max_decoder_steps * self.model.config.reduction_factor
    return max(self._max_samples, frames * self._audio_config.frame_step)

  def log_mel_transform(self, log_mel, source_style, target_style):
    """Normalised log-mel [batch, frames, mels] (all frames valid) -> log_mel, lengths."""
    lengths = tf.fill([tf.shape(log_mel)[0]], tf.shape(log_mel)[1])
    outputs = self._generate(log_mel, lengths, source_style, target_style)
    return {"log_mel": outputs["frames"], "lengths": outputs["lengths"]}

  def _transform(self, waveform, source_style, target_style):
    rank_check = tf.debugging.assert_equal(tf.rank(waveform), 2, message=(
        "waveform must have rank 2: float32 [batch, samples] at 16 kHz"))
    with tf.control_dependencies([rank_check]):
      waveform = tf.reshape(waveform, tf.stack([tf.shape(waveform)[0], -1]))
    waveform = tf.ensure_shape(waveform, [None, None])  # [batch, samples]
    window = self._audio_config.frame_length
    checks = [
        tf.debugging.assert_positive(tf.shape(waveform)[0], message=(
            "waveform batch is empty: give at least one example")),
        tf.debugging.assert_positive(tf.shape(waveform)[1], message="waveform is empty"),
        tf.debugging.assert_all_finite(waveform, "waveform contains NaN or Inf"),
    ] + self._check_styles(tf.shape(waveform)[0], source_style, target_style)
    with tf.control_dependencies(checks):  # (these first: each failure names its own cause)
      checks = [
          tf.debugging.assert_greater_equal(tf.shape(waveform)[1], window, message=(
              f"waveform shorter than one analysis window ({window} samples at "
              f"{self._audio_config.sample_rate} Hz)")),
          tf.debugging.assert_less_equal(tf.shape(waveform)[1], self._max_samples, message=(
              f"waveform longer than this export's maximum of {self._max_seconds:g} s")),
          tf.debugging.assert_less_equal(
              tf.reduce_max(tf.abs(waveform)), waveforms.MAX_MAGNITUDE, message=(
                  "waveform samples must be in [-1, 1] (tolerance "
                  f"±{waveforms.MAX_MAGNITUDE:g}); integer samples given as floats must be "
                  "divided by 32768")),
          tf.debugging.assert_positive(tf.reduce_max(tf.abs(waveform), axis=1), message=(
              "waveform example is digital silence (every sample 0): there is nothing to "
              "transform")),
      ]
    with tf.control_dependencies(checks):  # every input: no op may read one unchecked
      waveform, source_style, target_style = (
          tf.identity(waveform), tf.identity(source_style), tf.identity(target_style))
    return self.audio_transform(waveform, source_style, target_style)

  def _transform_log_mel(self, log_mel, lengths, source_style, target_style):
    mels = self._audio_config.num_mel_bins
    rank_check = tf.debugging.assert_equal(tf.rank(log_mel), 3, message=(
        f"log_mel must have rank 3: float32 [batch, frames, {mels}] normalised log-mel"))
    with tf.control_dependencies([rank_check]):
      log_mel = tf.reshape(log_mel, tf.shape(log_mel)[:3])
    mel_check = tf.debugging.assert_equal(tf.shape(log_mel)[2], mels, message=(
        f"log_mel must have {mels} mel bands per frame"))
    with tf.control_dependencies([mel_check]):
      log_mel = tf.ensure_shape(tf.reshape(log_mel, tf.stack(
          [tf.shape(log_mel)[0], tf.shape(log_mel)[1], mels])), [None, None, mels])
    batch, frames = tf.shape(log_mel)[0], tf.shape(log_mel)[1]
    checks = [
        tf.debugging.assert_positive(batch, message=(
            "log_mel batch is empty: give at least one example")),
        tf.debugging.assert_positive(frames, message="log_mel is empty"),
        tf.debugging.assert_less_equal(frames, self._max_frames, message=(
            f"log_mel longer than this export's maximum of {self._max_frames} frames "
            f"({self._max_seconds:g} s)")),
        tf.debugging.assert_all_finite(log_mel, "log_mel contains NaN or Inf"),
        tf.debugging.assert_equal(tf.shape(lengths)[0], batch, message=(
            "lengths needs one value per example of the batch")),
        tf.debugging.assert_positive(lengths, message="lengths must be >= 1"),
        tf.debugging.assert_less_equal(lengths, frames, message=(
            "lengths must not exceed the frames given in log_mel")),
    ]
    checks += self._check_styles(batch, source_style, target_style)
    with tf.control_dependencies(checks):  # (these first: each failure names its own cause)
      checks = [tf.debugging.assert_greater_equal(
          tf.reduce_min(log_mel), waveforms.MIN_NORMALISED_LOG_MEL, message=(
              "log_mel has values below -1, the normalised floor: give normalised log-mel "
              "(melspec.normalize_log_spectrogram), not natural-log mel power"))]
    with tf.control_dependencies(checks):  # every input: no op may read one unchecked
      log_mel, lengths, source_style, target_style = (
          tf.identity(log_mel), tf.identity(lengths), tf.identity(source_style),
          tf.identity(target_style))
    outputs = self._generate(log_mel, lengths, source_style, target_style)
    return {"log_mel": outputs["frames"], "lengths": outputs["lengths"]}

  def _styles(self):
    return {"names": tf.constant(self._style_names),
            "unknown_source": tf.constant(self._unknown_source),
            "max_seconds": tf.constant(self._max_seconds, tf.float32)}


def next_version(base_dir) -> int:
  """1 + the largest integer-named version under base_dir (1 if none)."""
  if not tf.io.gfile.isdir(base_dir):
    return 1
  versions = [int(name.strip("/")) for name in tf.io.gfile.listdir(base_dir)
              if name.strip("/").isdigit()]
  return max(versions, default=0) + 1


def export_saved_model(model_dir, export_dir, name="tf_transforms", version=None,
                       max_seconds=DEFAULT_MAX_SECONDS, griffin_lim_iters=None,
                       griffin_lim_coarse_iters=None) -> str:
  """Exports the run in ``model_dir`` to ``<export_dir>/<name>/<version>/``.

  ``version`` None means the next free integer; an existing version is never
  overwritten. ``griffin_lim_iters`` / ``griffin_lim_coarse_iters`` override
  the exported graph's Griffin-Lim (``Vocoder``: 6 full-grid iterations
  after 28 half-grid ones): fewer is faster and rougher. The SavedModel is
  written to a temporary directory and renamed into place only when complete.

  Returns:
    the version directory.
  """
  if not name or "/" in name or name.startswith("."):
    raise RunError(f"--name={name!r}: a plain folder name is needed")
  check_writable_directory(export_dir, "--export_dir")
  vocoder = Vocoder.from_flags(griffin_lim_iters, griffin_lim_coarse_iters)
  run = load_run(model_dir)
  base = os.path.join(export_dir, name)
  version = next_version(base) if version is None else int(version)
  target = os.path.join(base, str(version))
  if tf.io.gfile.exists(target):
    raise FileExistsError(f"{target}: version {version} already exists; exports are never "
                          "overwritten -- pick another --version")
  module = TransformModule(run.model, run.config.audio, run.vocabulary.names,
                           fixed_length=run.spec.fixed_length, max_seconds=max_seconds,
                           vocoder=vocoder, unknown_source=run.config.accepts_unknown_source)
  archive = keras.export.ExportArchive()
  archive.track(run.model)
  for endpoint, (function, signature) in module.endpoints().items():
    archive.add_endpoint(endpoint, function, input_signature=signature)
  with atomic_output(target, overwrite=False) as temporary:
    archive.write_out(temporary, verbose=False)
    # Files the graph does not read go to assets.extra/ (SavedModel convention).
    tf.io.gfile.makedirs(os.path.join(temporary, "assets.extra"))
    write_styles(os.path.join(temporary, "assets.extra", "styles.json"), run)
  return target


def write_styles(path, run):
  """An export's styles.json: the run's style names (id i is ``styles[i]``)
  and ``unknown_source``, whether source style -1 is accepted."""
  write_text(path, json.dumps({"styles": list(run.vocabulary.names),
                               "unknown_source": run.config.accepts_unknown_source}, indent=1))


TFLITE_VARIANTS = ("float32", "float16", "dynamic_range")


def export_tflite(model_dir, path, variant="float32", overwrite=False,
                  griffin_lim_iters=None, griffin_lim_coarse_iters=None) -> int:
  """Writes the run as a TFLite model of builtin ops only, audio in and audio out.

  Batch 1, any length (up to memory). Signatures:

    serving_default    ``waveform`` float32 [1, samples] at 16 kHz,
                       ``source_style``, ``target_style`` int32 [1] ->
                       ``waveform`` [1, samples'], ``lengths`` [1] (valid output
                       samples), ``log_mel`` [1, frames', mels]: the front-end,
                       the model, mel inverse, Griffin-Lim and de-emphasis, the
                       same computation as the SavedModel's serving_default.
    transform_log_mel  ``log_mel`` [1, frames, mels] (normalised), styles ->
                       ``log_mel``, ``lengths`` (frames): the network alone,
                       for callers with their own front-end / vocoder.

  Unlike the SavedModel, the file cannot reject bad input (TFLite has no
  error ops): callers check what the SavedModel's serving_default checks --
  rank, a non-empty length, finite samples and style ids in range (the style
  names, and whether source style -1 is accepted, are in the export's
  styles.json: ``write_styles``) -- before invoking it.

  Args:
    variant: "float32", "float16" (weights stored as float16) or
      "dynamic_range" (int8 weights, float activations).
    overwrite: replace an existing file at ``path``.
    griffin_lim_iters, griffin_lim_coarse_iters: override the exported
      Griffin-Lim's (``Vocoder``).

  Returns:
    the file size in bytes.
  """
  return export_tflite_variants(model_dir, {variant: path}, overwrite=overwrite,
                                griffin_lim_iters=griffin_lim_iters,
                                griffin_lim_coarse_iters=griffin_lim_coarse_iters)[variant]


def export_tflite_variants(model_dir, paths: dict, overwrite=False,
                           griffin_lim_iters=None, griffin_lim_coarse_iters=None,
                           static_max_seconds=None) -> dict:
  """``export_tflite`` for several variants at once ({variant: path} ->
  {variant: size in bytes}): the graphs are traced and saved once, then
  converted per variant. Every path is checked before any work.

  ``static_max_seconds``: write instead files whose inputs have static shapes
  (for LiteRT.js, which cannot resize inputs; ``web_demo``), with one
  signature, ``serving_default``: ``waveform`` float32 [1, max samples],
  ``samples`` int32 [1] (how many of them are the clip), styles ->
  ``waveform`` [1, ``TransformModule.max_output_samples``] zero-padded past
  ``lengths`` [1]. The same computation as the dynamic file on the clip.
  """
  for variant, path in paths.items():
    if variant not in TFLITE_VARIANTS:
      raise ValueError(f"variant must be one of {TFLITE_VARIANTS}. Received {variant!r}")
    if tf.io.gfile.exists(path) and not overwrite:
      raise FileExistsError(f"{path}: already exists; pass overwrite=True to replace it")
  vocoder = Vocoder.from_flags(griffin_lim_iters, griffin_lim_coarse_iters)
  run = load_run(model_dir)
  mels = run.config.audio.num_mel_bins
  limit = {} if static_max_seconds is None else {"max_seconds": static_max_seconds}
  module = TransformModule(run.model, run.config.audio, run.vocabulary.names,
                           fixed_length=run.spec.fixed_length, vocoder=vocoder,
                           unknown_source=run.config.accepts_unknown_source, **limit)
  styles = [tf.TensorSpec([1], tf.int32, name="source_style"),
            tf.TensorSpec([1], tf.int32, name="target_style")]
  archive = keras.export.ExportArchive()
  archive.track(run.model)
  if static_max_seconds is None:
    signatures = ["serving_default", "transform_log_mel"]
    archive.add_endpoint("serving_default", module.audio_transform, input_signature=[
        tf.TensorSpec([1, None], tf.float32, name="waveform"), *styles])
    archive.add_endpoint("transform_log_mel", module.log_mel_transform, input_signature=[
        tf.TensorSpec([1, None, mels], tf.float32, name="log_mel"), *styles])
  else:
    signatures = ["serving_default"]
    archive.add_endpoint("serving_default", module.static_audio_transform, input_signature=[
        tf.TensorSpec([1, module.max_samples], tf.float32, name="waveform"),
        tf.TensorSpec([1], tf.int32, name="samples"), *styles])
  sizes = {}
  with tempfile.TemporaryDirectory() as saved_model:
    archive.write_out(saved_model, verbose=False)
    for variant, path in paths.items():
      converter = tf.lite.TFLiteConverter.from_saved_model(
          saved_model, signature_keys=signatures)
      converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
      if variant != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
      if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
      flatbuffer = converter.convert()
      with atomic_output(os.path.abspath(path), overwrite=overwrite) as temporary:
        with tf.io.gfile.GFile(temporary, "wb") as handle:
          handle.write(flatbuffer)
      sizes[variant] = len(flatbuffer)
  return sizes
