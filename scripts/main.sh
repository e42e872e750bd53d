#!/usr/bin/env bash
# The main job. For now: the audio front-end round trip (log-mel -> in-graph
# vocoder -> WAV) with its quality numbers, and the front-end benchmark.
# Training / evaluation / export on the embedded dataset replace this as
# issues #3-#6 land.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
mkdir -p outputs
python examples/resynthesize.py --output=outputs/resynthesized.wav --overwrite "$@"
python bench/frontend.py
