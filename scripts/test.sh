#!/usr/bin/env bash
# Set up (first time) and run the whole test suite against a real broker and real databases.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# The TimescaleDB tier runs inside PGlite (Node); its npm packages are installed here.
(cd deploy/pglite && { [ -d node_modules ] || npm install --silent --no-audit --no-fund --legacy-peer-deps; })
# Headless Chromium opens the HTML report in tests/integration/test_report.py and, through chromedriver,
# fills in the report form in tests/integration/test_report_form.py.
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }
exec .venv/bin/python -m pytest "$@"
