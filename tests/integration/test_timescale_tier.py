"""The TimescaleDB tier against the plain PostgreSQL tier, on real servers.

TimescaleDB runs inside PGlite (WASM PostgreSQL 17 + TimescaleDB 2.23, trygg.localstack.pglite), the plain tier
on the embedded PostgreSQL 18 (trygg.localstack.processes.Postgres). The same migrations, agreements and event
batches (late, years-old and DST-night events, redeliveries) go through the production adapters on both, and
the rollups must agree with each other and with counts computed here in Python with zoneinfo.

Needs Node.js 20+ and npm (the npm packages of deploy/pglite are installed on first use); fails, never skips,
without them. PGlite serves one connection at a time: each tier gets one module-wide connection.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from shapely.geometry import Point

from schemas import (
    Agreement,
    Category,
    FieldError,
    IncidentEvent,
    Location,
    Precision,
    Rejection,
    RejectionReason,
    SourceKind,
    agreements_from_geojson,
)
from trygg.domain.batches import RejectedRow
from trygg.adapters.database import connect, refresh_rollups, store_batch, upsert_agreements
from trygg.adapters.migrations import MIGRATIONS_DIR, REPEATABLE_DIR, migrate
from trygg.demo import SAMPLE_AGREEMENTS
from trygg.domain.placement import AreaIndex, Placement, areas_of
from trygg.localstack.pglite import PGlite
from trygg.localstack.processes import Postgres

pytestmark = pytest.mark.timescale

SAMPLE = SAMPLE_AGREEMENTS
STOCKHOLM = ZoneInfo("Europe/Stockholm")  # on purpose not trygg.domain.buckets: an independent truth
ROLLUPS = ("incident_counts", "incident_counts_weekly", "incident_counts_monthly")
TIERS = ("timescale", "postgres")
# The database's now() decides what a real-time aggregate computes live, so events must not lie ahead of it.
NOW = datetime.now(UTC).replace(microsecond=0)
# The loading sequence refreshes an explicit window covering every event.
REFRESH_FROM = datetime(2000, 1, 1, tzinfo=UTC)
REFRESH_TO = NOW + timedelta(days=1)

# The nights Sweden changes clocks in 2024, and the bucket edges around them.
DST_MOMENTS = [
    datetime(2024, 3, 30, 22, 59, 59, 999999, tzinfo=UTC),  # 23:59:59.999999 CET, Saturday 30 March
    datetime(2024, 3, 30, 23, 0, tzinfo=UTC),  # 00:00 CET, Sunday 31 March (a 23-hour day)
    datetime(2024, 3, 31, 1, 30, tzinfo=UTC),  # 03:30 CEST: 02:00-03:00 local does not exist
    datetime(2024, 3, 31, 2, 30, tzinfo=UTC),  # 04:30 CEST
    datetime(2024, 3, 31, 21, 59, 59, tzinfo=UTC),  # 23:59:59 CEST, last second of that Sunday and week
    datetime(2024, 3, 31, 22, 0, tzinfo=UTC),  # 00:00 CEST, Monday 1 April: new day, week and month
    datetime(2024, 10, 26, 21, 59, 59, tzinfo=UTC),  # 23:59:59 CEST, Saturday 26 October
    datetime(2024, 10, 26, 22, 0, tzinfo=UTC),  # 00:00 CEST, Sunday 27 October (a 25-hour day)
    datetime(2024, 10, 27, 0, 30, tzinfo=UTC),  # 02:30 CEST, first pass through 02:30
    datetime(2024, 10, 27, 1, 30, tzinfo=UTC),  # 02:30 CET, second pass through 02:30
    datetime(2024, 10, 27, 22, 59, 59, tzinfo=UTC),  # 23:59:59 CET, last second of that Sunday and week
    datetime(2024, 10, 27, 23, 0, tzinfo=UTC),  # 00:00 CET, Monday 28 October
    datetime(2024, 10, 31, 22, 59, 59, tzinfo=UTC),  # 23:59:59 CET, 31 October
    datetime(2024, 10, 31, 23, 0, tzinfo=UTC),  # 00:00 CET, 1 November
]


# ---------------------------------------------------------------------------------------------- servers


def _start(server):  # type: ignore[no-untyped-def]
    try:
        return server.start()
    except RuntimeError as error:  # node/npm missing or too old, npm install failed, server died
        pytest.fail(f"could not start {type(server).__name__}: {error}", pytrace=False)


@pytest.fixture(scope="module")
def pglite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PGlite]:
    server = _start(PGlite(tmp_path_factory.mktemp("pglite") / "data"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    server = _start(Postgres(tmp_path_factory.mktemp("postgres") / "data"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def conns(pglite: PGlite, postgres: Postgres) -> Iterator[dict[str, psycopg.Connection]]:
    """One connection per tier, for the whole module (PGlite would queue a second one until this closes)."""
    opened = {"timescale": connect(pglite.url()), "postgres": connect(postgres.url())}
    yield opened
    for conn in opened.values():
        conn.close()


# ---------------------------------------------------------------------------------------------- data


@dataclass
class Workload:
    agreements: list[Agreement]
    first: list[list[IncidentEvent]]  # stored, then the rollups are refreshed
    late: list[list[IncidentEvent]]  # stored after that refresh: backfill and late events, redeliveries
    backfill_days: set[date] = field(default_factory=set)


def _point_in(rng: random.Random, geometry) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    while True:
        lat, lon = rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)
        if geometry.covers(Point(lon, lat)):
            return lat, lon


def _event(rng: random.Random, agreements: list[Agreement], occurred_at: datetime) -> IncidentEvent:
    areas = [area for agreement in agreements for area in areas_of(agreement)]
    sites = [site for agreement in agreements for site in agreement.sites]
    kind = rng.random()
    if kind < 0.55:
        lat, lon = _point_in(rng, rng.choice(areas).geometry)
        location = Location(lat=lat, lon=lon, municipality=rng.choice([None, "Umeå"]))
    elif kind < 0.65:  # somewhere in Umeå, mostly outside every agreement area
        location = Location(lat=rng.uniform(63.80, 63.86), lon=rng.uniform(20.18, 20.36), municipality="Umeå")
    elif kind < 0.80:
        location = Location(site_id=rng.choice(sites).site_id)
    else:  # known only to the municipality: counted there, never in an area
        location = Location(municipality=rng.choice(["Umeå", "Vännäs"]), precision=Precision.municipality)
    source = rng.choice(list(SourceKind))
    return IncidentEvent(
        event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        source=source,
        reporter=f"{source.value}-{rng.randrange(5)}",
        category=rng.choice(list(Category)),
        occurred_at=occurred_at,
        reported_at=min(NOW, occurred_at + timedelta(minutes=rng.randrange(0, 600))),
        location=location,
        note=rng.choice([None, None, "Fritext som raderas efter lagringstiden"]),
    )


def _random_moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(microseconds=rng.randrange(int((end - start) / timedelta(microseconds=1))))


@pytest.fixture(scope="module")
def workload() -> Workload:
    rng = random.Random(20240331)
    agreements = agreements_from_geojson(json.loads(SAMPLE.read_text(encoding="utf-8")))
    recent = [_random_moment(rng, NOW - timedelta(days=400), NOW - timedelta(minutes=1)) for _ in range(220)]
    recent += [_random_moment(rng, NOW - timedelta(hours=30), NOW - timedelta(minutes=1)) for _ in range(30)]
    first_times = recent + DST_MOMENTS * 2 + [_random_moment(rng, datetime(2024, 1, 1, tzinfo=UTC),
                                                              datetime(2025, 1, 1, tzinfo=UTC)) for _ in range(40)]
    first = [_event(rng, agreements, t) for t in first_times]
    rng.shuffle(first)
    # Late: a years-old backfill (2014-2019), more events in 2024 days (DST nights included) that the first
    # refresh already materialised, more in the live, not yet materialised, last day.
    backfill = [_random_moment(rng, datetime(2014, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC))
                for _ in range(90)]
    late_times = backfill + DST_MOMENTS + [_random_moment(rng, datetime(2024, 3, 1, tzinfo=UTC),
                                                          datetime(2024, 11, 30, tzinfo=UTC)) for _ in range(30)]
    late_times += [_random_moment(rng, NOW - timedelta(hours=20), NOW - timedelta(minutes=1)) for _ in range(10)]
    late = [_event(rng, agreements, t) for t in late_times]
    redelivered = rng.sample(first, 25)  # Kafka redelivers: must change nothing
    late_batches = [late[:60] + redelivered[:10], late[60:] + redelivered[10:] + late[:3]]  # + in-batch repeats
    return Workload(
        agreements=agreements,
        first=[first[i:i + 100] for i in range(0, len(first), 100)],
        late=late_batches,
        backfill_days={t.astimezone(STOCKHOLM).date() for t in backfill},
    )


@dataclass
class Loaded:
    applied: list[str]
    applied_again: list[str]
    revision: int
    accepted: int
    duplicates: int
    compressed_chunks_before_late: int
    daily_before_late_refresh: list[tuple]
    rows: dict[str, list[tuple]]
    hourly: list[tuple]
    prepared_statements: int
    placements: dict[uuid.UUID, Placement]


def _rows(conn: psycopg.Connection, view: str) -> list[tuple]:
    return sorted(
        (area, category, source, bucket.astimezone(UTC), incidents)
        for area, category, source, bucket, incidents in conn.execute(
            f"SELECT area_id, category, source, bucket, incidents FROM {view}"  # noqa: S608 (fixed names)
        )
    )


def _compress_old_chunks(conn: psycopg.Connection) -> int:
    """Run the registered compression policies now (PGlite has no background workers to run them)."""
    for (job_id,) in conn.execute(
        "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_compression'"
    ).fetchall():
        conn.execute("CALL run_job(%s)", (job_id,))
    return conn.execute("SELECT count(*) FROM timescaledb_information.chunks WHERE is_compressed").fetchone()[0]


def _load(conn: psycopg.Connection, tier: str, work: Workload) -> Loaded:
    applied = [m.path.name for m in migrate(conn)]
    applied_again = [m.path.name for m in migrate(conn)]
    revision = upsert_agreements(conn, work.agreements).revision
    index = AreaIndex.from_agreements(work.agreements, revision=revision)
    placements: dict[uuid.UUID, Placement] = {}
    accepted = duplicates = 0

    def store(batch: list[IncidentEvent], rejected: list[RejectedRow] = []) -> None:  # noqa: B006
        nonlocal accepted, duplicates
        placed = [(event, placements.setdefault(event.event_id, index.place(event))) for event in batch]
        result = store_batch(conn, placed, rejected, index_revision=index.revision, now=NOW,
                             note_retention=timedelta(days=90))
        accepted += result.accepted
        duplicates += result.duplicates

    rejection = Rejection(
        reason=RejectionReason.invalid_json, message="not JSON", payload="{", rejected_at=NOW,
        errors=(FieldError(field="", reason=RejectionReason.invalid_json, message="Expecting value"),),
    )
    for number, batch in enumerate(work.first):
        store(batch, [RejectedRow(partition=0, offset=number, rejection=rejection)])
    refresh_rollups(conn, REFRESH_FROM, REFRESH_TO)
    compressed = _compress_old_chunks(conn) if tier == "timescale" else 0
    for batch in work.late:
        store(batch)
    daily_before = _rows(conn, "incident_counts")
    refresh_rollups(conn, REFRESH_FROM, REFRESH_TO)
    return Loaded(
        applied=applied,
        applied_again=applied_again,
        revision=revision,
        accepted=accepted,
        duplicates=duplicates,
        compressed_chunks_before_late=compressed,
        daily_before_late_refresh=daily_before,
        rows={view: _rows(conn, view) for view in ROLLUPS},
        hourly=sorted(conn.execute("SELECT area_id, category, source, hour, incidents FROM incident_counts_hourly")),
        prepared_statements=conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0],
        placements=placements,
    )


@pytest.fixture(scope="module")
def loaded(conns: dict[str, psycopg.Connection], workload: Workload) -> dict[str, Loaded]:
    return {tier: _load(conns[tier], tier, workload) for tier in TIERS}


# ---------------------------------------------------------------------------------------------- truth


def _unique_events(work: Workload) -> list[IncidentEvent]:
    seen: dict[uuid.UUID, IncidentEvent] = {}
    for batch in work.first + work.late:
        for event in batch:
            seen.setdefault(event.event_id, event)
    return list(seen.values())


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=STOCKHOLM).astimezone(UTC)


def _truth_buckets(moment: datetime) -> dict[str, datetime]:
    local = moment.astimezone(STOCKHOLM).date()
    return {
        "incident_counts": _local_midnight(local),
        "incident_counts_weekly": _local_midnight(local - timedelta(days=local.weekday())),
        "incident_counts_monthly": _local_midnight(local.replace(day=1)),
    }


def _truth(work: Workload, placements: dict[uuid.UUID, Placement]) -> dict[str, list[tuple]]:
    counts: dict[str, Counter] = {view: Counter() for view in ROLLUPS}
    for event in _unique_events(work):
        for view, bucket in _truth_buckets(event.occurred_at).items():
            for area_id in placements[event.event_id].area_ids:
                counts[view][(area_id, event.category.value, event.source.value, bucket)] += 1
    return {view: sorted((*key, n) for key, n in counter.items()) for view, counter in counts.items()}


# ---------------------------------------------------------------------------------------------- tests


def test_migrations_apply_once_per_tier(loaded: dict[str, Loaded], conns: dict[str, psycopg.Connection]) -> None:
    every_file = sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql"))
    repeatable = sorted(p.name for p in REPEATABLE_DIR.glob("*.sql"))  # applied after the versioned ones
    for tier, other in (("timescale", "postgres"), ("postgres", "timescale")):
        assert loaded[tier].applied == [name for name in every_file + repeatable if f".{other}." not in name]
    assert "0002_rollups.timescale.sql" in loaded["timescale"].applied
    for tier in TIERS:
        assert loaded[tier].applied_again == []
        assert migrate(conns[tier]) == []
        assert conns[tier].execute("SELECT DISTINCT tier FROM schema_migrations").fetchall() == [(tier,)]


def test_timescale_objects(loaded: dict[str, Loaded], conns: dict[str, psycopg.Connection]) -> None:
    conn = conns["timescale"]
    assert conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    hypertables = dict(conn.execute(
        "SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables "
        "WHERE hypertable_schema = 'public'"
    ).fetchall())
    assert hypertables == {"incident_events": True, "incident_counts_hourly": True}
    dimensions = set(conn.execute(
        "SELECT hypertable_name, column_name, time_interval FROM timescaledb_information.dimensions "
        "WHERE hypertable_schema = 'public'"
    ).fetchall())
    assert dimensions == {("incident_events", "occurred_at", timedelta(days=30)),
                          ("incident_counts_hourly", "hour", timedelta(days=90))}
    caggs = dict(conn.execute(
        "SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates"
    ).fetchall())
    assert caggs == {view: False for view in ROLLUPS}
    # Weeks and months are built on the daily aggregate (hierarchical).
    parents = dict(conn.execute(
        "SELECT view_name, hypertable_name FROM timescaledb_information.continuous_aggregates"
    ).fetchall())
    assert parents["incident_counts"] == "incident_counts_hourly"
    daily_mat = conn.execute(
        "SELECT materialization_hypertable_name FROM timescaledb_information.continuous_aggregates "
        "WHERE view_name = 'incident_counts'"
    ).fetchone()[0]
    assert parents["incident_counts_weekly"] == parents["incident_counts_monthly"] == daily_mat


def test_policies_registered_and_runnable(loaded: dict[str, Loaded], conns: dict[str, psycopg.Connection]) -> None:
    conn = conns["timescale"]
    jobs = conn.execute(
        """SELECT job_id, proc_name, coalesce(hypertable_name, ''), config FROM timescaledb_information.jobs
           WHERE proc_name IN ('policy_compression', 'policy_retention', 'policy_refresh_continuous_aggregate')"""
    ).fetchall()
    mats = dict(conn.execute(
        "SELECT materialization_hypertable_name, view_name FROM timescaledb_information.continuous_aggregates"
    ).fetchall())
    found = {(proc, mats.get(table, table)): config for _, proc, table, config in jobs}
    assert found[("policy_compression", "incident_events")]["compress_after"] == "180 days"
    assert found[("policy_compression", "incident_counts_hourly")]["compress_after"] == "180 days"
    for table in ("incident_events", "incident_counts_hourly", *ROLLUPS):
        assert found[("policy_retention", table)]["drop_after"] == "15 years"
    for view in ROLLUPS:
        assert found[("policy_refresh_continuous_aggregate", view)]["start_offset"] == "14 years"
    assert len(jobs) == 2 + 5 + 3
    settings = set(conn.execute(
        "SELECT hypertable_name, attname, segmentby_column_index, orderby_column_index "
        "FROM timescaledb_information.compression_settings WHERE hypertable_schema = 'public'"
    ).fetchall())
    assert ("incident_events", "category", 1, None) in settings
    assert ("incident_events", "occurred_at", None, 1) in settings
    assert ("incident_counts_hourly", "area_id", 1, None) in settings
    assert ("incident_counts_hourly", "hour", None, 1) in settings
    # No background workers in PGlite: run every policy in the foreground once; none may fail or change
    # the counts (nothing is old enough to drop; the refreshes find the aggregates up to date).
    before = {view: _rows(conn, view) for view in ROLLUPS}
    for job_id, *_ in jobs:
        conn.execute("CALL run_job(%s)", (job_id,))
    assert {view: _rows(conn, view) for view in ROLLUPS} == before


def test_late_events_went_into_compressed_chunks(
    loaded: dict[str, Loaded], conns: dict[str, psycopg.Connection]
) -> None:
    assert loaded["timescale"].compressed_chunks_before_late > 0
    assert conns["timescale"].execute(
        "SELECT count(*) FROM timescaledb_information.chunks "
        "WHERE is_compressed AND hypertable_name = 'incident_counts_hourly'"
    ).fetchone()[0] > 0


def test_same_batches_same_writes(loaded: dict[str, Loaded], workload: Workload) -> None:
    unique = len(_unique_events(workload))
    for tier in TIERS:
        assert loaded[tier].accepted == unique
        assert loaded[tier].duplicates == sum(len(b) for b in workload.first + workload.late) - unique
    assert loaded["timescale"].revision == loaded["postgres"].revision == 1
    assert loaded["timescale"].hourly == loaded["postgres"].hourly


def test_rollups_identical_on_both_tiers_and_true(loaded: dict[str, Loaded], workload: Workload) -> None:
    truth = _truth(workload, loaded["postgres"].placements)
    for view in ROLLUPS:
        assert truth[view], view
        assert loaded["timescale"].rows[view] == loaded["postgres"].rows[view], view
        assert loaded["postgres"].rows[view] == truth[view], view


def test_dst_nights_counted_in_their_local_day(loaded: dict[str, Loaded]) -> None:
    daily = loaded["timescale"].rows["incident_counts"]
    per_day = Counter()
    for _, _, _, bucket, incidents in daily:
        per_day[bucket] += incidents
    for day in (date(2024, 3, 31), date(2024, 10, 27)):
        start = _local_midnight(day)
        assert per_day[start] > 0
        assert start == datetime.combine(day - timedelta(days=1), datetime.min.time(), UTC) + timedelta(
            hours=23 if day.month == 3 else 22
        )


def test_late_events_need_a_refresh_on_timescale(loaded: dict[str, Loaded], workload: Workload) -> None:
    """Real-time aggregates compute only buckets after the refresh watermark live: late rows in older buckets
    stay invisible until refresh_rollups runs. Plain views have no such lag."""
    before = {bucket.astimezone(STOCKHOLM).date() for *_, bucket, _ in loaded["timescale"].daily_before_late_refresh}
    after = {bucket.astimezone(STOCKHOLM).date() for *_, bucket, _ in loaded["timescale"].rows["incident_counts"]}
    assert workload.backfill_days <= after
    assert not workload.backfill_days & before
    assert loaded["postgres"].daily_before_late_refresh == loaded["postgres"].rows["incident_counts"]


def _grid() -> list[datetime]:
    moments: set[datetime] = set()
    for day in ("2024-03-30", "2024-03-31", "2024-04-01", "2024-10-26", "2024-10-27", "2024-10-28", "1999-12-31",
                "2000-01-01", "2000-01-03", "2024-02-29", "2024-12-31", "2025-01-01", "1970-01-01", "2038-03-28"):
        start = datetime.fromisoformat(day).replace(tzinfo=UTC) - timedelta(hours=3)
        for minutes in range(0, 30 * 60, 30):
            moment = start + timedelta(minutes=minutes)
            moments.update((moment, moment - timedelta(microseconds=1), moment + timedelta(seconds=59)))
    day = datetime(2023, 1, 1, 21, tzinfo=UTC)
    while day.year < 2025:  # every evening of two years: local midnight is 22:00 or 23:00 UTC
        moments.update(day + timedelta(hours=h, microseconds=d) for h in (0, 1, 2) for d in (-1, 0, 1))
        day += timedelta(days=1)
    return sorted(moments)


BUCKET_EXPRESSIONS = {
    "1 hour": "time_bucket('1 hour', t)",
    "1 day": "time_bucket('1 day', t, 'Europe/Stockholm')",
    "1 week": "time_bucket('1 week', t, 'Europe/Stockholm')",
    "1 month": "time_bucket('1 month', t, 'Europe/Stockholm')",
}


def test_time_bucket_same_on_both_tiers(loaded: dict[str, Loaded], conns: dict[str, psycopg.Connection]) -> None:
    grid = _grid()
    results = {
        tier: {
            name: [row[0] for row in conns[tier].execute(
                f"SELECT {expression} FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS u(t, i) ORDER BY i", (grid,)
            )]
            for name, expression in BUCKET_EXPRESSIONS.items()
        }
        for tier in TIERS
    }
    for name in BUCKET_EXPRESSIONS:
        differences = [(t, a, b) for t, a, b in zip(grid, results["timescale"][name], results["postgres"][name],
                                                     strict=True) if a != b]
        assert not differences, (name, differences[:5])
    truth = {"1 hour": [t.replace(minute=0, second=0, microsecond=0) for t in grid]}
    for name, view in (("1 day", "incident_counts"), ("1 week", "incident_counts_weekly"),
                       ("1 month", "incident_counts_monthly")):
        truth[name] = [_truth_buckets(t)[view] for t in grid]
    for name, expected in truth.items():
        assert results["postgres"][name] == expected, name


def test_reader_role_sees_counts_not_events(loaded: dict[str, Loaded], conns: dict[str, psycopg.Connection]) -> None:
    for tier in TIERS:
        conn = conns[tier]
        with conn.transaction():
            conn.execute("SET LOCAL ROLE trygg_reader")
            assert conn.execute("SELECT current_user").fetchone() == ("trygg_reader",)
            for view in (*ROLLUPS, "incident_counts_hourly", "areas"):
                assert conn.execute(f"SELECT count(*) FROM {view}").fetchone()[0] > 0, (tier, view)  # noqa: S608
            for table in ("incident_events", "incident_notes"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                    conn.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        assert conn.execute("SELECT current_user").fetchone() == ("postgres",), tier


def test_array_parameters_over_the_pglite_socket(
    loaded: dict[str, Loaded], conns: dict[str, psycopg.Connection]
) -> None:
    """unnest() over array parameters, in text and binary formats, prepared or not, and larger than one TCP read."""
    conn = conns["timescale"]
    assert loaded["timescale"].prepared_statements > 0  # store_batch's statements were prepared server-side
    ids = [uuid.uuid4() for _ in range(20_000)]
    moments = [NOW - timedelta(seconds=i) for i in range(20_000)]
    for binary in (False, True):
        for prepare in (False, True):
            with conn.cursor(binary=binary) as cur:
                cur.execute("SELECT count(*), count(DISTINCT i), min(t), max(t) "
                            "FROM unnest(%s::uuid[], %s::timestamptz[]) AS u(i, t)", (ids, moments), prepare=prepare)
                assert cur.fetchone() == (20_000, 20_000, moments[-1], moments[0]), (binary, prepare)


def test_refresh_rollups_default_window(loaded: dict[str, Loaded], conns: dict[str, psycopg.Connection]) -> None:
    """The processor refreshes with an open window (None, None): its bounds must be typed for TimescaleDB."""
    conn = conns["timescale"]
    refresh_rollups(conn)
    hourly = conn.execute("SELECT sum(incidents) FROM incident_counts_hourly").fetchone()[0]
    assert all(conn.execute(f"SELECT sum(incidents) FROM {view}").fetchone()[0] == hourly  # noqa: S608
               for view in ROLLUPS)


def test_writer_role_can_refresh_rollups(loaded: dict[str, Loaded], conns: dict[str, psycopg.Connection]) -> None:
    """The processor runs as trygg_writer, so it must own the aggregates to refresh them (0004)."""
    conn = conns["timescale"]
    conn.execute("SET ROLE trygg_writer")  # not SET LOCAL: a refresh refuses to run inside a transaction
    try:
        refresh_rollups(conn, REFRESH_FROM, REFRESH_TO)
    finally:
        conn.execute("RESET ROLE")


def test_pglite_restart_keeps_everything(pglite: PGlite, loaded: dict[str, Loaded],
                                         conns: dict[str, psycopg.Connection]) -> None:
    """Reopening the data directory: compressed chunks must read back in full (server.mjs loads the library)."""
    queries = [
        "SELECT count(*), sum(extract(epoch FROM occurred_at)) FROM incident_events",
        "SELECT count(*), sum(incidents) FROM incident_counts_hourly",
        "SELECT count(*) FROM timescaledb_information.chunks WHERE is_compressed",
        *(f"SELECT count(*), sum(incidents) FROM {view}" for view in ROLLUPS),  # noqa: S608
    ]
    before = [conns["timescale"].execute(q).fetchone() for q in queries]
    assert before[2][0] > 0
    conns["timescale"].close()
    pglite.stop()
    pglite.start()
    conns["timescale"] = connect(pglite.url())
    assert [conns["timescale"].execute(q).fetchone() for q in queries] == before
    assert migrate(conns["timescale"]) == []
