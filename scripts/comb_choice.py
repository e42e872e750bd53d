r"""How often the ``harmonic_comb`` head chooses the comb at the note's pitch.

The head chooses, per clip, the bank comb whose fine structure best matches
the source's (``HarmonicCombHead.choose_combs``): by the template score, or
with the learned chooser, fitted here as ``train.py`` fits it (on the
training notes, seed 0, ``calibration.fit_comb_chooser``). On gm_notes each
note's MIDI number is known, so the choice can be checked directly: within
50 cents of the note, an octave off (1200 ± 50 cents), or elsewhere; per
split, per pitch band and per instrument (the source's).

Usage:
  python scripts/comb_choice.py [--splits=train,test] [--choosers=template,learned]
                                [--soundfont=...]
"""

import collections
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_transforms.core.configs import AudioConfig, ModelConfig  # noqa: E402
from tf_transforms.data import pipeline  # noqa: E402
from tf_transforms.model.heads import make_head  # noqa: E402
from tf_transforms.training import calibration

flags.DEFINE_list("splits", ["train", "test"], "Splits whose notes are checked.")
flags.DEFINE_list("choosers", ["template", "learned"], "Comb choosers to check "
                  "(configs.COMB_CHOOSERS; learned is fitted on the training notes first).")
flags.DEFINE_string("soundfont", None, "Render gm_notes from this .sf2 (default: bundled).")
FLAGS = flags.FLAGS


def choices(index, split, head, config):
  """Every note of ``split`` once: (MIDI number, style id, chosen bank MIDI)."""
  seen = {}
  for batch in pipeline.pair_dataset(index, split, 32, seed=0, epochs=1, cache_features=True,
                                 audio_config=config):
    chosen = head.choose_combs(batch["source"], batch["source_length"]).numpy()
    for i, j in enumerate(chosen):
      row = int(batch["source_row"][i])
      if index.training_only[row]:  # a detuned training variant: its note is counted once
        continue
      seen[row] = (index.content[row].item(), int(batch["source_style"][i]),
                   head.bank.midi[j])
  return list(seen.values())


def main(argv):
  del argv
  config = AudioConfig()
  tf.config.experimental.enable_op_determinism()  # as train.py fits it (its default)
  index = pipeline.load_index("gm_notes", soundfont=FLAGS.soundfont)
  for chooser in FLAGS.choosers:
    head = make_head(ModelConfig(output_head="harmonic_comb", comb_chooser=chooser), config)
    if chooser == "learned":
      calibration.fit_comb_chooser(head.chooser, index, config, seed=0)
    for split in FLAGS.splits:
      report(index, split, head, config, chooser)


def report(index, split, head, config, chooser):
  """Prints how often ``head`` chose the note's comb in ``split``."""
  notes = choices(index, split, head, config)
  midi = np.array([n[0] for n in notes])
  cents = 100 * (np.array([n[2] for n in notes]) - midi)
  right = np.abs(cents) < 50
  octave = np.abs(np.abs(cents) - 1200) < 50
  elsewhere = 1 - right.mean() - octave.mean()
  print(f"{chooser} chooser, {split}: {len(notes)} notes; comb within 50 cents "
        f"{right.mean():.0%}, an octave off {octave.mean():.0%}, elsewhere {elsewhere:.0%}")
  print("| MIDI | " + " | ".join(f"{lo}–{lo + 5}" for lo in range(36, 84, 6)) + " |")
  print("| --- |" + " ---: |" * 8)
  print("| within 50 cents | " + " | ".join(
      f"{right[(midi >= lo) & (midi < lo + 6)].mean():.0%}" for lo in range(36, 84, 6)) + " |")
  by_style = collections.defaultdict(list)
  for (_, style, _), ok in zip(notes, right):
    by_style[style].append(ok)
  worst = sorted(by_style.items(), key=lambda item: np.mean(item[1]))[:6]
  print("least often right: " + ", ".join(
      f"{index.vocabulary.name(style)} {np.mean(oks):.0%}" for style, oks in worst))


if __name__ == "__main__":
  app.run(main)
