#!/usr/bin/env bash
# Install R and mclust 6.0 from Debian's packages, for tests/library/test_mclust.py.
# Exits 0 if `Rscript -e 'library(mclust)'` works afterwards; non-zero with
# one line on stderr when it cannot (no apt-get, not root, install failed).
set -euo pipefail
if Rscript -e 'suppressMessages(library(mclust))' >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_r.sh: apt-get not found; install R and the mclust package by hand" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo="sudo -n"
    else
        echo "install_r.sh: need root (or password-less sudo) to apt-get install r-cran-mclust" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends r-cran-mclust >/dev/null
Rscript -e 'suppressMessages(library(mclust))' >/dev/null
