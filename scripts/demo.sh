#!/usr/bin/env bash
# Set everything up and run the main job: route example prompts and show each decision.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh "langchain,llamaindex,plot"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec .venv/bin/python examples/demo.py "$@"
