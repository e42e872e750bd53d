"""Reading configurations stored by earlier releases: what a missing field meant then.

Every stored run (``run_config.json``) and ``.keras`` file is read through
here. Configs are stored resolved (``defaults.resolve``), except files of
0.1-0.2, which stored "auto" for the head. The Keras side of compatibility
(weight-file layouts, Keras' private behaviour) is ``model/keras_compat.py``.
"""

from tf_transforms.core.configs import ModelConfig, TrainingConfig

# What "auto" meant for the head in files written by tf_transforms 0.1-0.2.
STORED_AUTO_HEADS = {"ours": "source_filter", "las": "source_filter",
                     "seq2seq": "direct", "cseq2seq": "direct"}
# ModelConfig fields a stored file may lack, and what its run used.
MODEL_FIELDS_BEFORE = {"postfilter": "none",       # before the post-filter (0.9)
                       "comb_chooser": "template"}  # before the learned chooser (0.10)
# TrainingConfig fields a stored run may lack: before guided attention it
# trained without it, before frame_loss with the mean squared error, before
# sort_window on random batches, before unknown_source_share with every source
# named (0.11).
TRAINING_FIELDS_BEFORE = {"guided_attention": 0.0, "frame_loss": "mse", "sort_window": 0,
                          "unknown_source_share": 0.0}


def model_config(stored: dict) -> ModelConfig:
  """A ModelConfig from a stored dict (a run_config.json's, a .keras file's)."""
  stored = {**MODEL_FIELDS_BEFORE, **stored}
  if stored.get("output_head", "auto") == "auto":
    stored["output_head"] = STORED_AUTO_HEADS[stored.get("method", "ours")]
  return ModelConfig(**stored)


def training_config(stored: dict) -> TrainingConfig:
  """A TrainingConfig from a stored run's dict."""
  return TrainingConfig(**{**TRAINING_FIELDS_BEFORE, **stored})
