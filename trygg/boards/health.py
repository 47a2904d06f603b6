"""Pipeline health, for operators: ingest, rejections, delay, and whether each source still reports."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import table, timeseries

from trygg.boards import queries as q
from trygg.boards.sdk import DATASOURCE, Sql

UID = "trygg-pipeline-health"


def board() -> db.Dashboard:
    return (
        db.Dashboard("Pipeline: hälsa").uid(UID).tags(["trygg", "drift"])
        .timezone("Europe/Stockholm").time("now-24h", "now").refresh("1m")
        .with_panel(
            timeseries.Panel().title("Lagrade händelser per intervall och källa").datasource(DATASOURCE)
            .with_target(Sql(q.INGEST)).height(8).span(12)
        )
        .with_panel(
            timeseries.Panel().title("Avvisade händelser per orsak").datasource(DATASOURCE)
            .with_target(Sql(q.REJECTED)).height(8).span(12)
        )
        .with_panel(
            timeseries.Panel().title("Fördröjning från händelse till lagring (median och 95:e percentil)")
            .datasource(DATASOURCE).with_target(Sql(q.DELAY)).unit("s").height(8).span(12)
        )
        .with_panel(
            table.Panel().title("Senaste händelse per källa").datasource(DATASOURCE)
            .with_target(Sql(q.LAST_EVENT)).unit("dateTimeFromNow").height(8).span(12)
        )
    )
