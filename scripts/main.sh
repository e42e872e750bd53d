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
RUN=runs/main_ours
python train.py --dataset=gm_notes --model=ours --preset=default --steps="$STEPS" \
    --checkpoint_every=500 --model_dir="$RUN" "$@" &
train=$!
# Beside the training, at the lowest CPU priority: the evaluation's
# model-independent judgements (the style classifier's features, the real
# recordings', the vocoded true targets') into the judges' cache, once the
# training has prepared the dataset and written the run's configuration. On a
# first run it saves the evaluation ~70 s and slows the training ~33 s; a
# second run finds them cached (docs/evaluation.md, "Judged beside the training").
(
  while [ ! -e "$RUN/run_config.json" ] && kill -0 "$train" 2>/dev/null; do sleep 1; done
  if [ -e "$RUN/run_config.json" ]; then
    nice -n 19 python evaluate.py --warm_cache --model_dir="$RUN" > /dev/null \
      || echo "main.sh: preparing the judges' cache failed; the evaluation will judge everything"
  fi
) &
warm=$!
stop_warming() { pkill -TERM -P "$warm" 2>/dev/null || true; kill "$warm" 2>/dev/null || true; }
trap 'stop_warming; kill "$train" 2>/dev/null || true' INT TERM
status=0
wait "$train" || status=$?
if [ "$status" -ne 0 ]; then
  stop_warming
  exit "$status"
fi
wait "$warm" || true
python evaluate.py --model_dir="$RUN" --output_dir=outputs/main --overwrite
