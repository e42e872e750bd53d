r"""What each output head could score if it predicted its free part perfectly.

For every test pair of gm_notes (unseen pitches; source and target share
pitch and timing), each head family's *best possible* output is built from
the true target, then vocoded (mel inverse, Griffin-Lim) and scored by the
evaluation's judges against the real recordings (``judges.score_pair``):

* ``target``: the true target log-mel (the vocoded ceiling of evaluate.py);
* ``source_filter K``: the target's smooth part (first K DCT coefficients
  over the mel bins) plus the source frame's fine structure, i.e. the
  ``source_filter`` head with a perfect envelope;
* ``partial_levels K``: per frame, the least-squares fit of
  ``e B + (g B) * fine(source)`` to the target (K coefficients each for the
  envelope ``e`` and the comb's gain ``g``): the ``partial_levels`` head
  with perfect curves (gain unconstrained here);
* ``... + floor``: the same clipped at the log floor (a silenced band cannot
  carry the comb above the floor).

A head whose ceiling is below an issue's goal cannot reach it however well
it is trained. Results: docs/results.md ("Notes that take on the target").

Usage:
  python scripts/head_oracles.py [--max_pairs=64] [--coefficients=12,24]
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_transforms import audio, data  # noqa: E402
from tf_transforms.configs import AudioConfig  # noqa: E402
from tf_transforms.judges import Judges, score_pair  # noqa: E402
from tf_transforms.layers.heads import dct_basis  # noqa: E402

flags.DEFINE_integer("max_pairs", 64, "Test pairs to score (in evaluate.py's order).")
flags.DEFINE_list("coefficients", ["12", "24"], "DCT coefficients K of the smooth curves.")
flags.DEFINE_string("soundfont", None, "Render gm_notes from this .sf2 (default: bundled).")
FLAGS = flags.FLAGS


def candidates(source, target, coefficients):
  """source, target: normalised log-mel [T, F], aligned. -> {name: [T, F]}."""
  bins = target.shape[1]
  out = {"target": target}
  for k in coefficients:
    basis = dct_basis(k, bins)                                  # [K, F]
    smooth = basis.T @ basis
    fine = source - source @ smooth
    out[f"source_filter {k}"] = target @ smooth + fine
    out[f"source_filter {k} + floor"] = np.maximum(target @ smooth + fine, -1.0)
    fitted = np.empty_like(target)
    for t in range(len(target)):
      design = np.concatenate([basis.T, basis.T * fine[t][:, None]], 1)   # [F, 2K]
      fitted[t] = design @ np.linalg.lstsq(design, target[t], rcond=None)[0]
    out[f"partial_levels {k}"] = fitted
    out[f"partial_levels {k} + floor"] = np.maximum(fitted, -1.0)
  return out


def main(argv):
  del argv
  config = AudioConfig()
  coefficients = [int(k) for k in FLAGS.coefficients]
  index = data.load_index("gm_notes", soundfont=FLAGS.soundfont)
  judges = Judges(index, "gm_notes", config, cache_dir=index.data_dir)  # closed at exit
  vocode = tf.function(lambda log_mel: audio.log_mel_to_audio(log_mel, config))
  records, names = [], None
  for batch in data.pair_dataset(index, "test", 16, seed=0, epochs=1, cache_features=True,
                                 audio_config=config):
    for i in range(int(batch["source"].shape[0])):
      if len(records) >= FLAGS.max_pairs:
        break
      frames = int(batch["target_length"][i])
      target = batch["target"][i, :frames].numpy()
      source = np.zeros_like(target)
      shared = min(frames, int(batch["source_length"][i]))
      source[:shared] = batch["source"][i, :shared].numpy()
      built = candidates(source, target, coefficients)
      names = list(built)
      log_mel = audio.denormalize_log_spectrogram(np.stack(list(built.values())), config)
      waveforms = vocode(log_mel).numpy()[:, :(frames - 1) * config.frame_step]
      content = index.content[int(batch["target_row"][i])].item()
      judged = dict(zip([name + "/" for name in built], judges.judge_many(
          [(waveforms[j], log_mel[j].numpy(), content, None) for j in range(len(built))])))
      records.append(score_pair(judges, judged, judges.recording(int(batch["source_row"][i])),
                                judges.recording(int(batch["target_row"][i])),
                                int(batch["source_style"][i]), int(batch["target_style"][i]),
                                content))
  print(f"{len(records)} test pairs of gm_notes; each candidate vocoded by the mel inverse "
        "and Griffin-Lim")
  print("| best possible output of | MCD dB | closer to target | target style | "
        "source style | pitch ±50 cents |")
  print("| --- | ---: | ---: | ---: | ---: | ---: |")
  for name in names or []:
    prefix = name + "/"

    def share(measure, prefix=prefix):
      return f"{np.mean([r[prefix + measure] for r in records]):.0%}"
    mcd = np.mean([r[prefix + "mcd"] for r in records])
    pitch = np.mean([abs(r[prefix + "pitch_cents"]) <= 50 for r in records])
    print(f"| {name} | {mcd:.2f} | {share('closer_to_target')} | {share('style_recognised')} | "
          f"{share('source_style_recognised')} | {pitch:.0%} |")


if __name__ == "__main__":
  app.run(main)
