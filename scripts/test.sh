#!/usr/bin/env bash
# The test command: sets up ./.venv, then runs the whole suite, slow tests included,
# on PYTEST_WORKERS (default 2) processes that take tests as they free up (xdist's
# worksteal: the long end-to-end tests of one file run on both cores). Expensive
# fixtures are shared across workers (tests/conftest.py); a module fixture runs
# at most once per worker. PYTEST_WORKERS=0 runs in one process.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
python -m pytest -ra -n "${PYTEST_WORKERS:-2}" --dist worksteal "$@"
