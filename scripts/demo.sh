#!/usr/bin/env bash
# Set up from nothing, then build a dataset from real photos and show it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh demo
.venv/bin/python examples/demo.py "$@"
