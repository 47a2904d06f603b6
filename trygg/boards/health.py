"""Pipeline health, for operators: ingest, rejections, delay, whether each source still reports, and what the
outbox still holds (accepted, not yet counted)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import table, timeseries

from trygg.boards import queries as q
from trygg.boards.sdk import DATASOURCE, Sql
from trygg.texts import BOARD, text

UID = "trygg-pipeline-health"


def board() -> db.Dashboard:
    return (
        db.Dashboard(text(BOARD, "health_board")).uid(UID).tags(["trygg", "drift"])
        .timezone("Europe/Stockholm").time("now-24h", "now").refresh("1m")
        .with_panel(
            timeseries.Panel().title(text(BOARD, "ingest_title")).datasource(DATASOURCE)
            .with_target(Sql(q.INGEST)).height(8).span(12)
        )
        .with_panel(
            timeseries.Panel().title(text(BOARD, "rejected_title")).datasource(DATASOURCE)
            .with_target(Sql(q.REJECTED)).height(8).span(12)
        )
        .with_panel(
            timeseries.Panel().title(text(BOARD, "delay_title"))
            .datasource(DATASOURCE).with_target(Sql(q.DELAY)).unit("s").height(8).span(12)
        )
        .with_panel(
            table.Panel().title(text(BOARD, "last_event_title")).datasource(DATASOURCE)
            .with_target(Sql(q.LAST_EVENT)).unit("dateTimeFromNow").height(8).span(12)
        )
        .with_panel(
            table.Panel().title(text(BOARD, "outbox_title")).datasource(DATASOURCE)
            .with_target(Sql(q.OUTBOX)).height(5).span(24)
        )
    )
