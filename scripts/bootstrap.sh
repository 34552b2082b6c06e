#!/usr/bin/env bash
# Create (or reuse) .venv in the checkout and install the project with the extras given as arguments.
# torch is installed first as the CPU wheel 2.13.0: an unpinned torch would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    echo "Installing torch 2.13.0 (CPU) ..."
    pip install "torch==2.13.0"
fi
echo "Installing the project${extras:+ with extras [$extras]} ..."
pip install -e ".${extras:+[$extras]}"
