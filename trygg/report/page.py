"""The report as one self-contained HTML page (Jinja2): charts embedded as data URIs, no external resources."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from schemas import Category
from schemas.survey import QUESTIONS
from trygg import texts
from trygg.domain import effect as fx
from trygg.report.data import ReportData

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(default=True),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
CHART_CAPTIONS = ("chart_weekly", "chart_before_after", "chart_area_vs_control", "chart_reporting", "chart_safety")
SAFETY_COLUMNS = ("safety_col_question", "safety_col_respondents", "safety_col_shares", "col_change", "col_verdict",
                  "col_relative", "col_relative_verdict")
COLUMNS = ("col_category", "col_before", "col_after", "col_rates", "col_change", "col_verdict", "col_relative",
           "col_relative_verdict")


def reporting_rose(data: ReportData) -> bool:
    """True when partners (not the police) reported more after signing: more of them were active, or their
    reports grew by a larger factor than the police's (who report independently of the agreement)."""
    def total(period: str, key: str, police: bool) -> int:
        return sum(r[key] for r in data.activity if r["period"] == period and (r["source"] == "police") == police)

    if total("after", "active_reporters", False) > total("before", "active_reporters", False):
        return True
    partner = total("before", "reports", False), total("after", "reports", False)
    police = total("before", "reports", True), total("after", "reports", True)
    return partner[0] > 0 and police[0] > 0 and partner[1] / partner[0] > police[1] / police[0]


def change_text(row: dict[str, Any]) -> str:
    return fx.change_with_interval(row["rate_ratio"], row["ci_low"], row["ci_high"])


def headline(rows: list[dict[str, Any]], scope: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["category"] is None and r["area_scope"] == scope), None)


def render_page(data: ReportData, charts: list[Path], lang: str = "sv") -> str:
    """The whole page; only counts, rates, intervals and agreement metadata appear in it."""
    def r(key: str, **values: object) -> str:
        return texts.text(texts.REPORT, key, lang, **values)

    return TEMPLATES.get_template("report.html").render(
        lang=lang, data=data, css=_CSS, day=timedelta(days=1), r=r, zip=zip, change=change_text,
        verdict=lambda v: texts.verdict_label(v, lang), source=lambda s: texts.source_label(s, lang).lower(),
        total=headline(data.effects, "agreement"), control=headline(data.effects, "control"),
        relative=headline(data.effects, "relative"), police=headline(data.police_effects, "agreement"),
        reporting_rose=reporting_rose(data), columns=[r(key) for key in COLUMNS],
        rows=_effect_rows(data.effects, lang),
        safety_columns=[r(key) for key in SAFETY_COLUMNS], safety_rows=_safety_rows(data.safety, lang),
        # The perceived-safety chart is there only when survey waves are.
        charts=[(base64.b64encode(path.read_bytes()).decode("ascii"), r(caption))
                for path, caption in zip(charts, CHART_CAPTIONS, strict=False)],
    )


def _effect_rows(rows: list[dict[str, Any]], lang: str) -> list[list[tuple[str, str]]]:
    """One row per category, (css class, text) per cell: counts and rates in the agreement area, its change, and
    the change relative to the control areas. Below 640 px wide each row becomes a card with its labels."""
    by_key = {(r["category"], r["area_scope"]): r for r in rows}
    categories = [None, *(c.value for c in Category if (c.value, "agreement") in by_key)]
    table = []
    for category in categories:
        area, relative = by_key.get((category, "agreement")), by_key.get((category, "relative"))
        if area is None:
            continue
        before, after = area["before_incidents"], area["after_incidents"]
        table.append([
            ("", texts.category_label(category, lang)),
            ("count", fx.suppress_small(before)),
            ("count", fx.suppress_small(after)),
            ("", f"{fx.rate(area['before_per_30d'], before)} → {fx.rate(area['after_per_30d'], after)}"),
            ("", change_text(area)),
            (f"verdict-{area['verdict']}", texts.verdict_label(area["verdict"], lang)),
            ("", change_text(relative) if relative else "–"),
            (f"verdict-{relative['verdict']}" if relative else "",
             texts.verdict_label(relative["verdict"], lang) if relative else "–"),
        ])
    return table


def _safety_rows(safety: list[dict[str, Any]], lang: str) -> list[list[str]]:
    """Perceived safety per question: respondents, the share feeling safe before and after, and the change in
    percentage points with its interval, in the area and against the control areas (survey_estimates)."""
    by_key = {(r["question_id"], r["area_scope"]): r for r in safety}
    table = []
    for question_id in dict.fromkeys(r["question_id"] for r in safety):
        area, relative = by_key[(question_id, "agreement")], by_key[(question_id, "relative")]
        question = QUESTIONS[question_id]
        table.append([
            question.text_en if lang == "en" else question.text_sv,
            f"{area['before_respondents']} / {area['after_respondents']}",
            f"{fx.share_percent(area['before_share'])} → {fx.share_percent(area['after_share'])}",
            fx.points_with_interval(area["share_change"], area["share_ci_low"], area["share_ci_high"]),
            texts.safety_verdict_label(area["verdict"], lang),
            fx.points_with_interval(relative["share_change"], relative["share_ci_low"], relative["share_ci_high"]),
            texts.safety_verdict_label(relative["verdict"], lang),
        ])
    return table


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#fff}
main{max-width:980px;margin:0 auto;padding:16px}
h1{font-size:1.6em;margin:.2em 0}.meta{color:#57606a;font-size:.9em}
.headline{border-left:6px solid #8c9bab;background:#f6f8fa;padding:10px 14px;margin:10px 0}
.headline strong{font-size:1.25em}.headline.verdict-clear_decrease{border-color:#15803d}
.headline.verdict-clear_increase{border-color:#b91c1c}.note{background:#fff8c5;padding:8px 12px}
table{border-collapse:collapse;font-size:.9em;width:100%}
th,td{border-bottom:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{font-size:.85em;color:#57606a}td.count{text-align:right}td:first-child{font-weight:600}
td.verdict-clear_decrease{color:#15803d;font-weight:600}td.verdict-clear_increase{color:#b91c1c;font-weight:600}
figure{margin:18px 0;overflow-x:auto}img{width:100%;height:auto}figcaption{color:#57606a;font-size:.9em}
@media (max-width:640px){thead{display:none}table,tbody,tr,td{display:block}
tr{border:1px solid #d0d7de;border-radius:6px;margin:0 0 10px;padding:4px 0}
td{border:0;padding:2px 10px;text-align:left!important}
td:not(:first-child)::before{content:attr(data-label) ": ";color:#57606a;font-weight:400}
td:first-child{font-size:1.05em}figure img{min-width:620px}}
"""
