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
run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pip python3-venv libseccomp2
run python3 -m venv "$ROOT/venv"
run "$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
run "$ROOT/venv/bin/python" -m pip install --quiet "$ROOT/source"
# The course files (quiz keys, the instructor's notebooks) and the installed reference are for
# root only: on a host where the worker keeps the host's filesystem (no mount namespace, no
# Landlock), its uid of its own cannot read them. NumPy and the standard library stay readable.
run chmod -R go-rwx "$ROOT/source"
for package in "$ROOT"/venv/lib/python3*/site-packages/reference "$ROOT"/venv/lib/python3*/site-packages/autograder; do
    run chmod -R go-rwx "$package"
done
