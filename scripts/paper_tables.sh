#!/usr/bin/env bash
# Table 2 (the four methods) and Table 3 (acoustic context sweep), every run
# under the same budget, checkpointed at half-way.
#
#   bash scripts/paper_tables.sh                       # notes: gm_notes, 700 steps, ten runs
#   DATASET=tts_words bash scripts/paper_tables.sh     # words: tts_words, 1000 steps, eight runs
#
# Results: outputs/table2/, outputs/table3/ (notes) and outputs/table2_words/,
# outputs/table3_words/ (words). STEPS, RUNS and MAX_PAIRS override the budget,
# the runs' directory and the number of test pairs evaluated (words: 200).
#
# Table 2 trains the four methods with the paper's output head (direct), so
# that they differ only in what the paper's Table 2 varies. On notes it adds
# ours and LAS with the source_filter head (the default until 0.2)
# (docs/results.md, "Pitch on unseen notes"); on words direct is every
# method's default and the guided-attention loss is on for the methods with
# attention (ours, LAS), as `python train.py --dataset=tts_words` trains.
# Table 3 sweeps the context of the paper's model (ours with the direct head).
#
# The trainings are independent: running a copy of a `train` line by hand in
# a second shell uses the second core, and this script then finds that run
# finished (a finished run reruns as a no-op).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
DATASET="${DATASET:-gm_notes}"
case "$DATASET" in
  gm_notes) STEPS="${STEPS:-700}"; RUNS="${RUNS:-runs/tables}"; suffix=""
            MAX_PAIRS="${MAX_PAIRS:-}"; extra_heads=(source_filter)
            paper=(--frame_loss=mse --dataset_config=as_played --mel_inverse_prior=none
                   --postfilter=none --unknown_source_share=0) ;;
  tts_words) STEPS="${STEPS:-1000}"; RUNS="${RUNS:-runs/tables_words}"; suffix="_words"
             MAX_PAIRS="${MAX_PAIRS:-200}"; extra_heads=(); paper=(--unknown_source_share=0) ;;
  *) echo "paper_tables.sh: DATASET must be gm_notes or tts_words, not '$DATASET'" >&2; exit 2 ;;
esac
pairs=()
if [ -n "$MAX_PAIRS" ]; then pairs=(--max_pairs="$MAX_PAIRS"); fi
# Notes keep the paper's setup: its mean squared error (the notes' default is
# L1 since 0.5), its data (no detuned training notes: gm_notes/as_played) and
# the plain mel inverse (the harmonic prior is the notes' default since 0.7)
# and no post-filter (ours' global-variance post-filter is the notes' default since 0.9);
# on both datasets every source named, as the paper trains (0.11 hides a quarter).
train() { python train.py --dataset="$DATASET" --preset=default --steps="$STEPS" \
              --checkpoint_every=$(( (STEPS + 1) / 2 )) "${paper[@]}" "$@"; }
table2=()
# Table 2 at 25 ms of context per encoder step for both datasets (the notes'
# default; words default to 12.5 ms since session 14), so the sweep below can
# reuse its `ours` run as its 25 ms row.
for method in ours las seq2seq cseq2seq; do
  train --model="$method" --output_head=direct --context_ms=25 --model_dir="$RUNS/$method"
  table2+=(--model_dir="$RUNS/$method")
done
for head in "${extra_heads[@]}"; do
  for method in ours las; do
    train --model="$method" --output_head="$head" --context_ms=25 \
        --model_dir="$RUNS/${method}_$head"
    table2+=(--model_dir="$RUNS/${method}_$head")
  done
done
python evaluate.py --output_dir="outputs/table2$suffix" --overwrite "${pairs[@]}" "${table2[@]}"
sweep=()
for context_ms in 12.5 25 50 100 200; do
  dir="$RUNS/context_${context_ms}ms"
  if [ "$context_ms" = 25 ]; then dir="$RUNS/ours"; fi  # Table 2's run
  train --model=ours --output_head=direct --context_ms="$context_ms" --model_dir="$dir"
  sweep+=(--model_dir="$dir")
done
python evaluate.py --output_dir="outputs/table3$suffix" --overwrite --sweep=context_ms \
    "${pairs[@]}" "${sweep[@]}"
