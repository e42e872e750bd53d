#!/usr/bin/env bash
# The test command: sets up ./.venv, then runs the whole suite, slow tests included,
# one test file per worker on PYTEST_WORKERS (default 2) processes: module fixtures
# (a trained run, an export) stay in one worker. PYTEST_WORKERS=0 runs in one process.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
python -m pytest -ra -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
