"""`trygg surveys import FILE`: survey results (trygghetsmätning, NTU questions) into the platform."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from trygg.settings import Settings
from trygg.texts import cli_help, say


def register(sub: Any) -> None:
    """Add `surveys import` to the `trygg` subcommands."""
    surveys = sub.add_parser("surveys", help=cli_help("help_surveys")).add_subparsers(dest="action", required=True)
    load = surveys.add_parser("import", help=cli_help("help_surveys_import"))
    load.add_argument("path", type=Path)
    load.add_argument("--format", choices=("csv", "json"), help=cli_help("help_surveys_format"))
    load.add_argument("--json", action="store_true", help=cli_help("help_surveys_json"))
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
        print(f"{args.path}: " + say("surveys_queued", rows=parsed.rows, form=parsed.form, waves=len(parsed.waves),
                                     topic=settings.topic_surveys_reported))
        for wave in parsed.waves:
            questions = ", ".join(f"{r.question_id} ({say('respondents', respondents=r.respondents)})"
                                  for r in wave.results)
            print(f"  {wave.area_id} {wave.wave} {wave.fielded_from}–{wave.fielded_until}: {questions}")
    else:
        print(f"{args.path}: {say('surveys_refused', problems=len(parsed.errors))}:", file=sys.stderr)
        for e in parsed.errors:
            where = f"{say('survey_row')} {e.row}" if e.row else say("survey_file")
            print(f"  {where}: {e.field or '-'}: {e.reason}: {e.message}", file=sys.stderr)
    return 0 if outcome.ok else 1
