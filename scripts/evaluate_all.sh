#!/usr/bin/env bash
# Regenerate docs/evaluation.md's comparison tables and docs/evaluation/{mmlu,gsm8k}.{png,svg,json}
# on the paper's evaluation files. Arguments: routers to evaluate (default: every bundled router).
# The data folder defaults to ../shared/data/routellm_evals beside the checkout (ROUTELLM_EVALS_DIR overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${ROUTELLM_EVALS_DIR:-../shared/data/routellm_evals}"
if [ ! -x .venv/bin/python ]; then
    bash scripts/bootstrap.sh "plot"
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec .venv/bin/python -m routellm_core.evaluation.docs_report --data "$data" --docs docs "$@"
