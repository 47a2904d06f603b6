"""The municipality overview: every agreement side by side with its effect and trend."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import table, timeseries

from trygg.boards import queries as q
from trygg.boards.sdk import DATASOURCE, SUPPRESSED, Sql, query_variable
from trygg.texts import BOARD, text

UID = "trygg-municipality"


def board() -> db.Dashboard:
    return (
        db.Dashboard(text(BOARD, "municipality_board")).uid(UID).tags(["trygg"])
        .timezone("Europe/Stockholm").time("now-3y", "now").refresh("")
        .with_variable(query_variable("municipality", text(BOARD, "municipality"), q.VAR_MUNICIPALITY,
                                      multi=True, include_all=True))
        .with_panel(
            table.Panel().title(text(BOARD, "overview_title"))
            .datasource(DATASOURCE).with_target(Sql(q.OVERVIEW)).mappings(SUPPRESSED).height(10).span(24)
        )
        .with_panel(
            timeseries.Panel().title(text(BOARD, "trend_title")).datasource(DATASOURCE)
            .with_target(Sql(q.TREND)).mappings(SUPPRESSED).height(10).span(24)
        )
    )
