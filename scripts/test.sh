#!/usr/bin/env bash
# Set everything up and run the whole test suite (the command .ci/run calls).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh "langchain,llamaindex,plot,test"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
