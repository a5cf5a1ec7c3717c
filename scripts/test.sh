#!/usr/bin/env bash
# Set up from nothing, then run the whole test suite against a real mongod.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/python -m pytest "$@"
