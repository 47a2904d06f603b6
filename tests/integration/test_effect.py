"""Effect estimates (migrations/0006_effect.sql) on real databases, against independent references.

* The SQL rate ratios, intervals and dispersions equal a statsmodels quasi-Poisson GLM (Poisson family,
  scale = Pearson X2, period indicator, log-exposure offset) fitted here on weekly counts computed in Python
  from the generated events, on plain PostgreSQL and on TimescaleDB (PGlite).
* Coverage and power over 200 seeds: 200 agreements side by side, each with its own seeded history of about
  20 incidents a month and a true 30 % drop at signing.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
import pytest
import statsmodels.api as sm

from schemas import Agreement, Category, IncidentEvent, SourceKind
from tests.conftest import fresh_database
from tests.support import load_history
from tests.integration.test_timescale_tier import pglite  # noqa: F401 (the module-wide PGlite server fixture)
from trygg import texts
from trygg.cli import main
from trygg.adapters.database import connect
from trygg.domain.placement import Placement
from trygg.localstack.pglite import PGlite
from trygg.localstack.processes import Postgres
from trygg.synthetic import History, generate, load_sample_agreements

STOCKHOLM = ZoneInfo("Europe/Stockholm")  # on purpose not trygg.domain.buckets: an independent truth
COLUMNS = (
    "agreement_id", "category", "area_scope", "before_start", "before_end", "after_start", "after_end",
    "before_incidents", "after_incidents", "before_per_30d", "after_per_30d", "rate_ratio", "ci_low", "ci_high",
    "dispersion", "verdict",
)
HISTORY = History(first_day=date(2024, 8, 1), last_day=date(2026, 10, 31), seed=11,
                  effects={Category.shoplifting: -0.4, Category.vandalism: -0.2}, reporting_rise=0.2)
NOW = datetime(2026, 11, 1, tzinfo=STOCKHOLM)
UNTIL = date(2026, 11, 1)
# (source, before_days, after_days, gap_days): the defaults, and police-only shorter windows with a gap.
WINDOWS = [(None, 365, 365, 0), ("police", 200, 150, 30)]
CHECKED_CATEGORIES = [None, "shoplifting", "vandalism", "drug_dealing"]


def _estimates(conn: psycopg.Connection, agreement_id: str, *args: object) -> dict[tuple, dict]:
    rows = conn.execute("SELECT * FROM effect_estimates(%s, %s, %s, %s, %s, %s)", (agreement_id, *args)).fetchall()
    return {(row[1], row[2]): dict(zip(COLUMNS, row, strict=True)) for row in rows}


# ---------------------------------------------------------------------------------------------- reference


def _windows(signed_at: date, before: int, after: int, gap: int) -> dict[str, tuple[date, date]]:
    def cut(start: date, end: date) -> tuple[date, date]:
        return start, max(start, min(end, UNTIL))

    return {"before": cut(signed_at - timedelta(days=gap + before), signed_at - timedelta(days=gap)),
            "after": cut(signed_at + timedelta(days=gap), signed_at + timedelta(days=gap + after))}


def _weekly(days: Counter[date], window: tuple[date, date]) -> tuple[list[int], list[int]]:
    start, end = window
    length = (end - start).days
    counts = [0] * ((length + 6) // 7)
    exposure = [min(7, length - 7 * k) for k in range(len(counts))]
    for day, n in days.items():
        if start <= day < end:
            counts[(day - start).days // 7] += n
    return counts, exposure


def _glm(days: Counter[date], windows: dict[str, tuple[date, date]]) -> dict[str, float]:
    """Quasi-Poisson GLM (statsmodels) of the weekly counts: the after/before rate ratio and its 95 % CI."""
    (yb, eb), (ya, ea) = _weekly(days, windows["before"]), _weekly(days, windows["after"])
    y = np.array(yb + ya, dtype=float)
    x = sm.add_constant(np.array([0.0] * len(yb) + [1.0] * len(ya)))
    if not (sum(yb) and sum(ya)):  # the model has no finite estimate: the SQL says too_few
        return {"before": sum(yb), "after": sum(ya), "dispersion": None}
    offset = np.log(np.array(eb + ea, dtype=float))
    model = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset)
    fit = model.fit(scale="X2", tol=1e-13, maxiter=200)
    if fit.scale < 1:  # the contract floors the dispersion at 1 (never narrower than Poisson)
        fit = model.fit(scale=1.0, tol=1e-13, maxiter=200)
    low, high = np.exp(fit.conf_int()[1])
    return {"before": sum(yb), "after": sum(ya), "rate_ratio": math.exp(fit.params[1]), "ci_low": low,
            "ci_high": high, "dispersion": max(1.0, fit.scale), "log_rr": fit.params[1], "var": fit.bse[1] ** 2}


def _days(events: list[IncidentEvent], placements: list[Placement], areas: set[str], category: str | None,
          source: str | None) -> Counter[date]:
    return Counter(
        e.occurred_at.astimezone(STOCKHOLM).date()
        for e, p in zip(events, placements, strict=True)
        if areas.intersection(p.area_ids) and (category is None or e.category.value == category)
        and (source is None or e.source.value == source)
    )


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample() -> tuple[list[Agreement], list[IncidentEvent]]:
    agreements = load_sample_agreements()
    return agreements, generate(agreements, HISTORY, now=NOW)


@pytest.fixture(scope="module")
def tiers(postgres: Postgres, pglite: PGlite,  # noqa: F811
          sample: tuple[list[Agreement], list[IncidentEvent]]) -> Iterator[dict[str, tuple]]:
    agreements, events = sample
    urls = {"postgres": fresh_database(postgres), "timescale": pglite.url()}
    opened = {tier: connect(url) for tier, url in urls.items()}
    placed = {tier: load_history(conn, agreements, events, NOW) for tier, conn in opened.items()}
    yield {tier: (opened[tier], placed[tier], urls[tier]) for tier in opened}
    for conn in opened.values():
        conn.close()


# ---------------------------------------------------------------------------------------------- tests


@pytest.mark.timescale
@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_effect_estimates_equal_the_quasi_poisson_glm(
    tiers: dict[str, tuple], sample: tuple[list[Agreement], list[IncidentEvent]], tier: str
) -> None:
    conn, placements, _ = tiers[tier]
    agreements, events = sample
    checked = 0
    for agreement in agreements:
        scopes = {"agreement": {agreement.agreement_id}, "control": {c.area_id for c in agreement.control_areas}}
        for source, before, after, gap in WINDOWS:
            windows = _windows(agreement.signed_at, before, after, gap)
            rows = _estimates(conn, agreement.agreement_id, source, before, after, gap, UNTIL)
            assert len(rows) == 3 * (1 + len(Category))
            for category in CHECKED_CATEGORIES:
                fits = {}
                for scope, areas in scopes.items():
                    row = rows[(category, scope)]
                    fit = fits[scope] = _glm(_days(events, placements, areas, category, source), windows)
                    assert (row["before_start"], row["before_end"]) == windows["before"]
                    assert (row["after_start"], row["after_end"]) == windows["after"]
                    assert (row["before_incidents"], row["after_incidents"]) == (fit["before"], fit["after"])
                    for period in ("before", "after"):
                        days = (windows[period][1] - windows[period][0]).days
                        assert row[f"{period}_per_30d"] == pytest.approx(fit[period] * 30 / days)
                    if row["verdict"] == "too_few":
                        assert fit["before"] + fit["after"] < 10 or 0 in (fit["before"], fit["after"])
                        assert row["rate_ratio"] is None
                        continue
                    assert row["dispersion"] == pytest.approx(fit["dispersion"], rel=1e-6)
                    for key in ("rate_ratio", "ci_low", "ci_high"):
                        assert row[key] == pytest.approx(fit[key], rel=1e-6), (agreement.agreement_id, key)
                    checked += 1
                relative = rows[(category, "relative")]
                if relative["verdict"] != "too_few":
                    log_rr = fits["agreement"]["log_rr"] - fits["control"]["log_rr"]
                    half = 1.959963984540054 * math.sqrt(fits["agreement"]["var"] + fits["control"]["var"])
                    assert relative["rate_ratio"] == pytest.approx(math.exp(log_rr), rel=1e-6)
                    assert relative["ci_low"] == pytest.approx(math.exp(log_rr - half), rel=1e-6)
                    assert relative["ci_high"] == pytest.approx(math.exp(log_rr + half), rel=1e-6)
    assert checked >= 30


@pytest.mark.timescale
def test_both_tiers_give_the_same_rows(tiers: dict[str, tuple], sample: tuple[list[Agreement], list]) -> None:
    for agreement in sample[0]:
        results = [_estimates(tiers[tier][0], agreement.agreement_id, None, 365, 365, 0, UNTIL) for tier in tiers]
        assert results[0].keys() == results[1].keys()
        for key, row in results[0].items():
            other = results[1][key]
            assert {k: v for k, v in row.items() if not isinstance(v, float)} == \
                   {k: v for k, v in other.items() if not isinstance(v, float)}
            for column, value in row.items():
                if isinstance(value, float):
                    assert other[column] == pytest.approx(value, rel=1e-9)


@pytest.mark.timescale  # shares the loaded tiers
def test_verdicts_follow_the_rule(tiers: dict[str, tuple], sample: tuple[list[Agreement], list]) -> None:
    conn = tiers["postgres"][0]
    seen = set()
    for agreement in sample[0]:
        rows = _estimates(conn, agreement.agreement_id, None, 365, 365, 0, UNTIL)
        for (category, scope), row in rows.items():
            seen.add(row["verdict"])
            if scope == "relative":
                own = [rows[(category, s)]["verdict"] for s in ("agreement", "control")]
                assert (row["verdict"] == "too_few") == ("too_few" in own)
                assert row["before_incidents"] is None and row["dispersion"] is None
            elif row["before_incidents"] + row["after_incidents"] < 10 or 0 in (row["before_incidents"],
                                                                                row["after_incidents"]):
                assert row["verdict"] == "too_few"
            if row["verdict"] == "too_few":
                assert row["rate_ratio"] is row["ci_low"] is row["ci_high"] is None
            elif row["ci_high"] < 1:
                assert row["verdict"] == "clear_decrease"
            elif row["ci_low"] > 1:
                assert row["verdict"] == "clear_increase"
            else:
                assert row["verdict"] == "no_clear_change"
    assert {"clear_decrease", "no_clear_change", "too_few"} <= seen
    # Signing after the end of the data: the after window is empty, nothing is estimated, nothing fails.
    empty = _estimates(conn, "umea-ersboda", None, 365, 365, 0, date(2026, 1, 1))
    assert all(r["verdict"] == "too_few" and r["after_end"] == r["after_start"] for r in empty.values())
    assert _estimates(conn, "no-such-agreement", None, 365, 365, 0, UNTIL) == {}


@pytest.mark.timescale  # shares the loaded tiers
def test_reporting_activity_and_reader_rights(tiers: dict[str, tuple],
                                              sample: tuple[list[Agreement], list[IncidentEvent]]) -> None:
    conn, placements, _ = tiers["postgres"]
    agreements, events = sample
    agreement = agreements[0]
    windows = _windows(agreement.signed_at, 365, 365, 0)
    reports: Counter[tuple[str, str]] = Counter()
    reporters: dict[tuple[str, str], set[str]] = {}
    for event, placement in zip(events, placements, strict=True):
        day = event.occurred_at.astimezone(STOCKHOLM).date()
        for period, (start, end) in windows.items():
            if agreement.agreement_id in placement.area_ids and start <= day < end:
                reports[(period, event.source.value)] += 1
                reporters.setdefault((period, event.source.value), set()).add(event.reporter)
    sources = sorted({source for _, source in reports})
    expected = [(period, source, len(reporters.get((period, source), ())), reports[(period, source)],
                 reports[(period, source)] / len(reporters[(period, source)]) if reports[(period, source)] else None)
                for period in ("before", "after") for source in sources]
    with conn.transaction():
        conn.execute("SET LOCAL ROLE trygg_reader")
        got = conn.execute("SELECT * FROM reporting_activity(%s, 365, 365, 0, %s)",
                           (agreement.agreement_id, UNTIL)).fetchall()
        assert conn.execute("SELECT count(*) FROM effect_estimates(%s)", (agreement.agreement_id,)).fetchone()[0] > 0
        labels = conn.execute("SELECT category, label_sv, label_en FROM categories ORDER BY position").fetchall()
    assert got == expected
    assert labels == [(c.value, texts.category_label(c), texts.category_label(c, "en")) for c in Category]
    # The partners report more from signing on (reporting_rise): visible as more reports per partner.
    shops = {row[0]: row for row in got if row[1] == SourceKind.shop.value}
    assert shops["after"][3] > 0 and shops["before"][3] > 0
    for table in ("incident_events", "incident_notes"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SET LOCAL ROLE trygg_reader")
            conn.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)


@pytest.mark.timescale  # shares the loaded tiers
def test_effect_command(tiers: dict[str, tuple], monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", tiers["postgres"][2])
    assert main(["effect", "--agreement", "umea-alidhem"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("Trygghetsöverenskommelse Ålidhem centrum: före 2024-09-01–2025-08-31")
    lines = table.splitlines()
    shoplifting = next(line for line in lines if line.startswith("Snatteri") and "området " in line)
    # A % change is never printed without its interval.
    assert re.search(r"[−+]\d+ % \([−+]?\d+ % till [−+]?\d+ %\)", shoplifting), shoplifting
    assert "tydlig minskning" in table and "för få händelser" in table
    assert not re.search(r"\s[12]\s", " ".join(line for line in lines if "området" in line or "kontroll" in line)
                         .replace("95 % KI", ""))
    assert "Rapporteringsaktivitet" in table
    assert main(["effect", "--agreement", "umea-alidhem", "--category", "shoplifting", "--source", "police",
                 "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [(e["category"], e["area_scope"]) for e in document["estimates"]] == [
        ("shoplifting", "agreement"), ("shoplifting", "control"), ("shoplifting", "relative")]
    assert document["source"] == "police" and document["reporting_activity"]
    assert main(["effect", "--agreement", "no-such-agreement"]) == 2


# ---------------------------------------------------------------------------------------------- coverage


SEEDS = 200
TRUE_RATIO = 0.7


def _side_by_side(count: int) -> list[Agreement]:
    """`count` small square agreement areas in a grid south of Umeå, signed 2025-03-01, no control areas."""
    size = 0.002
    return [
        Agreement.model_validate({
            "agreement_id": f"cov-{n:03d}", "name": f"Täckning {n}", "municipality": "Umeå",
            "signed_at": "2025-03-01",
            "geometry": {"type": "Polygon", "coordinates": [[
                [lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]},
            "partners": [{"id": f"butik-{n}", "name": "Butik", "role": "shop"},
                         {"id": f"fastighet-{n}", "name": "Fastighetsägare", "role": "property_owner"}],
        })
        for n in range(count)
        for lat, lon in [(63.60 + (n // 20) * 0.003, 20.00 + (n % 20) * 0.003)]
    ]


def test_coverage_and_power_over_200_seeds(postgres: Postgres) -> None:
    agreements = _side_by_side(SEEDS)
    events: list[IncidentEvent] = []
    for seed, agreement in enumerate(agreements):
        history = History(first_day=date(2024, 3, 1), last_day=date(2026, 2, 28), seed=seed,
                          effects={c: TRUE_RATIO - 1 for c in Category}, agreement_daily_rate=20 / 30.4,
                          spread=False, municipality_share=0.0)
        events += generate([agreement], history)
    events.sort(key=lambda e: e.occurred_at)
    with connect(fresh_database(postgres)) as conn:
        load_history(conn, agreements, events, NOW)
        rows = [conn.execute("SELECT * FROM effect_estimates(%s, p_until => %s) WHERE category IS NULL AND "
                             "area_scope = 'agreement'", (a.agreement_id, date(2026, 3, 1))).fetchone()
                for a in agreements]
    estimates = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    per_month = sum(e["before_incidents"] for e in estimates) / SEEDS / 12
    covered = sum(e["ci_low"] <= TRUE_RATIO <= e["ci_high"] for e in estimates) / SEEDS
    power = sum(e["verdict"] == "clear_decrease" for e in estimates) / SEEDS
    print(f"\ncoverage {covered:.1%}, clear decrease {power:.1%}, {per_month:.1f} incidents a month before, "
          f"mean dispersion {np.mean([e['dispersion'] for e in estimates]):.2f}")
    assert 15 <= per_month <= 25
    assert 0.90 <= covered <= 0.98
    assert power >= 0.80
