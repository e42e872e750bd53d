"""What every unset or "auto" setting means, in one place.

``resolve`` names every "auto" of a ModelConfig and TrainingConfig for a
dataset (RunConfig stores configs resolved, so a later change of a default
cannot change what a stored run loads as); ``for_dataset`` gives the
dataset-dependent values of the settings a flag leaves unset (the context
per encoder step, the vocoder's prior). ``train.py --print_config`` prints
the result of both for a dataset, model and preset. Each default was chosen
on the validation split; the measurements are in docs/design.md ("Defaults
and why").
"""

import dataclasses

# The output head "auto" stands for, per method. Heads without attention have
# nothing to copy the source through, so they keep the paper's.
DEFAULT_OUTPUT_HEADS = {"ours": "harmonic_levels", "las": "source_filter",
                        "seq2seq": "direct", "cseq2seq": "direct"}
# The head "auto" stands for on spoken datasets, for every method: a voice
# conversion must reach the target speaker's pitch, and the source heads copy
# the source speaker's.
SPEECH_OUTPUT_HEAD = "direct"
# The guided-attention weight "auto" means on spoken datasets for the methods
# with attention (otherwise 0, the paper's loss).
SPEECH_GUIDED_ATTENTION = 1.0
# The acoustic context per encoder step on spoken datasets when --context_ms is
# not given (notes: the preset's 2 frames, 25 ms).
SPEECH_CONTEXT_MS = 12.5
# The spectrogram loss "auto" means (the paper's is "mse").
DEFAULT_FRAME_LOSS = "l1"
# The share of training pairs whose source style is hidden ("auto"), for the
# methods that condition on it: so that a recording of any voice or
# instrument can be converted (measured in docs/results.md, "Sources the
# model never heard").
UNKNOWN_SOURCE_SHARE = 0.25
# The heads that choose a comb (and so can take the learned chooser).
COMB_HEADS = ("harmonic_comb", "harmonic_levels")


def output_head(model) -> str:
  """The head ``model`` (a ModelConfig) names, "auto" read per method."""
  return DEFAULT_OUTPUT_HEADS[model.method] if model.output_head == "auto" else model.output_head


def resolve(model, training=None, spec=None):
  """``model`` (a ModelConfig) and ``training`` (a TrainingConfig or None)
  with every "auto" named for the dataset described by ``spec`` (a
  ``datasets.DatasetSpec``; None: no dataset known, the model's own defaults):

  * output_head: ``SPEECH_OUTPUT_HEAD`` on spoken datasets, else
    ``DEFAULT_OUTPUT_HEADS`` per method;
  * postfilter: global_variance for ``ours`` on notes, else none;
  * comb_chooser: learned for the comb heads on notes, else template;
  * guided_attention: ``SPEECH_GUIDED_ATTENTION`` on spoken datasets for the
    methods with attention, else 0;
  * frame_loss: ``DEFAULT_FRAME_LOSS``;
  * unknown_source_share: ``UNKNOWN_SOURCE_SHARE`` for the methods that
    condition on the source style, else 0.

  Returns:
    (model, training): the same types, nothing left "auto" (training None if
    none was given).

  Raises:
    ValueError: a learned comb chooser with a head that has no comb.
  """
  spoken = spec is not None and spec.spoken
  pitched = spec is not None and spec.pitched
  head = SPEECH_OUTPUT_HEAD if model.output_head == "auto" and spoken else output_head(model)
  postfilter, chooser = model.postfilter, model.comb_chooser
  if postfilter == "auto":
    postfilter = "global_variance" if model.method == "ours" and pitched else "none"
  if chooser == "auto":
    chooser = "learned" if head in COMB_HEADS and pitched else "template"
  if chooser == "learned" and head not in COMB_HEADS:
    raise ValueError(f"ModelConfig: comb_chooser='learned' needs a head that chooses a "
                     f"comb {COMB_HEADS}. Received output_head={model.output_head!r} "
                     f"(method={model.method!r})")
  model = dataclasses.replace(model, output_head=head, postfilter=postfilter,
                              comb_chooser=chooser)
  if training is not None:
    if training.guided_attention is None:
      weight = SPEECH_GUIDED_ATTENTION if spoken and model.uses_attention else 0.0
      training = dataclasses.replace(training, guided_attention=weight)
    if training.frame_loss is None:
      training = dataclasses.replace(training, frame_loss=DEFAULT_FRAME_LOSS)
    if training.unknown_source_share is None:
      share = UNKNOWN_SOURCE_SHARE if model.uses_conditioning else 0.0
      training = dataclasses.replace(training, unknown_source_share=share)
  return model, training


def resolve_model(model, spec=None):
  """``resolve``'s model alone."""
  return resolve(model, None, spec)[0]


def for_dataset(spec, default_front_end: bool) -> dict:
  """The values of the settings a flag leaves unset that depend on the dataset
  (``spec``, a DatasetSpec, or None):

  * context_ms: ``SPEECH_CONTEXT_MS`` on spoken datasets, else None (the preset's);
  * mel_inverse_prior: with the paper's front-end (``default_front_end``),
    "harmonic" for notes (a note's harmonics where 80 bands cannot place
    them), else None (the front-end's own, "none").
  """
  spoken = spec is not None and spec.spoken
  pitched = spec is not None and spec.pitched
  return {"context_ms": SPEECH_CONTEXT_MS if spoken else None,
          "mel_inverse_prior": "harmonic" if pitched and default_front_end else None}
