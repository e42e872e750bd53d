#!/usr/bin/env bash
# Table 2 (the four methods) and Table 3 (acoustic context sweep) on gm_notes,
# every run under the same budget (STEPS, default 1500 steps of the default
# preset, ~5 min each on 2 CPU cores). Results: outputs/table2/, outputs/table3/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
STEPS="${STEPS:-1500}"
RUNS="${RUNS:-runs/tables}"
train() { python train.py --dataset=gm_notes --preset=default --steps="$STEPS" \
              --checkpoint_every=500 "$@"; }
for method in ours las seq2seq cseq2seq; do
  train --model="$method" --model_dir="$RUNS/$method"
done
python evaluate.py --output_dir=outputs/table2 --overwrite \
    --model_dir="$RUNS/ours" --model_dir="$RUNS/las" \
    --model_dir="$RUNS/seq2seq" --model_dir="$RUNS/cseq2seq"
sweep=()
for context_ms in 12.5 25 50 100 200; do
  dir="$RUNS/context_${context_ms}ms"
  if [ "$context_ms" = 25 ]; then dir="$RUNS/ours"; fi  # the default context
  [ -d "$dir" ] || train --model=ours --context_ms="$context_ms" --model_dir="$dir"
  sweep+=(--model_dir="$dir")
done
python evaluate.py --output_dir=outputs/table3 --overwrite --sweep=context_ms "${sweep[@]}"
