#!/usr/bin/env bash
# The test command: sets up ./.venv, then runs the whole suite, slow tests included.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
python -m pytest -ra "$@"
