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

UID = "trygg-agreement"


def variables() -> list[db.QueryVariable]:
    """$agreement, $category (multi) and $source (one or all: the effect functions take a single source)."""
    return [
        query_variable("agreement", "Överenskommelse", q.VAR_AGREEMENT),
        query_variable("category", "Kategori", q.VAR_CATEGORY, multi=True, include_all=True),
        query_variable("source", "Källa", q.VAR_SOURCE),
    ]


def board() -> db.Dashboard:
    dashboard = (
        db.Dashboard("Trygghetsöverenskommelse: före och efter").uid(UID).tags(["trygg", "partner"])
        .timezone("Europe/Stockholm").time("now-3y", "now").refresh("")
        .annotation(SqlAnnotation("Undertecknad och åtgärder", q.ANNOTATIONS))
    )
    for variable in variables():
        dashboard = dashboard.with_variable(variable)
    return add_panels(dashboard)


def add_panels(dashboard: db.Dashboard) -> db.Dashboard:
    return (
        dashboard
        .with_panel(
            stat.Panel().title("Förändring sedan undertecknandet (95 % konfidensintervall)")
            .description("Händelser per 30 dagar efter jämfört med före, i området och jämfört med "
                         "kontrollområdena. Intervallet visar osäkerheten; se bedömningen.")
            .datasource(DATASOURCE).with_target(Sql(q.HEADLINE))
            .reduce_options(common_builders.ReduceDataOptions().values(True).fields("/.*/"))
            .text_mode(common.BigValueTextMode.VALUE_AND_NAME).color_mode(common.BigValueColorMode.NONE)
            .graph_mode(common.BigValueGraphMode.NONE).height(5).span(24)
        )
        .with_panel(
            table.Panel().title("Effekt per kategori").datasource(DATASOURCE).with_target(Sql(q.EFFECT_TABLE))
            .mappings(SUPPRESSED).height(9).span(24)
        )
        .with_panel(
            timeseries.Panel().title("Händelser per vecka och kategori").datasource(DATASOURCE)
            .with_target(Sql(q.WEEKLY)).mappings(SUPPRESSED).height(9).span(24)
        )
        .with_panel(
            barchart.Panel().title("Före och efter (händelser per 30 dagar)").datasource(DATASOURCE)
            .with_target(Sql(q.BEFORE_AFTER)).x_field("Kategori").mappings(SUPPRESSED).height(9).span(12)
        )
        .with_panel(
            timeseries.Panel().title("Området jämfört med kontrollområdena (index, före = 100)")
            .datasource(DATASOURCE).with_target(Sql(q.AREA_VS_CONTROL)).height(9).span(12)
        )
        .with_panel(
            table.Panel().title("Rapporteringsaktivitet per källa")
            .description("Fler aktiva rapportörer efter undertecknandet kan dölja en verklig minskning.")
            .datasource(DATASOURCE).with_target(Sql(q.REPORTING)).mappings(SUPPRESSED).height(8).span(12)
        )
        .with_panel(
            table.Panel().title("Endast polisens siffror jämfört med alla källor").datasource(DATASOURCE)
            .with_target(Sql(q.POLICE_VS_ALL)).mappings(SUPPRESSED).height(8).span(12)
        )
        .with_panel(
            geomap.Panel().title("Händelser per ruta (ca 250 m; rutor med färre än 3 visas inte)")
            .datasource(DATASOURCE).with_target(Sql(q.MAP))
            .view(geomap.MapViewConfig().id("fit").zoom(14)).height(12).span(24)
        )
        .with_row(db.Row("Trygghet"))
        .with_panel(
            table.Panel().title("Trygghet: andel som känner sig trygga, före och efter (95 % konfidensintervall)")
            .description("Enkätsvar (trygghetsmätning) i området och i kontrollområdena. Andelar från färre "
                         "svarande än tröskeln visas inte; för få svarande ger ingen bedömning.")
            .datasource(DATASOURCE).with_target(Sql(q.SAFETY_TABLE)).height(8).span(24)
        )
        .with_panel(
            timeseries.Panel().title("Andel trygga per enkätomgång, området och kontrollområdena (%, med 95 % KI)")
            .description(QUESTIONS[PRIMARY_QUESTION].text_sv)
            .datasource(DATASOURCE).with_target(Sql(q.SAFETY_WAVES)).unit("percent").min(0).max(100)
            .height(9).span(12)
        )
        .with_panel(
            table.Panel().title("Pulsfrågan i rapportformuläret: Hur trygg kändes platsen idag? (per månad)")
            .description("Svar 1–5 från partnernas platser; andel och medel visas först vid tillräckligt många svar.")
            .datasource(DATASOURCE).with_target(Sql(q.PULSE)).mappings(SUPPRESSED).height(9).span(12)
        )
    )
