"""`trygg report`: the effect table in the terminal, PNG charts and one HTML page for an agreement."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from trygg.settings import Settings


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.render_report import render_report

    try:
        report = render_report(settings, args.agreement, Path(args.out) if args.out else None, args.until)
    except LookupError as exc:
        print(f"error: {exc}")
        return 2
    print(report.table)
    print(f"rapport: {report.page.resolve()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="effect table, PNG charts and an HTML page for one agreement")
    report.add_argument("--agreement", required=True, help="agreement id, e.g. alidhem")
    report.add_argument("--out", help="output folder (default: STATE_DIR/reports/<agreement id>/)")
    report.add_argument("--until", type=date.fromisoformat,
                        help="first day not included (YYYY-MM-DD; default today, whose day is not over)")
    report.set_defaults(run=_report)
