#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu 22.04 base
# image or newer: the grader needs Python 3.10+). It installs Python and this bundle's
# `autograder` into a venv that run_autograder puts first on PATH.
#
# AUTOGRADER_ROOT (default /autograder) relocates everything, for trying the bundle locally;
# AUTOGRADER_DRY_RUN=1 prints the commands instead of running them.
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"

run() {
    if [ -n "${AUTOGRADER_DRY_RUN:-}" ]; then
        echo "+ $*"
    else
        "$@"
    fi
}

run apt-get update
run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pip python3-venv
run python3 -m venv "$ROOT/venv"
run "$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
run "$ROOT/venv/bin/python" -m pip install --quiet "$ROOT/source"
