"""`trygg report`: an agreement's effect table, PNG charts and one self-contained HTML page, for the
partners who have no Grafana."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import psycopg

from trygg.domain.buckets import STOCKHOLM
from trygg.report.charts import write_charts
from trygg.report.data import ReportData, load_report_data
from trygg.report.page import render_page


def write_report(conn: psycopg.Connection, agreement_id: str, out: Path, until: date | None = None) -> ReportData:
    """Write the charts and index.html for `agreement_id` into `out`; returns the data they show.

    `until` is the exclusive end of the data (default today in Stockholm, whose day is not over).
    """
    until = until or datetime.now(STOCKHOLM).date()
    data = load_report_data(conn, agreement_id, until)
    out.mkdir(parents=True, exist_ok=True)
    charts = write_charts(data, out)
    (out / "index.html").write_text(render_page(data, charts), encoding="utf-8")
    return data
