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
    echo "installing Python dependencies into .venv (log: .venv/pip.log)…"
    extras=""
    [ "${1:-run}" = test ] && extras="[test]"
    if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e ".$extras"; } \
            > .venv/pip.log 2>&1; then
        tail -40 .venv/pip.log
        exit 1
    fi
    touch "$stamp"
fi
