#!/usr/bin/env bash
# Create (or reuse) .venv in the checkout and install the project with the extras given as arguments.
# torch is installed first as the CPU wheel 2.13.0: an unpinned torch would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtual environment .venv ..."
    "$python" -m venv .venv
fi
if ! .venv/bin/python -c "import sys; sys.exit(sys.version_info < (3, 11))"; then
    echo "error: the project needs Python 3.11 or newer; .venv has $(.venv/bin/python -V 2>&1)." \
         "Remove .venv and run again with PYTHON=python3.11 (or newer)." >&2
    exit 1
fi
# pip runs quietly (-q): each step says beforehand what it installs and how long it may take.
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    echo "Installing torch 2.13.0 (CPU wheel, about 200 MB; a few minutes on a fresh machine) ..."
    pip install "torch==2.13.0"
fi
echo "Installing the project${extras:+ with extras [$extras]} and its dependencies" \
     "(transformers, sentence-transformers, ...; a few minutes on a fresh machine) ..."
pip install -e ".${extras:+[$extras]}"
echo "Environment ready: .venv"
