#!/usr/bin/env bash
# Set up (first time) and run the whole platform locally: broker, PostgreSQL, processor, demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
exec .venv/bin/trygg up "$@"
