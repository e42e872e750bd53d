#!/usr/bin/env bash
# The main job: train `ours` on the embedded gm_notes dataset (rendered locally,
# nothing downloaded), then evaluate it on unseen pitches against the
# copy-the-source baseline: Table 2 row, Figures 2-3, example WAVs.
# Rerunning resumes / reuses the finished run; results go to outputs/main/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
STEPS="${STEPS:-4000}"
python train.py --dataset=gm_notes --model=ours --preset=default --steps="$STEPS" \
    --checkpoint_every=500 --model_dir=runs/main_ours "$@"
python evaluate.py --model_dir=runs/main_ours --output_dir=outputs/main --overwrite
