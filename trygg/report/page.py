"""The report as one self-contained HTML page: charts embedded as data URIs, no external resources."""

from __future__ import annotations

import base64
from datetime import timedelta
from html import escape
from pathlib import Path
from typing import Any

from schemas import CATEGORY_LABELS, Category
from schemas.survey import QUESTIONS
from trygg.cli_effect import SOURCES_SV
from trygg.domain import effect as fx
from trygg.report.data import ReportData

CHART_CAPTIONS = (
    "Händelser per vecka i avtalsområdet. Den röda linjen är dagen avtalet undertecknades; de gröna "
    "markeringarna är när åtgärderna i listan nedan startade.",
    "Händelser per 30 dagar före och efter, per kategori. Strecket på efter-stapeln är 95 %-intervallet "
    "för förändringen. Kategorier med för få händelser visas inte.",
    "Avtalsområdet och kontrollområdena, var för sig räknade som index där snittet före avtalet = 100.",
    "Rapporter per aktiv rapportör per källa, före och efter. Siffran över stapeln är antalet aktiva "
    "rapportörer (under tre visas som <3).",
)
HOW_TO_READ = (
    "Förändringen anges i procent med ett 95 %-intervall inom parentes. Intervallet visar hur stor "
    "osäkerheten är: antalet händelser varierar av sig självt från år till år, och med få händelser blir "
    "intervallet brett. Ligger hela intervallet under 0 % är det en tydlig minskning, ligger hela intervallet "
    "över 0 % är det en tydlig ökning. Går intervallet från minus till plus kan vi inte säga om det blivit "
    "bättre eller sämre. Kolumnen ”Jämfört med kontrollområdena” tar hänsyn till hur det gått i liknande "
    "områden utan avtal, så att en allmän ökning eller minskning i staden inte räknas som avtalets effekt. "
    "Antal under tre visas som ”&lt;3”."
)
SAFETY_CAPTION = ("Andel som känner sig trygga ute ensam sent en kväll, per enkätomgång, med 95 %-intervall. "
                  "Omgångar med för få svarande visas inte.")
SAFETY_HOW_TO_READ = (
    "Andelen som känner sig trygga kommer från trygghetsmätningar (enkäter) i området och i kontrollområdena. "
    "Förändringen anges i procentenheter med ett 95 %-intervall som tar hänsyn till hur många som svarade. "
    "Ligger hela intervallet över 0 har tryggheten tydligt ökat. Andelar från för få svarande visas inte."
)
REPORTING_ROSE = "Fler rapporterande partner kan dölja en verklig minskning"


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


def category_label(category: str | None) -> str:
    return "Alla kategorier" if category is None else CATEGORY_LABELS[Category(category)][0]


def change_text(row: dict[str, Any]) -> str:
    return fx.change_with_interval(row["rate_ratio"], row["ci_low"], row["ci_high"])


def headline(rows: list[dict[str, Any]], scope: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["category"] is None and r["area_scope"] == scope), None)


def render_page(data: ReportData, charts: list[Path]) -> str:
    """The whole page; only counts, rates, intervals and agreement metadata appear in it."""
    total, relative = headline(data.effects, "agreement"), headline(data.effects, "relative")
    control = headline(data.effects, "control")
    police = headline(data.police_effects, "agreement")
    day = timedelta(days=1)
    parts = [
        "<!doctype html>",
        '<html lang="sv"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Rapport: {escape(data.name)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{escape(data.name)}</h1>",
        f'<p class="meta">Trygghetsöverenskommelse i {escape(data.municipality)}, undertecknad '
        f"{data.signed_at}. Före: {data.window_start} – {data.signed_at - day}. Efter: {data.signed_at} – "
        f"{data.window_end - day} (ett år före jämförs med upp till ett år efter).</p>",
    ]
    if total is not None:
        parts.append(_headline_box("Alla kategorier i avtalsområdet", total))
    if control is not None:
        parts.append(_headline_box("Kontrollområdena (liknande områden utan avtal)", control))
    if relative is not None:
        parts.append(_headline_box("Avtalsområdet jämfört med kontrollområdena", relative))
    if police is not None:
        parts.append(f'<p>Endast polisens anmälningar: <strong>{escape(fx.verdict_sv(police["verdict"]))}</strong>'
                     f" {escape(change_text(police))}.</p>")
    if reporting_rose(data):
        parts.append('<p class="note">Partnerna rapporterade mer efter avtalet än före (fler aktiva rapportörer, '
                     f"eller fler rapporter i förhållande till polisens). {REPORTING_ROSE}.</p>")
    parts += ["<h2>Så läser du intervallen</h2>", f"<p>{HOW_TO_READ}</p>",
              "<h2>Förändring per kategori</h2>", _effect_table(data.effects)]
    parts += _safety_section(data)
    parts.append("<h2>Diagram</h2>")
    for path, caption in zip(charts, (*CHART_CAPTIONS, SAFETY_CAPTION), strict=False):
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(f'<figure><img src="data:image/png;base64,{encoded}" alt="{escape(caption)}">'
                     f"<figcaption>{escape(caption)}</figcaption></figure>")
    parts.append("<h2>Parter</h2><ul>")
    parts += [f"<li>{escape(name)} ({escape(SOURCES_SV.get(role, role))})</li>"
              for name, role in data.partners]
    parts.append("</ul><h2>Åtgärder</h2><ol>")
    parts += [f"<li>{escape(description)} (från {starts_on})</li>" for description, starts_on in data.measures]
    parts.append("</ol>")
    if data.control_names:
        parts.append(f"<p>Kontrollområden: {escape(', '.join(data.control_names))}.</p>")
    parts.append('<p class="meta">Antal 1–2 visas som &lt;3. Rapporten visar inga fritexter och inga exakta '
                 "platser.</p></main></body></html>")
    return "\n".join(parts)


def _safety_section(data: ReportData) -> list[str]:
    """Perceived safety from the surveys: per question the share feeling safe before and after and the change
    in percentage points with its interval, in the area and against the control areas (survey_estimates)."""
    if not data.safety:
        return ["<h2>Trygghet</h2>", "<p>Inga enkätomgångar före och efter undertecknandet finns inlagda.</p>"]
    by_key = {(r["question_id"], r["area_scope"]): r for r in data.safety}
    header = ("Fråga", "Svarande före / efter", "Trygga före → efter", "Förändring i området (95 % intervall)",
              "Bedömning", "Jämfört med kontrollområdena (95 % intervall)", "Bedömning mot kontroll")
    body = []
    for question_id in dict.fromkeys(r["question_id"] for r in data.safety):
        area, relative = by_key[(question_id, "agreement")], by_key[(question_id, "relative")]
        cells = [
            QUESTIONS[question_id].text_sv,
            f"{area['before_respondents']} / {area['after_respondents']}",
            f"{fx.share_percent(area['before_share'])} → {fx.share_percent(area['after_share'])}",
            fx.points_with_interval(area["share_change"], area["share_ci_low"], area["share_ci_high"]),
            fx.safety_verdict_sv(area["verdict"]),
            fx.points_with_interval(relative["share_change"], relative["share_ci_low"], relative["share_ci_high"]),
            fx.safety_verdict_sv(relative["verdict"]),
        ]
        body.append("<tr>" + "".join(f'<td data-label="{escape(label)}">{escape(text)}</td>'
                                     for text, label in zip(cells, header, strict=True)) + "</tr>")
    return ["<h2>Trygghet</h2>", f"<p>{SAFETY_HOW_TO_READ}</p>",
            "<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table>"]


def _headline_box(title: str, row: dict[str, Any]) -> str:
    return (f'<div class="headline verdict-{escape(row["verdict"])}"><div>{escape(title)}</div>'
            f'<strong>{escape(fx.verdict_sv(row["verdict"]))}</strong> <span>{escape(change_text(row))}</span></div>')


def _effect_table(rows: list[dict[str, Any]]) -> str:
    """One row per category: counts and rates in the agreement area, its change, and the change relative to
    the control areas. Below 640 px wide each row becomes a card with its labels (readable on a phone)."""
    by_key = {(r["category"], r["area_scope"]): r for r in rows}
    categories = [None, *(c.value for c in Category if (c.value, "agreement") in by_key)]
    header = ("Kategori", "Före", "Efter", "Per 30 dagar före → efter", "Förändring i området (95 % intervall)",
              "Bedömning", "Jämfört med kontrollområdena (95 % intervall)", "Bedömning mot kontroll")
    body = []
    for category in categories:
        area, relative = by_key.get((category, "agreement")), by_key.get((category, "relative"))
        if area is None:
            continue
        before, after = area["before_incidents"], area["after_incidents"]
        cells = [
            ("", escape(category_label(category))),
            ("count", escape(fx.suppress_small(before))),
            ("count", escape(fx.suppress_small(after))),
            ("", escape(f"{fx.rate(area['before_per_30d'], before)} → {fx.rate(area['after_per_30d'], after)}")),
            ("", escape(change_text(area))),
            (f"verdict-{area['verdict']}", escape(fx.verdict_sv(area["verdict"]))),
            ("", escape(change_text(relative)) if relative else "–"),
            (f"verdict-{relative['verdict']}" if relative else "",
             escape(fx.verdict_sv(relative["verdict"])) if relative else "–"),
        ]
        body.append("<tr>" + "".join(
            f'<td class="{cls}" data-label="{escape(label)}">{text}</td>'
            for (cls, text), label in zip(cells, header, strict=True)) + "</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table>")


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
