#!/usr/bin/env bash
# Table 2 (the four methods) and Table 3 (acoustic context sweep) on gm_notes,
# every run under the same budget (STEPS, default 700 steps of the default
# preset, checkpointed at half-way; ~12 min each on 2 quiet CPU cores, ten runs).
# Results: outputs/table2/, outputs/table3/.
#
# Table 2 trains the four methods with the paper's output head (--output_head=
# direct), so that they differ only in what the paper's Table 2 varies, and
# adds ours and LAS with the source_filter head (the default until 0.2) (docs/results.md, "Pitch on
# unseen notes"). Table 3 sweeps the context of the paper's model (ours with
# the direct head), the model the paper's Table 3 is about.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
STEPS="${STEPS:-700}"
RUNS="${RUNS:-runs/tables}"
train() { python train.py --dataset=gm_notes --preset=default --steps="$STEPS" \
              --checkpoint_every=$(( (STEPS + 1) / 2 )) "$@"; }
table2=()
for method in ours las seq2seq cseq2seq; do
  train --model="$method" --output_head=direct --model_dir="$RUNS/$method"
  table2+=(--model_dir="$RUNS/$method")
done
for method in ours las; do
  train --model="$method" --output_head=source_filter --model_dir="$RUNS/${method}_source_filter"
  table2+=(--model_dir="$RUNS/${method}_source_filter")
done
python evaluate.py --output_dir=outputs/table2 --overwrite "${table2[@]}"
sweep=()
for context_ms in 12.5 25 50 100 200; do
  dir="$RUNS/context_${context_ms}ms"
  if [ "$context_ms" = 25 ]; then dir="$RUNS/ours"; fi  # the default context
  train --model=ours --output_head=direct --context_ms="$context_ms" --model_dir="$dir"
  sweep+=(--model_dir="$dir")
done
python evaluate.py --output_dir=outputs/table3 --overwrite --sweep=context_ms "${sweep[@]}"
