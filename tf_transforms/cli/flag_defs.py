"""Command-line flags for train.py and evaluate.py, defined in one place.

Only run-level choices are flags; model and audio settings live in typed
configs (``core/configs.py``) selected by ``--preset``. Every list of choices comes
from its registry: datasets (``datasets.DATASETS``), methods, presets and
strategies (``core/configs.py``), output heads (``model.heads.HEADS``). The head
registry imports Keras, so it is consulted only when ``--output_head`` is
given: parsing flags (and ``--help``) stays fast.
"""

from absl import flags

from tf_transforms.core.configs import (COMB_CHOOSERS, EVALUATION_SPLITS, FRAME_LOSSES,
                                        MEL_INVERSE_PRIORS, METHODS, POSTFILTERS, PRESETS,
                                        STRATEGIES)
from tf_transforms.core.datasets import DATASETS


def _positive_or_unset(value):
  return value is None or value > 0


def _registered_head(value):
  if value == "auto":
    return True
  from tf_transforms.model.heads import HEADS  # pylint: disable=import-outside-toplevel
  if value not in HEADS:
    raise flags.ValidationError(f"--output_head must be auto or one of {sorted(HEADS)}. "
                                f"Received {value!r}")
  return True


def define_common_flags():
  flags.DEFINE_enum("dataset", "gm_notes", list(DATASETS), "Dataset to use: " + "; ".join(
      f"{name}: {spec.description}" for name, spec in DATASETS.items()) + ".")
  flags.DEFINE_string("dataset_config", None,
                      "TFDS builder config, e.g. nsynth: full | acoustic_24_84; "
                      "gm_notes / tts_words: default | small.")
  flags.DEFINE_string("data_dir", None, "TFDS data directory.")
  flags.DEFINE_string("manual_dir", None,
                      "Directory holding manually downloaded data (NSynth, TIMIT, AudioSet).")
  flags.DEFINE_string("soundfont", None,
                      "gm_notes: render from this .sf2 instead of the bundled TimGM6mb.")
  flags.DEFINE_integer("seed", 0, "Random seed.")


def define_train_flags():
  define_common_flags()
  flags.DEFINE_enum("model", "ours", list(METHODS), "Method of Table 2.")
  flags.DEFINE_enum("preset", "default", list(PRESETS),
                    "Size preset: tiny (tests), default (2 CPU cores), paper (GPU).")
  flags.DEFINE_string("model_dir", None,
                      "Where checkpoints and summaries go; default runs/<dataset>_<model>.")
  flags.DEFINE_integer("epochs", None, "Epochs to train.", lower_bound=1)
  flags.DEFINE_integer("steps", None, "Training steps; default: the dataset's default_steps "
                       f"(tts_words: {DATASETS['tts_words'].default_steps}), else --epochs.",
                       lower_bound=1)
  flags.DEFINE_integer("batch_size", None, "Global batch size.", lower_bound=1)
  flags.DEFINE_float("learning_rate", None, "Initial learning rate.")
  flags.register_validator("learning_rate", _positive_or_unset,
                           message="--learning_rate must be a positive number")
  flags.DEFINE_string("output_head", "auto",
                      "auto, or a head of tf_transforms/model/heads/: direct (the paper's dense "
                      "layer), source_filter, partial_levels, harmonic_comb, harmonic_levels "
                      "(notes), source_envelope, source_warp (words); docs/design.md, 'Output "
                      "heads'. auto: see --print_config (core/defaults.py).")
  flags.register_validator("output_head", _registered_head)
  flags.DEFINE_integer("envelope_coefficients", None,
                       "DCT coefficients of the source heads' smooth envelope over the mel bins "
                       "(1 to num_mel_bins; fewer is smoother). Default: the preset's (12).",
                       lower_bound=1)
  flags.DEFINE_float("guided_attention", None,
                     "Weight of the guided-attention loss (attention kept near the diagonal; "
                     "losses.guided_attention_loss); 0 is the paper's loss. Default: 1 for "
                     "words, 0 for notes (core/defaults.py).",
                     lower_bound=0.0)
  flags.DEFINE_enum("frame_loss", None, list(FRAME_LOSSES),
                    "Spectrogram loss: mse (the paper's) or l1. Default: l1 (core/defaults.py).")
  flags.DEFINE_integer("sort_window", None,
                       "Training batches hold pairs of similar length: windows of this many "
                       "batches are sorted by length, then the batches shuffled; 0: random "
                       "batches. Default: the preset's (32). No effect on fixed-length notes.",
                       lower_bound=0)
  flags.DEFINE_float("unknown_source_share", None,
                     "Share of training pairs whose source style is hidden, so that recordings "
                     "of voices or instruments outside the training set can be converted "
                     "(source style 'unknown'); 0 is the paper's training. Default: 0.25 for "
                     "ours and cseq2seq (core/defaults.py).", lower_bound=0.0, upper_bound=0.99)
  flags.DEFINE_enum("postfilter", None, ["auto", *POSTFILTERS],
                    "What generation applies to the decoder's frames: none, or "
                    "global_variance (each style's spread over time, calibrated after "
                    "training: model/postfilter.py). auto: global_variance for ours on notes.")
  flags.DEFINE_enum("comb_chooser", None, ["auto", *COMB_CHOOSERS],
                    "How the comb heads choose a note's comb: template, or learned (fitted on "
                    "the training notes' pitches before training: model/heads/comb_chooser.py). "
                    "auto: learned for those heads on notes.")
  flags.DEFINE_enum("mel_inverse_prior", None, list(MEL_INVERSE_PRIORS),
                    "What the vocoder's mel inverse starts from: none, or harmonic (notes "
                    "only: the harmonics of the pitch the log-mel shows). Default: harmonic "
                    "for notes, none for words. Changes only the vocoding, no weights.")
  flags.DEFINE_float("context_ms", None, "Acoustic context per encoder step (Table 3); default: "
                     "12.5 for words, the preset's (25) for notes.")
  flags.register_validator("context_ms", _positive_or_unset,
                           message="--context_ms must be a positive number of milliseconds")
  flags.DEFINE_bool("autoencoder", False, "Train with source = target (pre-training).")
  flags.DEFINE_string("init_from", None, "Checkpoint to fine-tune from.")
  flags.DEFINE_enum("strategy", "default", list(STRATEGIES), "tf.distribute strategy.")
  flags.DEFINE_bool("deterministic", True,
                    "TensorFlow op determinism (same seed, same weights; a resumed run equals "
                    "an uninterrupted one). --nodeterministic trades that for GPU speed.")
  flags.DEFINE_integer("checkpoint_every", 500,
                       "Steps between checkpoints (and TensorBoard samples).", lower_bound=1)
  flags.DEFINE_bool("print_config", False,
                    "Print the complete resolved configuration (run_config.json as this "
                    "command would write it) and exit without training or writing anything.")


def define_evaluate_flags():
  define_common_flags()
  flags.DEFINE_multi_string("model_dir", None, "Trained model directories to evaluate.")
  flags.DEFINE_string("output_dir", "outputs", "Where tables and figures go.")
  flags.DEFINE_string("sweep", None, "Produce a sweep table: context_ms (Table 3).")
  flags.DEFINE_integer("max_pairs", None, "Evaluate at most this many pairs per run.",
                       lower_bound=1)
  flags.DEFINE_enum("split", "test", list(EVALUATION_SPLITS),
                    "Pairs to score: test (unseen content: the paper's tables) or valid (content "
                    "also unseen in training, held out for choosing settings so that the test "
                    "split is not tuned on).")
  flags.DEFINE_bool("overwrite", False, "Replace existing results in --output_dir.")
  flags.DEFINE_string("foreign_sources", None,
                      "A folder of recordings of voices or instruments the run never heard (the "
                      "folder dataset's layout: <style>/<content>.wav and dataset.json): score "
                      "them as sources, converted into the run's styles and judged against its "
                      "real recordings of the same content (--split's contents).")
  flags.DEFINE_enum("source_as", None, ["named", "unknown", "nearest"],
                    "What the model is told of each source's style: named (its own; the "
                    "default for the run's pairs), unknown (the default for --foreign_sources), "
                    "or nearest (foreign sources: the training style the style classifier "
                    "assigns them to).")
  flags.DEFINE_bool("warm_cache", False, "Only prepare the judges' cache for --model_dir's "
                    "dataset (the style classifier's features, the real recordings' and the "
                    "vocoded true targets' judgements) and exit; needs only the run's "
                    "run_config.json, so it can run beside the training (scripts/main.sh). "
                    "Writes nothing to --output_dir.")
  flags.DEFINE_integer("processes", None, "Worker processes for the judges' WORLD analysis, "
                       "pyin and recogniser (default: one per available CPU; 1: none).",
                       lower_bound=1)
