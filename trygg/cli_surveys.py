"""`trygg surveys import FILE`: survey results (trygghetsmätning, NTU questions) into the platform."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from trygg.settings import Settings


def register(sub: Any) -> None:
    """Add `surveys import` to the `trygg` subcommands."""
    surveys = sub.add_parser("surveys", help="perceived-safety surveys").add_subparsers(dest="action", required=True)
    load = surveys.add_parser("import", help="import survey waves from CSV or JSON (all rows or none)")
    load.add_argument("path", type=Path)
    load.add_argument("--format", choices=("csv", "json"), help="default: from the file name (.json, else CSV)")
    load.add_argument("--json", action="store_true", help="print the outcome as JSON")
    load.set_defaults(run=_import)


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.adapters.database import connect
    from trygg.app.surveys import import_survey_file

    with connect(settings.database_url) as conn:
        outcome = import_survey_file(conn, args.path, args.format)
    parsed = outcome.parsed
    if args.json:
        print(json.dumps({
            "ok": outcome.ok, "form": parsed.form, "rows": parsed.rows, "waves_queued": outcome.queued,
            "waves": [{"area_id": w.area_id, "wave": w.wave, "questions": [r.question_id for r in w.results]}
                      for w in parsed.waves],
            "errors": [e.__dict__ for e in parsed.errors],
        }, ensure_ascii=False, indent=2))
    elif outcome.ok:
        print(f"{args.path}: {parsed.rows} rows ({parsed.form}), {len(parsed.waves)} waves queued for "
              f"{settings.topic_surveys_reported} (the relay publishes them; a re-imported wave replaces the old one)")
        for wave in parsed.waves:
            questions = ", ".join(f"{r.question_id} ({r.respondents} svarande)" for r in wave.results)
            print(f"  {wave.area_id} {wave.wave} {wave.fielded_from}–{wave.fielded_until}: {questions}")
    else:
        print(f"{args.path}: nothing imported, {len(parsed.errors)} problems:", file=sys.stderr)
        for e in parsed.errors:
            where = f"row {e.row}" if e.row else "file"
            print(f"  {where}: {e.field or '-'}: {e.reason}: {e.message}", file=sys.stderr)
    return 0 if outcome.ok else 1
