"""The read model behind the boards stays exact as it is written: after processor batches (with repeats inside
and across batches), an agreement redraw that recounts its areas, and batches after it, the rollups, the grid
cells, the reporter days and the effect weeks equal a recomputation here in Python (zoneinfo, no SQL buckets)
from the stored events, on plain PostgreSQL (rollups as trigger-maintained tables) and on TimescaleDB (PGlite;
rollups as continuous aggregates, refreshed; the redraw updates events in compressed chunks).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from shapely.geometry import mapping

from schemas import Agreement, Category, IncidentEvent
from tests.conftest import fresh_database
from tests.integration.test_timescale_tier import (
    _compress_old_chunks,
    pglite,  # noqa: F401 (the module-wide PGlite server fixture)
)
from tests.support import (
    AGREEMENT_A,
    AGREEMENT_B,
    CONTROL_A,
    STOCKHOLM,
    Rect,
    valid_event,
    world_agreements,
)
from trygg.adapters.database import (
    connect,
    refresh_rollups,
    store_batch,
    upsert_agreements,
)
from trygg.adapters.migrations import Migration, migrate
from trygg.domain.placement import AreaIndex, areas_of
from trygg.localstack.pglite import PGlite
from trygg.localstack.processes import Postgres

pytestmark = pytest.mark.timescale

NOW = datetime.now(UTC).replace(microsecond=0)
STEP = 250 / 111320.0
EVERY_CATEGORY = [c.value for c in Category]
# Agreement A redrawn: shifted south-west, so some of its events leave it and others come in.
REDRAWN_A = Rect(AGREEMENT_A.area_id, 20.285, 63.807, 20.296, 63.818)


@pytest.fixture(scope="module")
def conns(postgres: Postgres, pglite: PGlite) -> Iterator[dict[str, psycopg.Connection]]:  # noqa: F811
    opened = {"postgres": connect(fresh_database(postgres)), "timescale": connect(pglite.url())}
    yield opened
    for conn in opened.values():
        conn.close()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=STOCKHOLM).astimezone(UTC)


def _recomputed(conn: psycopg.Connection) -> dict[str, dict[tuple, int]]:
    """Every maintained table as it should be, counted from incident_events and the areas."""
    kinds = dict(conn.execute("SELECT area_id, kind FROM areas").fetchall())
    tables: dict[str, Counter[tuple]] = {name: Counter() for name in (
        "incident_counts", "incident_counts_weekly", "incident_counts_monthly", "incident_grid_months",
        "incident_grid_days", "reporter_days", "effect_weeks")}
    rows = conn.execute("SELECT occurred_at, category, source, reporter, lat, lon, area_ids FROM incident_events")
    for occurred, category, source, reporter, lat, lon, areas in rows:
        day = occurred.astimezone(STOCKHOLM).date()
        monday = day - timedelta(days=day.weekday())
        for area in areas:
            for table, first in (("incident_counts", day), ("incident_counts_weekly", monday),
                                 ("incident_counts_monthly", day.replace(day=1))):
                tables[table][(area, category, source, _midnight(first))] += 1
            if kinds[area] not in ("agreement", "control"):
                continue
            tables["reporter_days"][(area, day, source, reporter)] += 1
            # (source, category) keys of the tables that also keep every source ('') and every category ('')
            keys = ((source, category), ("", category), (source, ""), ("", ""))
            if lat is not None:
                row = math.floor(lat / STEP)
                col = math.floor(lon / (STEP / math.cos(math.radians((row + 0.5) * STEP))))
                tables["incident_grid_days"][(area, day, category, source, row, col)] += 1
                for key in keys:
                    tables["incident_grid_months"][(area, *key, day.replace(day=1), row, col)] += 1
            for key in keys:
                for first_days in range(day.weekday() + 1, 8):  # c<i>: the week's first i days
                    tables["effect_weeks"][(area, *key, monday, first_days)] += 1
    return {name: {k: n for k, n in counter.items() if n} for name, counter in tables.items()}


def _stored(conn: psycopg.Connection) -> dict[str, dict[tuple, int]]:
    """Every maintained table as stored; rows of the event aggregates that a redraw brought to 0 left out."""
    stored = {
        table: {(area, category, source, bucket): n for area, category, source, bucket, n in conn.execute(
            f"SELECT area_id, category, source, bucket, incidents FROM {table}")}  # noqa: S608 (fixed names)
        for table in ("incident_counts", "incident_counts_weekly", "incident_counts_monthly")
    }
    stored["incident_grid_months"] = {tuple(row[:-1]): row[-1] for row in conn.execute(
        "SELECT area_id, source, category, month, cell_row, cell_col, incidents FROM incident_grid_months "
        "WHERE incidents <> 0")}
    stored["incident_grid_days"] = {tuple(row[:-1]): row[-1] for row in conn.execute(
        "SELECT area_id, day, category, source, cell_row, cell_col, incidents FROM incident_grid_days "
        "WHERE incidents <> 0")}
    stored["reporter_days"] = {tuple(row[:-1]): row[-1] for row in conn.execute(
        "SELECT area_id, day, source, reporter, reports FROM reporter_days WHERE reports <> 0")}
    stored["effect_weeks"] = {
        (*row[:4], i): n
        for row in conn.execute("SELECT area_id, source, category, week, c1, c2, c3, c4, c5, c6, c7 FROM effect_weeks")
        for i, n in enumerate(row[4:], start=1) if n
    }
    return stored


def _events(rng: random.Random, count: int) -> list[IncidentEvent]:
    return [IncidentEvent.model_validate(valid_event(rng, NOW)) for _ in range(count)]


def _store(conn: psycopg.Connection, rng: random.Random, index: AreaIndex, events: list[IncidentEvent],
           earlier: list[IncidentEvent]) -> None:
    """Batches of 400 as the processor writes them, each with repeats of its own and of earlier events."""
    for start in range(0, len(events), 400):
        batch = events[start:start + 400]
        batch += rng.sample(batch, 20) + rng.sample(earlier + events[:start] or batch, 20)
        store_batch(conn, [(e, index.place(e)) for e in batch], [], index_revision=index.revision, now=NOW,
                    note_retention=timedelta(days=90))


def _assert_exact(conn: psycopg.Connection) -> None:
    refresh_rollups(conn, datetime(2000, 1, 1, tzinfo=UTC), NOW + timedelta(days=1))  # TimescaleDB only
    stored, expected = _stored(conn), _recomputed(conn)
    for table, rows in expected.items():
        assert rows, f"{table}: the data must reach every table"
        assert stored[table] == rows, table


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM).astimezone(UTC)


def _assert_grid_ranges(conn: psycopg.Connection) -> None:
    """incident_grid over ranges that start and end anywhere (mid-day, at midnights, at month starts, inside one
    day or month, across DST), for every category (none given, or all listed as Grafana sends "All") and for a
    few, equals the cells counted from the events."""
    today = NOW.astimezone(STOCKHOLM).date()
    month = today.replace(day=1)
    ranges = [
        (NOW - timedelta(days=30, minutes=-17), NOW),
        (_midnight(today - timedelta(days=40)), _midnight(today)),
        (_midnight((month - timedelta(days=75)).replace(day=1)), _midnight(month)),
        (NOW - timedelta(hours=20), NOW - timedelta(hours=1)),
        (_midnight(today - timedelta(days=1)) + timedelta(minutes=30), _midnight(today) - timedelta(minutes=30)),
        (_midnight(month) + timedelta(hours=5), _midnight(month) + timedelta(days=9, hours=3)),
        (_local(2024, 3, 30, 12), _local(2024, 10, 27, 2, 30)),
        (datetime(2010, 1, 1, tzinfo=UTC), NOW + timedelta(days=1)),
    ]
    events = conn.execute("SELECT occurred_at, category, source, lat, lon FROM incident_events "
                          "WHERE area_ids @> ARRAY[%s] AND lat IS NOT NULL", (AGREEMENT_A.area_id,)).fetchall()
    checked = 0
    for start, end in ranges:
        for categories, source in ((None, None), (EVERY_CATEGORY, None), (EVERY_CATEGORY, "police"),
                                   (["shoplifting", "theft", "vandalism"], "police")):
            cells: Counter[tuple[int, int]] = Counter()
            for occurred, category, event_source, lat, lon in events:
                if start <= occurred < end and (categories is None or category in categories) \
                        and source in (None, event_source):
                    row = math.floor(lat / STEP)
                    cells[(row, math.floor(lon / (STEP / math.cos(math.radians((row + 0.5) * STEP)))))] += 1
            expected = sorted(((row + 0.5) * STEP, (col + 0.5) * STEP / math.cos(math.radians((row + 0.5) * STEP)), n)
                              for (row, col), n in cells.items() if n >= 3)
            got = conn.execute("SELECT * FROM incident_grid(%s, %s, %s, %s, %s) ORDER BY 1, 2",
                               (AGREEMENT_A.area_id, start, end, categories, source)).fetchall()
            assert [n for *_, n in got] == [n for *_, n in expected], (start, end, categories, source)
            for cell, want in zip(got, expected, strict=True):
                assert cell == pytest.approx(want)
            checked += bool(expected)
    assert checked >= 5, "most ranges must hold cells to compare"


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_maintained_aggregates_equal_a_recount_after_batches_repeats_and_a_redraw(
    conns: dict[str, psycopg.Connection], tier: str
) -> None:
    conn = conns[tier]
    migrate(conn)
    rng = random.Random(17)
    agreements = world_agreements()
    index = AreaIndex.from_agreements(agreements, revision=upsert_agreements(conn, agreements).revision)
    first = _events(rng, 2000)
    _store(conn, rng, index, first, [])
    _assert_exact(conn)
    if tier == "timescale":  # the redraw then updates events in compressed chunks
        assert _compress_old_chunks(conn) > 0

    kept = conn.execute("SELECT count(*) FROM incident_events WHERE area_ids @> ARRAY[%s]",
                        (AGREEMENT_A.area_id,)).fetchone()[0]
    redrawn = world_agreements((REDRAWN_A, AGREEMENT_B, CONTROL_A))
    result = upsert_agreements(conn, redrawn)
    assert AGREEMENT_A.area_id in result.recounted_areas
    assert conn.execute("SELECT count(*) FROM incident_events WHERE area_ids @> ARRAY[%s]",
                        (AGREEMENT_A.area_id,)).fetchone()[0] != kept, "the redraw must move events"
    _assert_exact(conn)

    _store(conn, rng, AreaIndex.from_agreements(redrawn, revision=result.revision), _events(rng, 1000), first)
    _assert_exact(conn)
    _assert_grid_ranges(conn)


def _agreements_as_of_0011(conn: psycopg.Connection, agreements: list[Agreement]) -> int:
    """Store agreements as the schema of 0011 held them (a control area carried its agreement's id; today's
    upsert_agreements needs 0015); the area revision."""
    with conn.transaction():
        for agreement in agreements:
            conn.execute("INSERT INTO agreements (agreement_id, name, municipality, signed_at) VALUES (%s, %s, %s, %s)",
                         (agreement.agreement_id, agreement.name, agreement.municipality, agreement.signed_at))
            for area in areas_of(agreement):
                min_lon, min_lat, max_lon, max_lat = area.geometry.bounds
                conn.execute(
                    """INSERT INTO areas (area_id, kind, agreement_id, name, municipality, geometry,
                                          min_lat, max_lat, min_lon, max_lon)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                    (area.area_id, area.kind.value, agreement.agreement_id, area.area_id, agreement.municipality,
                     json.dumps(mapping(area.geometry)), min_lat, max_lat, min_lon, max_lon))
        return conn.execute("UPDATE area_revision SET revision = revision + 1 RETURNING revision").fetchone()[0]


def test_upgrade_to_category_totals_keeps_the_grid_exact(postgres: Postgres) -> None:
    """A database that stored events before migration 0012 gets the map's every-category months from them, and
    batches after the upgrade keep them exact."""
    with connect(fresh_database(postgres, up_to=11)) as conn:
        rng = random.Random(29)
        agreements = world_agreements()
        index = AreaIndex.from_agreements(agreements, revision=_agreements_as_of_0011(conn, agreements))
        before = _events(rng, 1500)
        # Today's store_batch stands in for the processor of that time. It also confirms outbox rows, a column
        # that comes with 0016: give the stand-in that column for the old batches, and take it away again.
        conn.execute("ALTER TABLE outbox ADD COLUMN confirmed_at timestamptz")
        _store(conn, rng, index, before, [])
        conn.execute("ALTER TABLE outbox DROP COLUMN confirmed_at")
        assert 12 in [m.version for m in migrate(conn) if isinstance(m, Migration)]
        _assert_exact(conn)
        _store(conn, rng, index, _events(rng, 500), before)
        _assert_exact(conn)
        _assert_grid_ranges(conn)
