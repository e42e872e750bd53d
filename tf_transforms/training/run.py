"""A trained run: its configuration, directory checks and loading (its lock and the
checks made before TensorFlow starts: ``run_files.py``).

A run lives in ``model_dir``:

  run_config.json   the RunConfig; a different config in the same dir is refused
  styles.json       the style vocabulary (id <-> name)
  backup/           Keras BackupAndRestore state: weights + optimizer + position,
                    and the dropout RNG state (``loop.py``)
  logs/             TensorBoard: losses, learning rate, spectrogram images, audio
  model.keras       the trained model (written when the run completes)
  workers/          multi-worker runs: the non-chief workers' own backup/ and logs/
  .train.lock       held by the train.py process working on the run

Everything here is what ``train.py``, ``evaluate.py`` and ``export.py`` share;
it imports neither the data pipeline nor the evaluation's judges. Every file
a run (or its evaluation or export) writes goes through ``files.atomic_output``.
"""

import dataclasses
import json
import os

import keras
import tensorflow as tf

from tf_transforms.core import compat, datasets, defaults
from tf_transforms.core.configs import (STRATEGIES, AudioConfig, ModelConfig, TrainingConfig,
                                        get_preset)
from tf_transforms.core.datasets import DATASETS
from tf_transforms.core.errors import RunError
from tf_transforms.core.files import write_text
from tf_transforms.data.styles import StyleVocabulary
from tf_transforms.model import heads, transform_model
from tf_transforms.training.run_files import FINISHED_RUN_FILES, check_finished

# ---------------------------------------------------------------- configuration


@dataclasses.dataclass(frozen=True)
class RunConfig:
  """Everything that determines a training run.

  Attributes:
    dataset: a key of ``datasets.DATASETS``.
    dataset_config: TFDS builder config; None for the dataset's default.
    soundfont: gm_notes only: render from this .sf2.
    preset: the preset the model / training settings came from (for the record).
    model: the ModelConfig (``num_styles`` is set from the data).
    training: the TrainingConfig.
    steps: total optimizer steps.
    checkpoint_every: steps per checkpoint (and per Keras "epoch"); spectrogram
      and audio summaries are written at each checkpoint too.
    autoencoder: pairs are (x, x) instead of (x, same content in another style).
    init_from: a model.keras whose weights initialise this run (fine-tuning).
    seed: seeds weights, pairs and order.
    strategy: one of ``core.configs.STRATEGIES``.
    audio: the AudioConfig of the features; the model's feature sizes must
      agree with it (checked).
    content_kind: the folder dataset's content ("pitch", "word" or "key",
      from its dataset.json; ``dataset_config`` names the folder's prepared
      copy); "" for the other datasets, whose kind is the registry's.
  """

  dataset: str = "gm_notes"
  dataset_config: str | None = None
  soundfont: str | None = None
  preset: str = "default"
  model: ModelConfig = ModelConfig()
  training: TrainingConfig = TrainingConfig()
  steps: int = 1000
  checkpoint_every: int = 500
  autoencoder: bool = False
  init_from: str | None = None
  seed: int = 0
  strategy: str = "default"
  audio: AudioConfig = AudioConfig()
  content_kind: str = ""

  def __post_init__(self):
    if self.dataset not in DATASETS:
      raise ValueError(f"RunConfig: unknown dataset {self.dataset!r}; choose one of "
                       f"{sorted(DATASETS)}")
    datasets.spec(self.dataset, self.content_kind)  # (a kind the dataset can have)
    if self.strategy not in STRATEGIES:
      raise ValueError(f"RunConfig: strategy must be one of {STRATEGIES}. "
                       f"Received {self.strategy!r}")
    # Every "auto" named, as stored: the run in memory equals the run read
    # back from run_config.json.
    model, training = defaults.resolve(self.model, self.training, self.spec)
    object.__setattr__(self, "model", model)
    object.__setattr__(self, "training", training)
    sizes = {"num_mel_bins": self.audio.num_mel_bins,
             "num_linear_bins": self.audio.num_spectrogram_bins}
    for name, expected in sizes.items():
      if getattr(self.model, name) != expected:
        raise ValueError(f"RunConfig: model.{name}={getattr(self.model, name)} disagrees with "
                         f"the audio front-end's {expected} (sizes derive from AudioConfig)")

  @property
  def spec(self) -> datasets.DatasetSpec:
    """The dataset's ``datasets.DatasetSpec`` (with the folder's content kind)."""
    return datasets.spec(self.dataset, self.content_kind)

  @property
  def accepts_unknown_source(self) -> bool:
    """Whether the run was trained to convert a source of unknown style
    (``UNKNOWN_STYLE``): some of its pairs hid the source style."""
    return bool(self.training.unknown_source_share) and self.model.uses_conditioning

  @property
  def frame_ms(self) -> float:
    """Milliseconds per spectrogram frame (the hop)."""
    return 1000.0 * self.audio.frame_step / self.audio.sample_rate

  @property
  def context_ms(self) -> float:
    """Acoustic context per encoder step (Table 3's variable)."""
    return self.model.context_frames * self.frame_ms

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self), indent=1, sort_keys=True)

  @classmethod
  def from_json(cls, text: str) -> "RunConfig":
    raw = json.loads(text)
    return cls(**{**raw, "model": compat.model_config(raw["model"]),
                  "training": compat.training_config(raw["training"]),
                  "audio": AudioConfig(**raw["audio"])})


def context_frames(context_ms: float, audio: AudioConfig) -> int:
  """Table 3's acoustic context per encoder step (ms) -> conv stride in frames."""
  hop_ms = 1000.0 * audio.frame_step / audio.sample_rate
  frames = context_ms / hop_ms
  if frames < 1 or abs(frames - round(frames)) > 1e-9:
    raise RunError(f"--context_ms must be a positive multiple of {hop_ms:g} ms "
                   f"(one spectrogram hop). Received context_ms={context_ms}")
  return int(round(frames))


def make_run_config(*, dataset="gm_notes", preset="default", steps=None, epochs=None,
                    batch_size=None, learning_rate=None, context_ms=None, model=None,
                    output_head=None, envelope_coefficients=None, guided_attention=None,
                    frame_loss=None, sort_window=None, unknown_source_share=None,
                    mel_inverse_prior=None,
                    postfilter=None, comb_chooser=None, audio: AudioConfig | None = None,
                    manual_dir=None, **kwargs) -> RunConfig:
  """A RunConfig from a preset plus overrides (what train.py's flags set).

  The model's feature sizes are taken from ``audio`` (default: the paper's
  front-end, ``AudioConfig()``); ``mel_inverse_prior`` replaces its
  vocoder's (``"harmonic"``: pitched datasets only). ``epochs``
  are converted to steps later, once the dataset size is known; exactly one
  of ``steps`` / ``epochs`` may be given (neither: the dataset's
  ``default_steps``, else the preset's epochs).
  Settings left None take ``defaults.for_dataset``'s values; "auto" is
  named by ``defaults.resolve`` (in RunConfig). The folder dataset is
  checked here (``folder_dataset.describe(manual_dir)``), before any work:
  its fingerprint becomes ``dataset_config``, its dataset.json the
  ``content_kind``.

  Raises:
    RunError: flags that contradict each other or a bad --context_ms.
  """
  audio = AudioConfig() if audio is None else audio
  if dataset == "folder":
    from tf_transforms.data import folder_dataset
    if kwargs.get("dataset_config"):
      raise RunError("--dataset_config: the folder dataset is named by its folder "
                     "(--manual_dir), not by a config")
    folder = folder_dataset.describe(manual_dir)
    kwargs.update(dataset_config=folder.config_name, content_kind=folder.kind)
  spec = datasets.spec(dataset, kwargs.get("content_kind", "")) if dataset in DATASETS else None
  unset = defaults.for_dataset(spec, audio == AudioConfig())
  if mel_inverse_prior is None:
    mel_inverse_prior = unset["mel_inverse_prior"]
  if mel_inverse_prior is not None:
    if mel_inverse_prior == "harmonic" and not (spec and spec.pitched):
      raise RunError(f"--mel_inverse_prior=harmonic: it assumes one note per clip, and "
                     f"--dataset={dataset} is not a dataset of notes")
    try:
      audio = dataclasses.replace(audio, mel_inverse_prior=mel_inverse_prior)
    except ValueError as error:
      raise RunError(str(error)) from None
  chosen = get_preset(preset)
  changes = {"num_mel_bins": audio.num_mel_bins,
             "num_linear_bins": audio.num_spectrogram_bins}
  if model is not None:
    changes["method"] = model
  if output_head is not None:
    changes["output_head"] = output_head
  if envelope_coefficients is not None:
    changes["envelope_coefficients"] = envelope_coefficients
  if postfilter is not None:
    changes["postfilter"] = postfilter
  if comb_chooser is not None:
    if comb_chooser == "learned" and not (spec and spec.pitched):
      raise RunError(f"--comb_chooser=learned: it is fitted on the training notes' pitches, "
                     f"and --dataset={dataset} is not a dataset of notes")
    changes["comb_chooser"] = comb_chooser
  if context_ms is None:
    context_ms = unset["context_ms"]
  if context_ms is not None:
    changes["context_frames"] = context_frames(context_ms, audio)
  try:
    model_config = dataclasses.replace(chosen.model, **changes)
    heads.check_head(model_config)  # the head registry's own checks
  except ValueError as error:
    raise RunError(str(error)) from None
  training = chosen.training
  if batch_size is not None:
    training = dataclasses.replace(training, batch_size=batch_size)
  if learning_rate is not None:
    training = dataclasses.replace(training, learning_rate=learning_rate)
  if guided_attention is not None:
    if guided_attention and not model_config.uses_attention:
      raise RunError(f"--guided_attention: the {model_config.method} method has no attention")
    training = dataclasses.replace(training, guided_attention=guided_attention)
  checked = {name: value for name, value in (("frame_loss", frame_loss),
                                             ("sort_window", sort_window),
                                             ("unknown_source_share", unknown_source_share))
             if value is not None}
  if unknown_source_share and not model_config.uses_conditioning:
    raise RunError(f"--unknown_source_share: the {model_config.method} method does not "
                   "condition on the source style")
  try:  # TrainingConfig checks them
    training = dataclasses.replace(training, **checked)
  except ValueError as error:
    raise RunError(str(error)) from None
  if epochs is not None:
    if steps is not None:
      raise RunError("give --steps or --epochs, not both")
    training = dataclasses.replace(training, epochs=epochs)
  elif steps is None and spec:
    steps = spec.default_steps
  return RunConfig(dataset=dataset, preset=preset, model=model_config, training=training,
                   steps=steps or 0, audio=audio, **kwargs)


# ---------------------------------------------------------------- the directory


def has_progress(model_dir: str) -> bool:
  """Whether ``model_dir`` holds anything a rerun would resume or keep: a
  checkpoint (backup/) or a finished model.keras."""
  return any(tf.io.gfile.exists(os.path.join(model_dir, name))
             for name in (os.path.join("backup", "training_metadata.json"), "model.keras"))


def check_model_dir(model_dir: str, run: RunConfig) -> None:
  """Writes run_config.json, or refuses a model_dir holding a different run.

  A run_config.json left by a start that saved no checkpoint (it failed, or
  was stopped, before its first one: a NaN loss, a wrong flag) holds nothing
  worth keeping, so a corrected command replaces it instead of being refused.
  """
  path = os.path.join(model_dir, "run_config.json")
  if tf.io.gfile.exists(path):
    existing = read_run_config(path)
    if existing == run:
      return
    differences = [f"{field.name}: {getattr(existing, field.name)!r} -> "
                   f"{getattr(run, field.name)!r}"
                   for field in dataclasses.fields(RunConfig)
                   if getattr(existing, field.name) != getattr(run, field.name)]
    if has_progress(model_dir):
      raise RunError(
          f"{model_dir} holds a run with a different configuration; refusing to mix them. "
          "Use a new --model_dir, or the same flags. Differences:\n  " +
          "\n  ".join(differences))
    print(f"{model_dir}: replacing the configuration of a start that saved no checkpoint "
          f"({'; '.join(differences)})")
  write_text(path, run.to_json())


def worker_dir(strategy, model_dir):
  """Where this process writes: model_dir for the chief (or a single process),
  model_dir/workers/<type><index> for the other workers of a cluster."""
  resolver = getattr(strategy, "cluster_resolver", None)
  task_type = getattr(resolver, "task_type", None)
  task_id = getattr(resolver, "task_id", 0) or 0
  if task_type in (None, "chief"):
    return model_dir
  has_chief = "chief" in (resolver.cluster_spec().as_dict() if resolver else {})
  if task_type == "worker" and task_id == 0 and not has_chief:
    return model_dir
  return os.path.join(model_dir, "workers", f"{task_type}{task_id}")


# ---------------------------------------------------------------- styles and loading


@dataclasses.dataclass
class Run:
  """A finished run: its model, config, style vocabulary and directory."""

  model_dir: str
  model: keras.Model
  config: RunConfig
  vocabulary: StyleVocabulary

  @property
  def label(self):
    """The run directory's own name (of its absolute path: ``..`` is named
    after the directory it means), which keys its results and files."""
    return os.path.basename(os.path.abspath(self.model_dir))

  @property
  def spec(self):
    """The dataset's ``datasets.DatasetSpec``."""
    return self.config.spec


def read_run_config(path: str) -> RunConfig:
  """The RunConfig stored at ``path``; RunError if it cannot be read as one
  (cut off, edited by hand, not a run's)."""
  with tf.io.gfile.GFile(path) as handle:
    text = handle.read()
  try:
    return RunConfig.from_json(text)
  except (ValueError, KeyError, TypeError) as error:  # (JSONDecodeError is a ValueError)
    raise RunError(f"{path}: not a readable run configuration ({type(error).__name__}: "
                   f"{error}); it may have been cut off: remove the run directory and train "
                   "again") from None


def load_keras_file(path: str, what: str = "the run's model"):
  """``keras.saving.load_model(path)`` in safe mode; RunError if the file is
  not a complete Keras archive (Keras says "File not found" for a cut-off zip).
  Importing transform_model registered the classes it may hold."""
  import zipfile
  if "://" not in path and not zipfile.is_zipfile(path):
    raise RunError(f"{what} {path}: not a complete .keras file (cut off or damaged); train "
                   "it again")
  try:
    return keras.saving.load_model(path, safe_mode=True)
  except (ValueError, OSError, KeyError, zipfile.BadZipFile) as error:
    raise RunError(f"{what} {path}: cannot be loaded ({type(error).__name__}: "
                   f"{str(error).splitlines()[0] if str(error) else ''})") from None


def load_run(model_dir: str) -> Run:
  """Loads model.keras, run_config.json and styles.json from ``model_dir``.

  Raises:
    RunError: the directory is not a finished run (names what is missing).
  """
  check_finished(model_dir, tf.io.gfile.exists)
  paths = {name: os.path.join(model_dir, name) for name in FINISHED_RUN_FILES}
  config = read_run_config(paths["run_config.json"])
  model = load_keras_file(paths["model.keras"])
  if not isinstance(model, transform_model.AudioTransformModel):
    raise RunError(f"{paths['model.keras']}: holds a {type(model).__name__}, not a "
                   "tf_transforms model")
  return Run(model_dir, model, config, StyleVocabulary.load(paths["styles.json"]))
