"""The dataset registry: every dataset the flags offer, with its properties.

Light on purpose (no TensorFlow import): ``cli/flag_defs.py`` builds ``--dataset``
from ``DATASETS``, and the data pipeline, evaluation and export read a
dataset's properties here instead of keeping their own lists.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
  """How a TFDS dataset is used for pairing, and what its content is.

  Attributes:
    builder: "module:Class" of the TFDS builder (imported lazily).
    config: builder config name, or None.
    splits: TFDS splits merged before the content split.
    content: feature path of the content key ("pitch", "word", "id").
    style: feature path of the style name ("instrument/name", "speaker");
      empty: one style for every example.
    description: one line for ``--help`` and the README.
    default_steps: training steps when neither ``--steps`` nor ``--epochs``
      is given; None: the preset's epochs. Sized so that the default preset
      trains in about 20 minutes on 2 CPU cores.
    variant_splits: TFDS splits of training-only *variants* of the
      recordings (gm_notes: ``detuned``), read when the prepared dataset has
      them. A variant is paired only with variants of the same content and
      ``variant`` key, joins the training split only, and is never evaluated.
    variant: feature path of a variant's pairing key beside its content
      (gm_notes: ``detune_cents``).
    kind: what the content is, "pitch", "word" or "key" (judged by MCD and
      style only); "": named by the content feature ("pitch", "word", else
      "key"). The folder dataset's comes from its dataset.json (``spec``).
  """

  builder: str
  config: str | None
  splits: tuple
  content: str
  style: str
  description: str = ""
  default_steps: int | None = None
  variant_splits: tuple = ()
  variant: str = ""
  kind: str = ""

  @property
  def content_kind(self) -> str:
    """"pitch", "word" or "key"."""
    return self.kind or (self.content if self.content in ("pitch", "word") else "key")

  @property
  def pitched(self) -> bool:
    """Notes: content is a MIDI pitch (judged by a pitch tracker)."""
    return self.content_kind == "pitch"

  @property
  def spoken(self) -> bool:
    """Words: content is a word (judged by a word recogniser)."""
    return self.content_kind == "word"

  @property
  def fixed_length(self) -> bool:
    """Notes have one length: generate exactly the target's frame count.
    Words end when the model's stop token says so."""
    return self.pitched


DATASETS = {
    "gm_notes": DatasetSpec("tfds_builders.gm_notes:GmNotes", "default", ("train",),
                            "pitch", "instrument/name",
                            "notes of 22 GM instruments, rendered locally (default)",
                            variant_splits=("detuned",), variant="detune_cents"),
    "nsynth": DatasetSpec("tfds_builders.nsynth:NsynthJsonWav", "full",
                          ("train", "valid", "test"), "pitch", "instrument/name",
                          "NSynth from --manual_dir"),
    "timit": DatasetSpec("tfds_builders.timit:TimitWords", None, ("train", "test"),
                         "word", "speaker", "TIMIT words from --manual_dir"),
    "tts_words": DatasetSpec("tfds_builders.tts_words:TtsWords", "default", ("train",),
                             "word", "speaker", "words of synthetic voices, rendered locally",
                             default_steps=6000),
    # The user's own recordings; its content kind is the folder's (``spec``).
    "folder": DatasetSpec("tfds_builders.folder:RecordingsFolder", None, ("train",), "content",
                          "style", "your own recordings from --manual_dir "
                          "(README: 'Your own recordings')"),
    # One style ("speech"): autoencoder pre-training only.
    "audioset_speech": DatasetSpec("tfds_builders.audioset_speech:AudiosetSpeech", None,
                                   ("train", "eval"), "id", "",
                                   "AudioSet speech clips from --manual_dir (autoencoder)"),
}

# The datasets whose content kind is the data's, not the registry's.
KIND_FROM_DATA = ("folder",)


def spec(name: str, kind: str = "") -> DatasetSpec:
  """``DATASETS[name]``; for a dataset of ``KIND_FROM_DATA``, with its content
  ``kind`` ("pitch", "word", "key") as the prepared data declare it."""
  if name not in DATASETS:
    raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)}")
  if name in KIND_FROM_DATA:
    if kind not in ("pitch", "word", "key"):
      raise ValueError(f"dataset {name!r}: its content kind must be pitch, word or key. "
                       f"Received {kind!r}")
    return dataclasses.replace(DATASETS[name], kind=kind)
  if kind and kind != DATASETS[name].content_kind:
    raise ValueError(f"dataset {name!r} holds {DATASETS[name].content_kind} content, not {kind}")
  return DATASETS[name]
