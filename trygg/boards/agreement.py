"""The agreement board: for one agreement, has it worked (fewer incidents, people feeling safer), and how sure
can we be."""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, geomap, stat, table, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import common

from schemas.survey import PRIMARY_QUESTION, QUESTIONS
from trygg.boards import queries as q
from trygg.boards.sdk import DATASOURCE, SUPPRESSED, Sql, SqlAnnotation, query_variable
from trygg.texts import BOARD, FORM, text

UID = "trygg-agreement"


def variables() -> list[db.QueryVariable]:
    """$agreement, $category (multi) and $source (one or all: the effect functions take a single source)."""
    return [
        query_variable("agreement", text(BOARD, "agreement"), q.VAR_AGREEMENT),
        query_variable("category", text(BOARD, "category"), q.VAR_CATEGORY, multi=True, include_all=True),
        query_variable("source", text(BOARD, "source"), q.VAR_SOURCE),
    ]


def board() -> db.Dashboard:
    dashboard = (
        db.Dashboard(text(BOARD, "agreement_board")).uid(UID).tags(["trygg", "partner"])
        .timezone("Europe/Stockholm").time("now-3y", "now").refresh("")
        .annotation(SqlAnnotation(text(BOARD, "annotations"), q.ANNOTATIONS))
    )
    for variable in variables():
        dashboard = dashboard.with_variable(variable)
    return add_panels(dashboard)


def add_panels(dashboard: db.Dashboard) -> db.Dashboard:
    return (
        dashboard
        .with_panel(
            stat.Panel().title(text(BOARD, "headline_title"))
            .description(text(BOARD, "headline_description"))
            .datasource(DATASOURCE).with_target(Sql(q.HEADLINE))
            .reduce_options(common_builders.ReduceDataOptions().values(True).fields("/.*/"))
            .text_mode(common.BigValueTextMode.VALUE_AND_NAME).color_mode(common.BigValueColorMode.NONE)
            .graph_mode(common.BigValueGraphMode.NONE).height(5).span(24)
        )
        .with_panel(
            table.Panel().title(text(BOARD, "effect_title")).datasource(DATASOURCE).with_target(Sql(q.EFFECT_TABLE))
            .mappings(SUPPRESSED).height(9).span(24)
        )
        .with_panel(
            timeseries.Panel().title(text(BOARD, "weekly_title")).datasource(DATASOURCE)
            .with_target(Sql(q.WEEKLY)).mappings(SUPPRESSED).height(9).span(24)
        )
        .with_panel(
            barchart.Panel().title(text(BOARD, "before_after_title")).datasource(DATASOURCE)
            .with_target(Sql(q.BEFORE_AFTER)).x_field(text(BOARD, "category")).mappings(SUPPRESSED).height(9).span(12)
        )
        .with_panel(
            timeseries.Panel().title(text(BOARD, "area_vs_control_title"))
            .datasource(DATASOURCE).with_target(Sql(q.AREA_VS_CONTROL)).height(9).span(12)
        )
        .with_panel(
            table.Panel().title(text(BOARD, "reporting_title"))
            .description(text(BOARD, "reporting_description"))
            .datasource(DATASOURCE).with_target(Sql(q.REPORTING)).mappings(SUPPRESSED).height(8).span(12)
        )
        .with_panel(
            table.Panel().title(text(BOARD, "police_vs_all_title")).datasource(DATASOURCE)
            .with_target(Sql(q.POLICE_VS_ALL)).mappings(SUPPRESSED).height(8).span(12)
        )
        .with_panel(
            geomap.Panel().title(text(BOARD, "map_title"))
            .datasource(DATASOURCE).with_target(Sql(q.MAP))
            .view(geomap.MapViewConfig().id("fit").zoom(14)).height(12).span(24)
        )
        .with_row(db.Row(text(BOARD, "safety_row")))
        .with_panel(
            table.Panel().title(text(BOARD, "safety_table_title"))
            .description(text(BOARD, "safety_table_description"))
            .datasource(DATASOURCE).with_target(Sql(q.SAFETY_TABLE)).height(8).span(24)
        )
        .with_panel(
            timeseries.Panel().title(text(BOARD, "safety_waves_title"))
            .description(QUESTIONS[PRIMARY_QUESTION].text_sv)
            .datasource(DATASOURCE).with_target(Sql(q.SAFETY_WAVES)).unit("percent").min(0).max(100)
            .height(9).span(12)
        )
        .with_panel(
            table.Panel().title(text(BOARD, "pulse_title", question=text(FORM, "pulse_legend")))
            .description(text(BOARD, "pulse_description"))
            .datasource(DATASOURCE).with_target(Sql(q.PULSE)).mappings(SUPPRESSED).height(9).span(12)
        )
    )
