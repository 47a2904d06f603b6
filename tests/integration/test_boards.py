"""Every board query, with Grafana's macros and variables expanded, on real PostgreSQL and on TimescaleDB
(PGlite): the numbers equal ground truth computed here in Python from the generated events; both tiers
return the same rows; as trygg_reader every query runs, partner-facing ones never return a count of 1 or 2,
and free text stays unreadable.

Events are written with the production adapter (store_batch) in one batch, which is much faster than the
broker and the worker and exercises the same tables.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from shapely.geometry import Point

from schemas import (
    Category,
    FieldError,
    IncidentEvent,
    Location,
    Rejection,
    RejectionReason,
    SourceKind,
    agreements_from_geojson,
)
from schemas.survey import PRIMARY_QUESTION, QUESTIONS, PulseAnswerEvent, QuestionResult, SurveyWaveEvent
from tests.conftest import both_tiers
from trygg import texts
from trygg.adapters.database import refresh_rollups, store_batch, upsert_agreements
from trygg.adapters.migrations import migrate
from trygg.adapters.surveys import store_perceived_safety
from trygg.domain.batches import RejectedRow
from trygg.boards import queries as q
from trygg.boards.macros import expand
from trygg.demo import SAMPLE_AGREEMENTS
from trygg.domain.placement import AreaIndex, areas_of
from trygg.synthetic_surveys import SurveyPlan, pulse_answers, survey_areas, survey_waves

pytestmark = pytest.mark.timescale

SAMPLE = SAMPLE_AGREEMENTS
STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime.now(UTC).replace(microsecond=0)
START, END = NOW - timedelta(days=3 * 365), NOW  # the dashboard time range
SELECTED = ["shoplifting", "drug_dealing", "robbery"]  # robbery is rare: small counts to suppress
AGREEMENT = "umea-alidhem"
LABEL = {c.value: texts.category_label(c) for c in Category}


@dataclass
class World:
    events: list[IncidentEvent]
    areas: dict[uuid.UUID, tuple[str, ...]]
    points: dict[uuid.UUID, tuple[float, float]]
    signed: dict[str, date]
    names: dict[str, str]
    kinds: dict[str, tuple[str, str]]  # area -> (agreement, kind)
    rejections: list[RejectedRow]


def _world() -> World:
    rng = random.Random(4)
    agreements = agreements_from_geojson(json.loads(SAMPLE.read_text(encoding="utf-8")))
    areas = [a for agreement in agreements for a in areas_of(agreement)]
    common = [Category.shoplifting, Category.drug_dealing, Category.vandalism, Category.theft]
    events = []
    for _ in range(2500):
        area = rng.choice(areas)
        min_lon, min_lat, max_lon, max_lat = area.geometry.bounds
        while not area.geometry.covers(Point(lon := rng.uniform(min_lon, max_lon), lat := rng.uniform(min_lat, max_lat))):
            pass
        occurred = START + timedelta(seconds=rng.uniform(0, (NOW - START).total_seconds() - 3600))
        source = rng.choice(list(SourceKind))
        rare = rng.random() < 0.01
        events.append(IncidentEvent(
            event_id=uuid.UUID(int=rng.getrandbits(128), version=4), source=source,
            reporter=f"{source.value}-{rng.randrange(6)}",
            category=Category.robbery if rare else rng.choice(common), occurred_at=occurred,
            reported_at=occurred + timedelta(minutes=5), location=Location(lat=round(lat, 6), lon=round(lon, 6)),
            note="Fritext som aldrig får synas på en tavla" if rng.random() < 0.2 else None,
        ))
    index = AreaIndex.from_agreements(agreements)
    placements = {e.event_id: index.place(e) for e in events}
    rejections = [
        RejectedRow(partition=0, offset=i, rejection=Rejection(
            reason=reason, message="x", payload=f"payload {i}", rejected_at=NOW - timedelta(hours=i % 5),
            errors=(FieldError(field="", reason=reason, message="x"),)))
        for i, reason in enumerate([RejectionReason.invalid_json, RejectionReason.unknown_category] * 7)
    ]
    return World(
        events=events,
        areas={k: tuple(p.area_ids) for k, p in placements.items()},
        points={e.event_id: (e.location.lat, e.location.lon) for e in events},
        signed={a.agreement_id: a.signed_at for a in agreements},
        names={a.agreement_id: a.name for a in agreements},
        kinds={area_id: (a.agreement_id, kind) for a in agreements
               for area_id, kind in ((a.agreement_id, "agreement"), *((c.area_id, "control") for c in a.control_areas))},
        rejections=rejections,
    )


WORLD = _world()

# Perceived safety: a wave a year of 300 respondents per area, one small wave (below SURVEY_SUPPRESS_BELOW) and
# pulse taps at every site, a month of them with only two taps.
SURVEY_PLAN = SurveyPlan(first_year=2023, last_year=NOW.year, seed=4)
SMALL_WAVE = SurveyWaveEvent(
    event_id=uuid.UUID(int=7, version=4), area_id=AGREEMENT, wave="2024-host", fielded_from=date(2024, 10, 1),
    fielded_until=date(2024, 10, 20), imported_at=NOW,
    results=(QuestionResult(question_id=PRIMARY_QUESTION, respondents=12, counts={1: 3, 2: 5, 3: 3, 4: 1}),))
SURVEY_WAVES = [*survey_waves(survey_areas(agreements_from_geojson(json.loads(SAMPLE.read_text(encoding="utf-8")))),
                              SURVEY_PLAN, imported_at=NOW, until=NOW.date()), SMALL_WAVE]
PULSE_DAYS = (NOW.date() - timedelta(days=200), NOW.date() - timedelta(days=1))
PULSES = [*pulse_answers(agreements_from_geojson(json.loads(SAMPLE.read_text(encoding="utf-8"))), SURVEY_PLAN,
                         *PULSE_DAYS),
          *(PulseAnswerEvent(event_id=uuid.UUID(int=100 + k, version=4), site_id="site-ica-alidhem",
                             day=START.date() + timedelta(days=40), answer=5) for k in range(2))]


def _load(conn: psycopg.Connection) -> None:
    migrate(conn)
    agreements = agreements_from_geojson(json.loads(SAMPLE.read_text(encoding="utf-8")))
    revision = upsert_agreements(conn, agreements).revision
    index = AreaIndex.from_agreements(agreements, revision=revision)
    store_batch(conn, [(e, index.place(e)) for e in WORLD.events], WORLD.rejections, index_revision=revision,
                now=NOW, note_retention=timedelta(days=90))
    refresh_rollups(conn, datetime(2000, 1, 1, tzinfo=UTC), NOW + timedelta(days=1))
    store_perceived_safety(conn, [*SURVEY_WAVES, *PULSES], [])


@pytest.fixture(scope="module")
def conns(postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, psycopg.Connection]]:  # type: ignore[no-untyped-def]
    with both_tiers(postgres, tmp_path_factory, _load) as opened:
        yield opened


VARIABLES = {"agreement": AGREEMENT, "category": SELECTED, "source": q.ALL_SOURCES, "municipality": ["Umeå"]}


def run(conn: psycopg.Connection, query: q.Query, **overrides: object) -> list[tuple]:
    sql = expand(query.sql, {**VARIABLES, **overrides}, START, END)  # type: ignore[arg-type]
    return conn.execute(sql).fetchall()


# ------------------------------------------------------------------------------------------- truth


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), STOCKHOLM).astimezone(UTC)


def _week(moment: datetime) -> date:
    day = moment.astimezone(STOCKHOLM).date()
    return day - timedelta(days=day.weekday())


def _sup(n: int) -> int | None:
    return None if n in (1, 2) else n


def _in(area: str, categories: list[str] | None = None, source: str | None = None) -> list[IncidentEvent]:
    return [e for e in WORLD.events if area in WORLD.areas[e.event_id]
            and (categories is None or e.category.value in categories) and (source is None or e.source.value == source)]


def _today(conn: psycopg.Connection) -> date:
    """The database's Stockholm date, as the effect functions see it in this transaction (a run that passes
    midnight must not compare today's windows with yesterday's)."""
    return conn.execute("SELECT (now() AT TIME ZONE 'Europe/Stockholm')::date").fetchone()[0]


def _windows(agreement: str, today: date) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    signed = WORLD.signed[agreement]
    before = (signed - timedelta(days=365), min(signed, today))
    after = (signed, max(signed, min(signed + timedelta(days=365), today)))
    return tuple((_local_midnight(a), _local_midnight(b)) for a, b in (before, after))  # type: ignore[return-value]


def _count(events: list[IncidentEvent], window: tuple[datetime, datetime]) -> int:
    return sum(window[0] <= e.occurred_at < window[1] for e in events)


# ------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
@pytest.mark.parametrize("source", [q.ALL_SOURCES, "police"])
def test_weekly_incidents_equal_truth(conns, tier, source):
    truth: Counter[tuple[datetime, str]] = Counter()
    for e in _in(AGREEMENT, SELECTED, None if source == q.ALL_SOURCES else source):
        week = _local_midnight(_week(e.occurred_at))
        if START <= week <= END:
            truth[(week, LABEL[e.category.value])] += 1
    assert any(n in (1, 2) for n in truth.values()), "the data must have small counts to suppress"
    rows = run(conns[tier], q.WEEKLY, source=source)
    assert {(t, m): v for t, m, v in rows} == {k: _sup(n) for k, n in sorted(truth.items())}


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_trend_per_agreement_equals_truth(conns, tier):
    truth: Counter[tuple[datetime, str]] = Counter()
    for agreement, name in WORLD.names.items():
        for e in _in(agreement):
            local = e.occurred_at.astimezone(STOCKHOLM)
            month = _local_midnight(date(local.year, local.month, 1))
            if START <= month <= END:
                truth[(month, name)] += 1
    assert {(t, m): v for t, m, v in run(conns[tier], q.TREND)} == {k: _sup(n) for k, n in truth.items()}


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_area_vs_control_index_equals_truth(conns, tier):
    monthly: dict[str, Counter[datetime]] = {"agreement": Counter(), "control": Counter()}
    for e in WORLD.events:
        if e.category.value not in SELECTED:
            continue
        for area in WORLD.areas[e.event_id]:
            agreement, kind = WORLD.kinds.get(area, (None, None))
            if agreement == AGREEMENT:
                local = e.occurred_at.astimezone(STOCKHOLM)
                monthly[kind][_local_midnight(date(local.year, local.month, 1))] += 1
    signed = WORLD.signed[AGREEMENT]
    base_from = _local_midnight(date(signed.year - 1, signed.month, signed.day))
    expected = {}
    for kind, label in (("agreement", "Området"), ("control", "Kontrollområdena")):
        mean = sum(n for m, n in monthly[kind].items() if base_from <= m < _local_midnight(signed)) / 12
        for month, n in monthly[kind].items():
            if mean and START <= month <= END:
                expected[(month, label)] = round(100 * n / mean, 1)
    rows = run(conns[tier], q.AREA_VS_CONTROL)
    assert {(t, m): float(v) for t, m, v in rows} == pytest.approx(expected)


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_map_cells_equal_truth(conns, tier):
    step = 250 / 111320.0
    cells: Counter[tuple[int, int]] = Counter()
    for e in _in(AGREEMENT, SELECTED):
        if START <= e.occurred_at < END:
            lat, lon = WORLD.points[e.event_id]
            row = math.floor(lat / step)
            cells[(row, math.floor(lon / (step / math.cos(math.radians((row + 0.5) * step)))))] += 1
    expected = sorted(
        ((row + 0.5) * step, (col + 0.5) * step / math.cos(math.radians((row + 0.5) * step)), n)
        for (row, col), n in cells.items() if n >= 3
    )
    rows = run(conns[tier], q.MAP)
    assert len(rows) == len(expected) and sum(n for *_, n in rows) == sum(n for *_, n in expected)
    for got, want in zip(rows, expected, strict=True):
        assert got == pytest.approx(want)


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_effect_panels_show_true_counts_suppressed(conns, tier):
    conn = conns[tier]
    with conn.transaction():  # one now() for the windows and every query
        today = _today(conn)
        before, after = _windows(AGREEMENT, today)
        rows = run(conn, q.EFFECT_TABLE)
        in_order = [c.value for c in Category if c.value in SELECTED]
        assert [r[0] for r in rows] == [LABEL[c] for c in in_order]
        for row, category in zip(rows, in_order, strict=True):
            events = _in(AGREEMENT, [category])
            assert row[1:3] == (_sup(_count(events, before)), _sup(_count(events, after)))
            assert row[5] == "–" or "95 % KI" in row[5]
        headline = run(conn, q.HEADLINE)
        assert [r[0] for r in headline] == ["I området", "Jämfört med kontrollområdena"]
        police = run(conn, q.POLICE_VS_ALL)
        assert [r[1:3] for r in police] == [
            (_sup(_count(_in(AGREEMENT), before)), _sup(_count(_in(AGREEMENT), after))),
            (_sup(_count(_in(AGREEMENT, source="police"), before)), _sup(_count(_in(AGREEMENT, source="police"), after))),
        ]
        overview = {r[0]: r[3:5] for r in run(conn, q.OVERVIEW)}
        for agreement, name in WORLD.names.items():
            b, a = _windows(agreement, today)
            assert overview[name] == (_sup(_count(_in(agreement), b)), _sup(_count(_in(agreement), a)))


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_reporting_activity_equals_truth(conns, tier):
    with conns[tier].transaction():  # one now() for the windows and the query
        windows = _windows(AGREEMENT, _today(conns[tier]))
        rows = run(conns[tier], q.REPORTING)
    expected = {}
    for period, window in zip(("Före", "Efter"), windows, strict=True):
        by_source: dict[str, list[IncidentEvent]] = defaultdict(list)
        for e in _in(AGREEMENT):
            if window[0] <= e.occurred_at < window[1]:
                by_source[texts.source_label(e.source)].append(e)
        for label, events in by_source.items():
            expected[(period, label)] = (_sup(len({e.reporter for e in events})), _sup(len(events)))
    assert {(r[0], r[1]): (r[2], r[3]) for r in rows} == expected


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_health_panels_equal_truth(conns, tier):
    conn = conns[tier]
    stored = conn.execute("SELECT min(stored_at) FROM incident_events").fetchone()[0]
    start, end = stored - timedelta(hours=1), stored + timedelta(hours=1)
    ingest = conn.execute(expand(q.INGEST.sql, {}, start, end)).fetchall()
    assert Counter({m: v for _, m, v in ingest}) == Counter(e.source.value for e in WORLD.events)
    rejected = conn.execute(expand(q.REJECTED.sql, {}, NOW - timedelta(days=1), NOW + timedelta(minutes=1),
                                   interval="1h")).fetchall()
    truth = Counter((int(r.rejection.rejected_at.timestamp()) // 3600 * 3600, r.rejection.reason.value)
                    for r in WORLD.rejections)
    assert {(int(t), m): v for t, m, v in rejected} == truth
    last = {r[0]: r[2] for r in conn.execute(q.LAST_EVENT.sql).fetchall()}
    for source in SourceKind:
        label = texts.source_label(source)
        assert last[label] == max(e.occurred_at for e in WORLD.events if e.source == source)
    delay = conn.execute(expand(q.DELAY.sql, {}, start, end)).fetchall()
    oldest = max((stored - e.occurred_at).total_seconds() for e in WORLD.events)
    assert delay and all(0 <= v <= oldest + 60 for *_, v in delay)


def test_both_tiers_return_the_same_rows(conns):
    for query in q.ALL_QUERIES:
        if query.key == "var_municipality" or query in q.HEALTH_PANELS:
            continue  # health depends on each tier's own storage time
        assert run(conns["postgres"], query) == run(conns["timescale"], query), query.key


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_as_reader_every_query_runs_and_no_count_is_1_or_2(conns, tier):
    conn = conns[tier]
    conn.execute("SET ROLE trygg_reader")
    try:
        for query in q.ALL_QUERIES:
            for agreement in WORLD.names:
                for categories in (SELECTED, [c.value for c in Category], ["robbery"]):
                    rows = run(conn, query, agreement=agreement, category=categories)
                    if query.partner_facing:
                        small = [r for r in rows for v in r if type(v) is int and v in (1, 2)]
                        assert not small, f"{query.key}: counts of 1-2 in {small}"
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT note FROM incident_notes")
    finally:
        conn.rollback()
        conn.execute("RESET ROLE")


# ------------------------------------------------------------------------------------------- perceived safety


def _safe_share(waves: list[SurveyWaveEvent]) -> tuple[int, float]:
    question = QUESTIONS[PRIMARY_QUESTION]
    counts = Counter()
    for wave in waves:
        for result in wave.results:
            if result.question_id == PRIMARY_QUESTION:
                counts.update(result.counts)
    n = sum(counts.values())
    return n, sum(c for a, c in counts.items() if a in question.safe_answers) / n


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_safety_waves_equal_truth_and_small_waves_are_not_shown(conns, tier):
    controls = {a for a, (agreement, kind) in WORLD.kinds.items() if agreement == AGREEMENT and kind == "control"}
    expected = {}
    by_wave: dict[tuple[str, str], list[SurveyWaveEvent]] = defaultdict(list)
    for wave in SURVEY_WAVES:
        scope = "Området" if wave.area_id == AGREEMENT else "Kontrollområdena" if wave.area_id in controls else None
        if scope:
            by_wave[(scope, wave.wave)].append(wave)
    for (scope, _), waves in by_wave.items():
        n, p = _safe_share(waves)
        middle = waves[0].fielded_from + (waves[0].fielded_until - waves[0].fielded_from) / 2
        time_ = _local_midnight(middle)
        if n < 30 or not START <= time_ <= END:
            continue  # below SURVEY_SUPPRESS_BELOW: no share shown
        half = 1.959963984540054 * math.sqrt(p * (1 - p) / n)
        for part, value in (("", p), (", 95 % KI nedre", max(0, p - half)), (", 95 % KI övre", min(1, p + half))):
            expected[(time_, scope + part)] = round(100 * value, 1)
    rows = run(conns[tier], q.SAFETY_WAVES)
    assert {(t, m): float(v) for t, m, v in rows} == expected
    assert len(expected) >= 12 and _local_midnight(date(2024, 10, 10)) not in {t for t, _ in expected}


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_safety_table_and_overview_show_survey_estimates(conns, tier):
    conn = conns[tier]
    with conn.transaction():
        table = run(conn, q.SAFETY_TABLE)
        estimates = conn.execute("SELECT question_id, area_scope, before_share, share_change, verdict"
                                 " FROM survey_estimates(%s)", (AGREEMENT,)).fetchall()
        overview = {r[0]: r[-1] for r in run(conn, q.OVERVIEW)}
    questions = list(dict.fromkeys(e[0] for e in estimates))
    assert [r[0] for r in table] == [QUESTIONS[qid].text_sv for qid in questions] and len(questions) == 3
    for row, qid in zip(table, questions, strict=True):
        area = next(e for e in estimates if e[:2] == (qid, "agreement"))
        assert float(row[1]) == round(100 * area[2])
        assert row[3].startswith(("+", "-", "0")) and "procentenheter (95 % KI" in row[3]
        assert row[4] == q.SAFETY_VERDICTS_SV[area[4]]
    for name in WORLD.names.values():
        assert "procentenheter (95 % KI" in overview[name] or overview[name].startswith("–")


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_pulse_per_month_equals_truth_with_suppression(conns, tier):
    sites = {"site-ica-alidhem", "site-apotek-alidhem", "site-alidhemsskolan"}
    months: dict[date, Counter] = defaultdict(Counter)
    for tap in PULSES:
        if tap.site_id in sites:
            months[tap.day.replace(day=1)][tap.answer] += 1
    expected = {}
    for month, counts in months.items():
        n = sum(counts.values())
        if not START.date() <= month <= END.date() and month != START.date().replace(day=1):
            continue
        share = round(100 * (counts[4] + counts[5]) / n, 1) if n >= 30 else None
        mean = round(sum(a * c for a, c in counts.items()) / n, 2) if n >= 30 else None
        expected[_local_midnight(month)] = (_sup(n), share, mean)
    rows = {t: (n, None if s is None else float(s), None if m is None else float(m))
            for t, n, s, m in run(conns[tier], q.PULSE)}
    assert rows == expected
    assert any(n is None for n, _, _ in rows.values()), "a month of 1-2 taps is hidden"
    assert any(s is None and n is not None for n, s, _ in rows.values()) or min(
        sum(c.values()) for c in months.values()) >= 30
