"""Use case: an agreement's report for partners without Grafana: PNG charts and one self-contained HTML page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from schemas.agreement import IDENTIFIER_PATTERN
from trygg.adapters.database import connect
from trygg.app.estimate_effect import effect_table, safety_table
from trygg.report import write_report
from trygg.settings import Settings
from trygg.texts import say


@dataclass(frozen=True)
class Report:
    page: Path  # index.html
    table: str  # the effect and perceived-safety tables, as `trygg effect` prints them


def default_out(settings: Settings, agreement_id: str) -> Path:
    """STATE_DIR/reports/<agreement id>; LookupError for what is no agreement id (".." would be STATE_DIR)."""
    if len(agreement_id) > 64 or not re.fullmatch(IDENTIFIER_PATTERN, agreement_id):
        raise LookupError(f"{say('not_agreement_id')}: {agreement_id!r}")
    return settings.state_dir / "reports" / agreement_id


def render_report(settings: Settings, agreement_id: str, out: Path | None = None, until: date | None = None) -> Report:
    """Write the report into `out` (default STATE_DIR/reports/<agreement id>); LookupError for an unknown agreement."""
    out = out or default_out(settings, agreement_id)
    with connect(settings.database_url) as conn:
        data = write_report(conn, agreement_id, out, until)
    tables = effect_table(data.name, None, data.effects, data.activity) + "\n\n" + safety_table(data.safety)
    return Report(out / "index.html", tables)
