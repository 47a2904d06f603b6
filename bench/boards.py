"""Board query benchmark: p50/p95 latency of every board query (Grafana macros expanded, as Grafana sends it)
beside a naive query over the raw events measured in the same run.

    .venv/bin/python -m bench.boards [--events N] [--timescale-events M] [--repeat R] [--keep-data DIR]
    .venv/bin/python -m bench.boards --write-cost [--batches B]

Plain PostgreSQL (embedded, the default tier) gets N events (default 10,000,000) in 100 areas (25 agreements,
each with 3 control areas) over 5 years, written with INSERT ... SELECT generate_series (not through Kafka) in
statements of 1M events that also add their hourly counts, as the pipeline's batches do (the database's
triggers maintain the read model meanwhile). TimescaleDB (PGlite, WASM, one connection) gets M events
(default 200,000; 0 skips it): loading 10M rows into PGlite is not practical. Prints a table and writes it to
bench/results/boards-<timestamp>.md. Target: every board query p95 < 50 ms and >= 20x faster than its naive
counterpart.

--keep-data DIR keeps the plain tier's data directory in DIR and, when it already holds a loaded database,
measures that (after applying pending migrations) instead of loading again: for iterating on queries. The
default run loads into a fresh temporary directory.

--write-cost measures what the read model's triggers add to the processor's write: B batches (default 200) of
2,000 synthetic events through store_batch, single process, once with the triggers and once with them disabled
(what the plain tier wrote before the rollups became tables), each into a fresh database.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from schemas import Category
from trygg.adapters.database import (
    connect,
    refresh_rollups,
    store_batch,
    upsert_agreements,
)
from trygg.adapters.migrations import migrate
from trygg.boards import queries as q
from trygg.boards.macros import expand
from trygg.domain.placement import AreaIndex
from trygg.localstack.pglite import PGlite
from trygg.localstack.processes import Postgres
from trygg.synthetic import History, load_sample_agreements
from trygg.synthetic import generate as synthetic_events

RESULTS = Path(__file__).resolve().parent / "results"
AGREEMENTS, CONTROLS = 25, 3
AREAS = AGREEMENTS * (1 + CONTROLS)
YEARS = 5
AGREEMENT = "bench-a00"
LOAD_STATEMENT_EVENTS = 1_000_000

# The same questions answered from the raw events: what a board would cost without the read model.
NAIVE = {
    "weekly": """SELECT time_bucket('1 week', occurred_at, 'Europe/Stockholm') AS time, category, count(*)
FROM incident_events WHERE area_ids @> ARRAY['{a}'] AND occurred_at >= now() - interval '3 years'
GROUP BY 1, 2 ORDER BY 1, 2""",
    "trend": """SELECT time_bucket('1 month', e.occurred_at, 'Europe/Stockholm'), a.name, count(*)
FROM incident_events e JOIN agreements a ON e.area_ids @> ARRAY[a.agreement_id]
WHERE e.occurred_at >= now() - interval '3 years' GROUP BY 1, 2 ORDER BY 1, 2""",
    "area_vs_control": """SELECT time_bucket('1 month', e.occurred_at, 'Europe/Stockholm'), ar.kind, count(*)
FROM areas ar JOIN incident_events e ON e.area_ids @> ARRAY[ar.area_id]
WHERE ar.agreement_id = '{a}' GROUP BY 1, 2 ORDER BY 1, 2""",
    "effect_table": """SELECT e.category, count(*) FILTER (WHERE e.occurred_at < g.signed_at),
       count(*) FILTER (WHERE e.occurred_at >= g.signed_at)
FROM agreements g JOIN incident_events e ON e.area_ids @> ARRAY[g.agreement_id]
WHERE g.agreement_id = '{a}' AND e.occurred_at >= g.signed_at - 365 AND e.occurred_at < g.signed_at + 365
GROUP BY 1""",
    "overview": """SELECT g.agreement_id, count(*) FILTER (WHERE e.occurred_at < g.signed_at),
       count(*) FILTER (WHERE e.occurred_at >= g.signed_at)
FROM agreements g JOIN incident_events e ON e.area_ids @> ARRAY[g.agreement_id]
WHERE e.occurred_at >= g.signed_at - 365 AND e.occurred_at < g.signed_at + 365 GROUP BY 1""",
    "map": """SELECT floor(lat / (250 / 111320.0)) AS row_no, floor(lon / (250 / 111320.0 / cos(radians(lat)))), count(*)
FROM incident_events WHERE area_ids @> ARRAY['{a}'] AND lat IS NOT NULL AND occurred_at >= now() - interval '3 years'
GROUP BY 1, 2 HAVING count(*) >= 3""",
    "reporting": """SELECT e.occurred_at >= g.signed_at AS after, e.source, count(DISTINCT e.reporter), count(*)
FROM agreements g JOIN incident_events e ON e.area_ids @> ARRAY[g.agreement_id]
WHERE g.agreement_id = '{a}' AND e.occurred_at >= g.signed_at - 365 AND e.occurred_at < g.signed_at + 365
GROUP BY 1, 2""",
}
NAIVE["headline"] = NAIVE["before_after"] = NAIVE["police_vs_all"] = NAIVE["effect_table"]


def generate(conn: psycopg.Connection, events: int) -> float:
    """Agreements, areas and `events` raw events with their hourly counts; returns seconds taken."""
    started = time.monotonic()
    conn.execute("SELECT setseed(0.42)")
    conn.execute(
        f"""INSERT INTO agreements (agreement_id, name, municipality, signed_at)
           SELECT format('bench-a%s', lpad(k::text, 2, '0')), format('Område %s', k), 'Umeå',
                  current_date - 200 - 20 * k
           FROM generate_series(0, {AGREEMENTS - 1}) k"""
    )
    conn.execute(
        """INSERT INTO measures (agreement_id, position, description, starts_on)
           SELECT agreement_id, p, format('Åtgärd %s', p), signed_at + 30 * p FROM agreements, generate_series(1, 2) p"""
    )
    conn.execute(
        f"""INSERT INTO areas (area_id, kind, agreement_id, name, municipality)
           SELECT agreement_id, 'agreement', agreement_id, name, municipality FROM agreements
           UNION ALL
           SELECT format('%s-k%s', agreement_id, j), 'control', NULL, format('Kontroll %s', j), municipality
           FROM agreements, generate_series(1, {CONTROLS}) j"""
    )
    conn.execute(
        f"""INSERT INTO agreement_control_areas (agreement_id, area_id)
           SELECT agreement_id, format('%s-k%s', agreement_id, j) FROM agreements, generate_series(1, {CONTROLS}) j"""
    )
    # Events: area i % 100, a point in that area's small square, categories skewed (a few common ones),
    # stored from minutes to two days after they occurred; each statement adds its events' hourly counts.
    for first in range(0, events, LOAD_STATEMENT_EVENTS):
        conn.execute(
            f"""WITH stored AS (
               INSERT INTO incident_events (event_id, occurred_at, reported_at, stored_at, source, reporter, category,
                                            lat, lon, precision, area_ids)
               SELECT gen_random_uuid(), t, t + interval '5 minutes', t + random() * interval '2 days',
                      src, src || '-' || (i % 7), cat,
                      63.80 + (a / 10) * 0.01 + random() * 0.01, 20.20 + (a % 10) * 0.02 + random() * 0.02,
                      'point', ARRAY[area]
               FROM (
                   SELECT i, a, ar.area_id AS area,
                          now() - interval '{YEARS} years' + random() * interval '{YEARS} years' AS t,
                          (ARRAY['shop', 'property_owner', 'school', 'police', 'municipality'])[1 + i % 5] AS src,
                          (ARRAY{[c.value for c in Category]})[1 + floor(random() ^ 2 * 12)::int] AS cat
                   FROM generate_series({first}, {min(events, first + LOAD_STATEMENT_EVENTS) - 1}) i
                   CROSS JOIN LATERAL (SELECT i % {AREAS} AS a) x
                   JOIN (SELECT area_id, row_number() OVER (ORDER BY area_id) - 1 AS n FROM areas) ar ON ar.n = x.a
               ) g
               RETURNING area_ids[1] AS area_id, category, source, occurred_at
            )
            INSERT INTO incident_counts_hourly AS h (area_id, category, source, hour, incidents)
            SELECT area_id, category, source, date_trunc('hour', occurred_at), count(*) FROM stored GROUP BY 1, 2, 3, 4
            ON CONFLICT (area_id, category, source, hour) DO UPDATE SET incidents = h.incidents + EXCLUDED.incidents"""
        )
    conn.execute(
        """INSERT INTO rejected_events (source_partition, source_offset, payload_sha256, rejected_at, reason, field)
           SELECT 0, i, md5(i::text), now() - random() * interval '5 days',
                  (ARRAY['invalid_json', 'unknown_category', 'naive_timestamp'])[1 + i % 3], ''
           FROM generate_series(1, 10000) i"""
    )
    refresh_rollups(conn)
    # Measure the steady state of a live database, which autovacuum keeps vacuumed, not the moment after a bulk
    # load: until VACUUM sets the visibility map, index-only scans fetch every heap row (a fresh 10M run had the
    # map at 59 ms p95 while autovacuum was still busy; an earlier load, measured hours later, 40 ms).
    conn.execute("VACUUM ANALYZE")
    return time.monotonic() - started


def _time(conn: psycopg.Connection, sql: str, repeat: int) -> list[float]:
    conn.execute(sql).fetchall()  # warm-up: plan and cache
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        conn.execute(sql).fetchall()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _p(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def measure(conn: psycopg.Connection, repeat: int) -> list[tuple[str, float, float, float | None, float | None]]:
    now = datetime.now(UTC).replace(microsecond=0)
    variables = {"agreement": AGREEMENT, "category": [c.value for c in Category], "source": q.ALL_SOURCES,
                 "municipality": ["Umeå"]}
    rows = []
    for query in (q.ANNOTATIONS, *q.AGREEMENT_PANELS, *q.MUNICIPALITY_PANELS, *q.HEALTH_PANELS):
        days = 1 if query in q.HEALTH_PANELS else 3 * 365
        sql = expand(query.sql, variables, now - timedelta(days=days), now)
        board = _time(conn, sql, repeat)
        naive_sql = NAIVE.get(query.key)
        naive = _time(conn, naive_sql.format(a=AGREEMENT), max(3, repeat // 5)) if naive_sql else None
        rows.append((query.key, _p(board, 50), _p(board, 95),
                     _p(naive, 50) if naive else None, _p(naive, 95) if naive else None))
        print(f"  {rows[-1][0]}: p50 {rows[-1][1]:.1f} ms, p95 {rows[-1][2]:.1f} ms", flush=True)  # long runs
    return rows


def table(title: str, rows: list[tuple[str, float, float, float | None, float | None]]) -> str:
    lines = [f"### {title}", "", "| query | p50 ms | p95 ms | naive p50 ms | naive p95 ms | speed-up (p50) | p95 < 50 ms |",
             "|---|---:|---:|---:|---:|---:|:---:|"]
    for key, p50, p95, n50, n95 in rows:
        speed = f"{n50 / p50:.0f}x" if n50 else "–"
        lines.append(f"| {key} | {p50:.1f} | {p95:.1f} | {f'{n50:.0f}' if n50 else '–'} | "
                     f"{f'{n95:.0f}' if n95 else '–'} | {speed} | {'yes' if p95 < 50 else 'NO'} |")
    return "\n".join(lines)


def run_tier(server: Postgres | PGlite, label: str, events: int, repeat: int) -> str:
    with connect(server.url()) as conn:
        migrate(conn)
        if conn.execute("SELECT count(*) FROM agreements").fetchone()[0]:
            loaded = "reused from --keep-data"
            conn.execute("VACUUM ANALYZE")  # as after a load: pending migrations may have rewritten tables
        else:
            loaded = f"loaded in {generate(conn, events):.0f} s"
        count = conn.execute("SELECT count(*) FROM incident_events").fetchone()[0]
        hourly = conn.execute("SELECT count(*) FROM incident_counts_hourly").fetchone()[0]
        rows = measure(conn, repeat)
    title = f"{label}: {count:,} events, {hourly:,} hourly count rows, {AREAS} areas, {YEARS} years ({loaded})"
    return table(title, rows)


TRIGGERED_TABLES = ("incident_counts_hourly", "incident_events")


def write_cost(batches: int, size: int = 2000) -> str:
    """Mean and p95 ms per store_batch with the read model's triggers and without them."""
    agreements = load_sample_agreements()
    history = History(first_day=date(2021, 1, 1), last_day=date(2025, 12, 31), seed=3, agreement_daily_rate=60,
                      control_daily_rate=40)
    events = synthetic_events(agreements, history)[: batches * size]
    rows = []
    with tempfile.TemporaryDirectory(prefix="trygg-bench-write-") as tmp:
        postgres = Postgres(Path(tmp) / "pg").start()
        try:
            for label, enabled in (("with triggers", True), ("triggers disabled", False)):
                database = f"write_{'on' if enabled else 'off'}"
                with psycopg.connect(postgres.url(database="postgres"), autocommit=True) as admin:
                    admin.execute(f"CREATE DATABASE {database}")
                with connect(postgres.url(database=database)) as conn:
                    migrate(conn)
                    if not enabled:
                        for name in TRIGGERED_TABLES:
                            conn.execute(f"ALTER TABLE {name} DISABLE TRIGGER USER")
                    revision = upsert_agreements(conn, agreements).revision
                    index = AreaIndex.from_agreements(agreements, revision=revision)
                    placed = list(zip(events, index.place_all(events), strict=True))
                    samples = []
                    for first in range(0, len(placed), size):
                        started = time.perf_counter()
                        store_batch(conn, placed[first:first + size], [], index_revision=revision,
                                    now=datetime.now(UTC), note_retention=timedelta(days=90))
                        samples.append((time.perf_counter() - started) * 1000)
                rows.append((label, statistics.mean(samples), _p(samples, 50), _p(samples, 95), len(samples)))
                print(f"  {label}: mean {rows[-1][1]:.1f} ms per batch", flush=True)
        finally:
            postgres.stop()
    lines = [f"### store_batch write cost: {batches} batches of {size} synthetic events, PostgreSQL 18, one process",
             "", "| triggers | batches | mean ms | p50 ms | p95 ms | events/s |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {label} | {n} | {mean:.1f} | {p50:.1f} | {p95:.1f} | {size * 1000 / mean:,.0f} |"
              for label, mean, p50, p95, n in rows]
    lines.append(f"\nThe triggers add {rows[0][1] - rows[1][1]:.1f} ms per batch ({rows[0][1] / rows[1][1] - 1:+.0%}).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--timescale-events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep-data", type=Path, help="keep (and reuse) the plain tier's data directory here")
    parser.add_argument("--write-cost", action="store_true", help="measure the triggers' cost in store_batch only")
    parser.add_argument("--batches", type=int, default=200)
    args = parser.parse_args()
    if args.write_cost:
        _write_result("write-cost", [write_cost(args.batches)])
        return
    outputs = []
    with tempfile.TemporaryDirectory(prefix="trygg-bench-boards-") as tmp:
        postgres = Postgres(args.keep_data or Path(tmp) / "pg").start()
        try:
            outputs.append(run_tier(postgres, "PostgreSQL 18 (plain tier)", args.events, args.repeat))
            print(outputs[-1], flush=True)
        finally:
            postgres.stop()
        if args.timescale_events:
            pglite = PGlite(Path(tmp) / "pglite").start()
            try:
                outputs.append(run_tier(pglite, "TimescaleDB 2.23 in PGlite (WASM)", args.timescale_events,
                                        args.repeat))
                print(outputs[-1], flush=True)
            finally:
                pglite.stop()
    _write_result("boards", outputs)


def _write_result(name: str, outputs: list[str]) -> None:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{datetime.now(UTC):%Y%m%d-%H%M%S}.md"
    path.write_text("\n\n".join(outputs) + "\n", encoding="utf-8")
    print("\n\n".join(outputs) + f"\n\nwritten to {path}")


if __name__ == "__main__":
    main()
