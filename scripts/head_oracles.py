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
  carry the comb above the floor);
* ``generated comb K`` and ``generated partial_levels K``: the same two heads
  with the source's fine structure replaced by that of a *generated* comb:
  equal-amplitude harmonics at the note's F0, through the same front-end
  (``harmonic_combs.comb_log_mel``, whose bank the ``harmonic_comb`` head
  chooses from). Harmonic positions come from the pitch alone, so
  there are harmonics where the source has none. The oracle takes the F0 from
  the note's MIDI number; a head would estimate it from the source.
* ``chosen comb K`` and ``chosen partial_levels K``: the same with the comb the
  ``harmonic_comb`` head chooses from the source (its pitch estimate), and
  ``chosen comb + source K``: a gain on that comb plus one on the source's own
  fine structure (a head that could fall back on the source's comb where
  the chosen one has the wrong pitch).

A head whose ceiling is below an issue's goal cannot reach it however well
it is trained. Results: docs/results.md ("Notes that take on the target").

Usage:
  python scripts/head_oracles.py [--max_pairs=64] [--coefficients=12,24] [--only=name,...]
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_transforms.core.configs import AudioConfig, ModelConfig  # noqa: E402
from tf_transforms.data import pipeline
from tf_transforms.evaluation.judges import Judges, score_pair  # noqa: E402
from tf_transforms.model.heads import make_head  # noqa: E402
from tf_transforms.signal import harmonic_combs  # noqa: E402
from tf_transforms.signal import melspec, vocoding
from tf_transforms.signal.ops import dct_basis  # noqa: E402

flags.DEFINE_integer("max_pairs", 64, "Test pairs to score (in evaluate.py's order).")
flags.DEFINE_list("coefficients", ["12", "24"], "DCT coefficients K of the smooth curves.")
flags.DEFINE_list("only", [], "Score only these candidates (names as printed); all if empty.")
flags.DEFINE_string("soundfont", None, "Render gm_notes from this .sf2 (default: bundled).")
FLAGS = flags.FLAGS
LOW_NOTES = 52  # the test pitches where partial_levels lost its pitch (MIDI 39, 45, 51)


def _fitted(fines, target, basis):
  """Per frame, the least-squares fit of ``e B + Σ_i (g_i B) * fines[i]`` to
  the target (K coefficients per curve; fines: [T, F] each)."""
  fitted = np.empty_like(target)
  for t in range(len(target)):
    design = np.concatenate([basis.T] + [basis.T * fine[t][:, None] for fine in fines], 1)
    fitted[t] = design @ np.linalg.lstsq(design, target[t], rcond=None)[0]
  return fitted


def _with_fine(name, fine, target, basis, out):
  """The two heads' best outputs with fine structure ``fine`` [T, F]."""
  out[f"{name[0]} {len(basis)}"] = target @ (basis.T @ basis) + fine
  out[f"{name[1]} {len(basis)}"] = _fitted([fine], target, basis)


def candidates(source, target, coefficients, comb=None, chosen=None):
  """source, target: normalised log-mel [T, F], aligned; comb: a generated
  comb's log-mel frame [F] at the note's pitch, or None; chosen: the comb the
  harmonic_comb head chooses from the source [F], or None. -> {name: [T, F]}."""
  bins = target.shape[1]
  out = {"target": target}
  for k in coefficients:
    basis = dct_basis(k, bins)                                  # [K, F]
    smooth = basis.T @ basis
    fine = source - source @ smooth
    _with_fine(("source_filter", "partial_levels"), fine, target, basis, out)
    out[f"source_filter {k} + floor"] = np.maximum(out[f"source_filter {k}"], -1.0)
    out[f"partial_levels {k} + floor"] = np.maximum(out[f"partial_levels {k}"], -1.0)
    if comb is not None:
      comb_fine = np.broadcast_to(comb - comb @ smooth, target.shape)
      _with_fine(("generated comb", "generated partial_levels"), comb_fine, target, basis, out)
    if chosen is not None:
      chosen_fine = np.broadcast_to(chosen - chosen @ smooth, target.shape)
      _with_fine(("chosen comb", "chosen partial_levels"), chosen_fine, target, basis, out)
      out[f"chosen comb + source {k}"] = _fitted([chosen_fine, fine], target, basis)
  return out


def main(argv):
  del argv
  config = AudioConfig()
  coefficients = [int(k) for k in FLAGS.coefficients]
  index = pipeline.load_index("gm_notes", soundfont=FLAGS.soundfont)
  judges = Judges(index, config, cache_dir=index.data_dir)  # closed at exit
  vocode = tf.function(lambda log_mel: vocoding.log_mel_to_audio(log_mel, config))
  picker = make_head(ModelConfig(output_head="harmonic_comb"), config)
  bank = harmonic_combs.bank_log_mel(config)
  records, names, combs, pitches = [], None, {}, []
  for batch in pipeline.pair_dataset(index, "test", 16, seed=0, epochs=1, cache_features=True,
                                 audio_config=config):
    for i in range(int(batch["source"].shape[0])):
      if len(records) >= FLAGS.max_pairs:
        break
      frames = int(batch["target_length"][i])
      target = batch["target"][i, :frames].numpy()
      source = np.zeros_like(target)
      shared = min(frames, int(batch["source_length"][i]))
      source[:shared] = batch["source"][i, :shared].numpy()
      content = index.content[int(batch["target_row"][i])].item()
      if content not in combs:
        combs[content] = harmonic_combs.comb_log_mel(content, config)[0]
      chosen = bank[int(picker.choose_combs(source[None, :shared], [shared])[0])]
      built = candidates(source, target, coefficients, combs[content], chosen)
      if FLAGS.only:
        built = {name: frames for name, frames in built.items() if name in FLAGS.only}
      names = list(built)
      log_mel = melspec.denormalize_log_spectrogram(np.stack(list(built.values())), config)
      waveforms = vocode(log_mel).numpy()[:, :(frames - 1) * config.frame_step]
      judged = dict(zip([name + "/" for name in built], judges.judge_many(
          [(waveforms[j], log_mel[j].numpy(), content, None) for j in range(len(built))])))
      pitches.append(content)
      records.append(score_pair(judges, judged, judges.recording(int(batch["source_row"][i])),
                                judges.recording(int(batch["target_row"][i])),
                                int(batch["source_style"][i]), int(batch["target_style"][i]),
                                content))
  print(f"{len(records)} test pairs of gm_notes; each candidate vocoded by the mel inverse "
        "and Griffin-Lim")
  low = np.array(pitches) < LOW_NOTES
  print("| best possible output of | MCD dB | closer to target | target style | "
        f"source style | pitch ±50 cents | "
        f"pitch ±50 cents, MIDI < {LOW_NOTES} ({low.sum()} pairs) |")
  print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
  for name in names or []:
    prefix = name + "/"

    def share(measure, prefix=prefix):
      return f"{np.mean([r[prefix + measure] for r in records]):.0%}"
    mcd = np.mean([r[prefix + "mcd"] for r in records])
    within = np.array([abs(r[prefix + "pitch_cents"]) <= 50 for r in records])
    print(f"| {name} | {mcd:.2f} | {share('closer_to_target')} | {share('style_recognised')} | "
          f"{share('source_style_recognised')} | {within.mean():.0%} | "
          f"{within[low].mean() if low.any() else float('nan'):.0%} |")


if __name__ == "__main__":
  app.run(main)
