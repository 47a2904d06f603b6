"""`trygg report`: the effect table in the terminal, PNG charts and one HTML page for an agreement."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from trygg.settings import Settings
from trygg.texts import cli_help, say


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.render_report import render_report

    try:
        report = render_report(settings, args.agreement, Path(args.out) if args.out else None, args.until)
    except LookupError as exc:
        print(f"{say('error')}: {exc}")
        return 2
    print(report.table)
    print(f"{say('report_page')}: {report.page.resolve()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help=cli_help("help_report"))
    report.add_argument("--agreement", required=True, help=cli_help("help_report_agreement"))
    report.add_argument("--out", help=cli_help("help_report_out"))
    report.add_argument("--until", type=date.fromisoformat, help=cli_help("help_until"))
    report.set_defaults(run=_report)
