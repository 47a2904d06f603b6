#!/usr/bin/env bash
# Shared by up.sh and test.sh: a project virtualenv with pinned dependencies (idempotent, quiet when done).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${1:-run}
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    if [ "${1:-run}" = test ]; then
        .venv/bin/python -m pip install --quiet -e ".[test]"
    else
        .venv/bin/python -m pip install --quiet -e .
    fi
    touch "$stamp"
fi
