#!/usr/bin/env bash
# Run by Snakemake once, inside the new conda environment of envs/emgmm.yaml:
# install the emgmm package of this checkout (its dependencies come from conda).
set -euo pipefail
python -m pip install --no-deps --no-build-isolation -e "$(dirname "${BASH_SOURCE[0]}")/.."
