"""`trygg report`: the effect table in the terminal, PNG charts and one HTML page for an agreement."""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

from trygg.settings import Settings


def default_out(settings: Settings, agreement_id: str) -> Path:
    """STATE_DIR/reports/<agreement id>; LookupError for what is no agreement id (".." would be STATE_DIR)."""
    from schemas.agreement import IDENTIFIER_PATTERN

    if len(agreement_id) > 64 or not re.fullmatch(IDENTIFIER_PATTERN, agreement_id):
        raise LookupError(f"{agreement_id!r} is not an agreement id (letters, digits and _.:- , first a letter or digit)")
    return settings.state_dir / "reports" / agreement_id


def make_report(settings: Settings, agreement_id: str, out: Path | None = None, until: date | None = None) -> Path:
    """Write the report, print the effect and perceived-safety tables and return the path of index.html."""
    from schemas import CATEGORY_LABELS
    from trygg.adapters.database import connect
    from trygg.cli_effect import effect_table, safety_table
    from trygg.report import write_report

    out = out or default_out(settings, agreement_id)
    with connect(settings.database_url) as conn:
        data = write_report(conn, agreement_id, out, until)
    labels = {category.value: sv for category, (sv, _) in CATEGORY_LABELS.items()}
    print(effect_table(data.name, None, data.effects, data.activity, labels))
    print()
    print(safety_table(data.safety))
    return out / "index.html"


def _report(settings: Settings, args: argparse.Namespace) -> int:
    try:
        page = make_report(settings, args.agreement, Path(args.out) if args.out else None, args.until)
    except LookupError as exc:
        print(f"error: {exc}")
        return 2
    print(f"rapport: {page.resolve()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="effect table, PNG charts and an HTML page for one agreement")
    report.add_argument("--agreement", required=True, help="agreement id, e.g. alidhem")
    report.add_argument("--out", help="output folder (default: STATE_DIR/reports/<agreement id>/)")
    report.add_argument("--until", type=date.fromisoformat,
                        help="first day not included (YYYY-MM-DD; default today, whose day is not over)")
    report.set_defaults(run=_report)
