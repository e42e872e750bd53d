r"""Evaluate trained runs on unseen content: Table 2, Table 3, Figures 2 and 3.

Usage:
  python evaluate.py --model_dir=runs/gm_notes_ours
  python evaluate.py --model_dir=runs/ours --model_dir=runs/las --model_dir=runs/seq2seq \
      --model_dir=runs/cseq2seq                                    # Table 2
  python evaluate.py --sweep=context_ms --model_dir=runs/ctx12.5 --model_dir=runs/ctx25 ...

Writes to --output_dir: table2.md (and table3.md for a sweep), results.json
(every number, per pair too), figure2_<run>.png with the example WAVs in
<run>/, and figure3_<run>.png (notes). Existing results are not overwritten
unless --overwrite.
"""

import json
import os

from absl import app, flags

from tf_transforms import flags as tft_flags

tft_flags.define_evaluate_flags()
flags.adopt_module_key_flags(tft_flags)
FLAGS = flags.FLAGS


def main(argv):
  del argv
  if not FLAGS.model_dir:
    raise app.UsageError("give at least one --model_dir (a finished train.py run)")
  from tf_transforms import data, evaluation  # after flag parsing: TF starts up here
  runs = [evaluation.load_run(d) for d in FLAGS.model_dir]
  first = runs[0].config
  for run in runs[1:]:
    if (run.config.dataset, run.config.dataset_config, run.config.soundfont,
        run.config.audio) != (first.dataset, first.dataset_config, first.soundfont, first.audio):
      raise app.UsageError(f"{run.model_dir} was trained on other data or features than "
                           f"{runs[0].model_dir}; evaluate them separately")
  index = data.load_index(first.dataset, data_dir=FLAGS.data_dir, manual_dir=FLAGS.manual_dir,
                          config=first.dataset_config, soundfont=first.soundfont)
  for run in runs:
    if run.vocabulary != index.vocabulary:
      raise app.UsageError(f"{run.model_dir}/styles.json does not match the dataset's styles")
  os.makedirs(FLAGS.output_dir, exist_ok=True)
  classifier, accuracy = evaluation.train_style_classifier(index, first.audio)
  print(f"style classifier: {accuracy:.1%} accuracy on vocoded real test-split clips "
        f"({len(index.vocabulary)} styles; the ceiling for 'target style recognised')")

  rows, sweep_rows, results = [], [], {"dataset": first.dataset,
                                       "style_classifier_test_accuracy": accuracy, "runs": {}}
  recording_pitch_cache = {}  # (row, note) -> cents: real audio, the same for every run
  for number, run in enumerate(runs):
    records, examples = evaluation.evaluate_run(run, index, classifier,
                                                max_pairs=FLAGS.max_pairs, seed=FLAGS.seed,
                                                recording_pitch_cache=recording_pitch_cache)
    if number == 0:
      baseline = evaluation.summarize(records, prefix="copy_")
      rows.append(("copy the source (output = input)", baseline))
      results["copy_baseline"] = baseline
      ceiling = evaluation.summarize(records, prefix="oracle_")
      rows.append(("vocoded true target (ceiling)", ceiling))
      results["vocoded_target"] = ceiling
      if run.config.dataset in evaluation.PITCHED:
        results["real_target_pitch"] = evaluation.pitch_summary(records,
                                                                "real_target_pitch_cents")
    summary = evaluation.summarize(records)
    rows.append((f"{run.config.model.method} ({run.label})", summary))
    sweep_rows.append((run.config.model.context_frames * 12.5, run.label, summary))
    results["runs"][run.label] = {"model_dir": run.model_dir, "summary": summary,
                                  "run_config": run.config.to_json(), "pairs": records}
    run_dir = os.path.join(FLAGS.output_dir, run.label)
    os.makedirs(run_dir, exist_ok=True)
    evaluation.write_example_audio(examples, run_dir, run.config.audio, FLAGS.overwrite)
    evaluation.figure_2(examples, os.path.join(FLAGS.output_dir, f"figure2_{run.label}.png"),
                        run.config.audio)
    if run.config.dataset in evaluation.PITCHED:
      evaluation.figure_3(run, index, os.path.join(FLAGS.output_dir, f"figure3_{run.label}.png"))

  outputs = {"table2.md": evaluation.table_2(rows)}
  if "real_target_pitch" in results:
    pitch_rows = [("real target audio (no vocoder)", results["real_target_pitch"])] + rows
    outputs["pitch.md"] = evaluation.pitch_table(pitch_rows)
  if FLAGS.sweep == "context_ms":
    outputs["table3.md"] = evaluation.table_3(sweep_rows)
  elif FLAGS.sweep:
    raise app.UsageError(f"--sweep supports context_ms only. Received {FLAGS.sweep!r}")
  for name, text in outputs.items():
    evaluation.write_output(os.path.join(FLAGS.output_dir, name), text + "\n", FLAGS.overwrite)
    print(f"\n{name}:\n{text}")
  evaluation.write_output(os.path.join(FLAGS.output_dir, "results.json"),
                          json.dumps(results, indent=1, default=float), FLAGS.overwrite)
  print(f"\nwrote {FLAGS.output_dir}/")


if __name__ == "__main__":
  app.run(main)
