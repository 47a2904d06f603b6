"""PostgreSQL/TimescaleDB adapter: the exactly-once batch write, the area index, agreement loading."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool
from shapely.geometry import Point, shape

from schemas import Agreement, AreaKind, IncidentEvent, Site, municipality_area_id
from schemas.survey import PulseAnswerEvent, SurveyWaveEvent
from trygg.adapters import outbox
from trygg.domain.aggregation import CountKey, count_increments, first_of_each
from trygg.domain.batches import BatchResult, RejectedRow
from trygg.domain.buckets import hour_bucket
from trygg.domain.placement import Area, AreaIndex, Placement, areas_of

log = logging.getLogger(__name__)


class StaleIndex(Exception):
    """The area index was built from an older agreements revision than the database holds."""


# Autocommit (the transaction rule in trygg/adapters/__init__.py): without it a read would open an implicit
# transaction and later `transaction()` blocks would only be savepoints inside it, never committed.
_CONNECTION = {"autocommit": True, "options": "-c TimeZone=UTC"}


def connect(url: str) -> psycopg.Connection:
    """Open one autocommit connection in UTC (for commands and tests that need a single one)."""
    return psycopg.connect(url, **_CONNECTION)


def ensure_database(server_url: str, name: str) -> None:
    """Create database `name` on the server of `server_url` (a maintenance database) unless it exists."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def pool(url: str, *, max_size: int, name: str, timeout_s: float = 3.0) -> ConnectionPool:
    """A pool of connections like `connect`'s, opened at once (without waiting for the database) and
    reconnecting by itself after an outage. A connection that failed inside `with pool.connection()` is
    discarded, never handed out again, and one found stale when it is taken out is replaced.

    Waiting longer than `timeout_s` for a connection raises PoolTimeout, an OperationalError: a request then
    gets its 503 within seconds while the database is away, and the database retry policy
    (trygg.adapters.retrying) treats it as an outage."""
    # check: a connection that went stale while idle (PostgreSQL restarted) is replaced before it is handed out.
    connections = ConnectionPool(url, kwargs=_CONNECTION, min_size=1, max_size=max_size, name=name,
                                 timeout=timeout_s, check=ConnectionPool.check_connection, open=False)
    connections.open(wait=False)
    return connections


def ping(conn: psycopg.Connection) -> None:
    """Raises OperationalError unless the database answers (health checks)."""
    conn.execute("SELECT 1")


def area_revision(conn: psycopg.Connection) -> int:
    """The agreements' revision: bumped by every load, so an index built from an older one is stale."""
    return conn.execute("SELECT revision FROM area_revision").fetchone()[0]


def stored_event(conn: psycopg.Connection, event_id: object) -> tuple[str, datetime] | None:
    """(category, occurred_at) of an event the processor has stored, or None."""
    row = conn.execute("SELECT category, occurred_at FROM incident_events WHERE event_id = %s", (event_id,)).fetchone()
    return (row[0], row[1]) if row else None


def load_index(conn: psycopg.Connection) -> AreaIndex:
    """Build the spatial index from the areas and sites stored in the database."""
    revision = area_revision(conn)
    areas = [
        Area(area_id, AreaKind(kind), agreement_id, municipality, shape(geometry))
        for area_id, kind, agreement_id, municipality, geometry in conn.execute(
            "SELECT area_id, kind, agreement_id, municipality, geometry FROM areas WHERE geometry IS NOT NULL"
        )
    ]
    sites = [
        Site(site_id=s, agreement_id=a, partner_id=p, name=n, lat=lat, lon=lon)
        for s, a, p, n, lat, lon in conn.execute("SELECT site_id, agreement_id, partner_id, name, lat, lon FROM sites")
    ]
    return AreaIndex(areas, sites, revision)


def _insert_counts(cur: psycopg.Cursor, increments: Counter[CountKey]) -> None:
    if not increments:
        return
    # Key order: concurrent writers (several workers) then lock shared rows in the same order, never crosswise.
    keys = sorted(increments, key=lambda k: (k.area_id, k.category, k.source, k.hour))
    cur.execute(
        """INSERT INTO incident_counts_hourly (area_id, category, source, hour, incidents)
           SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::timestamptz[], %b::int[])
           ON CONFLICT (area_id, category, source, hour)
           DO UPDATE SET incidents = incident_counts_hourly.incidents + EXCLUDED.incidents""",
        (
            [k.area_id for k in keys],
            [k.category for k in keys],
            [k.source for k in keys],
            [k.hour for k in keys],
            [increments[k] for k in keys],
        ),
    )


def store_batch(
    conn: psycopg.Connection,
    placed: Sequence[tuple[IncidentEvent, Placement]],
    rejected: Sequence[RejectedRow],
    *,
    index_revision: int,
    now: datetime,
    note_retention: timedelta,
) -> BatchResult:
    """Write one micro-batch in one transaction: ledger, events, notes, counts, rejections.

    Events whose id is already in the ledger change nothing, so a redelivered batch is harmless.
    Raises StaleIndex (and writes nothing) when agreements were reloaded since the index was built.
    """
    unique = first_of_each(event for event, _ in placed)
    placements = {id(event): placement for event, placement in placed}  # per object: repeats keep their own
    with conn.transaction(), conn.cursor() as cur:
        revision = cur.execute("SELECT revision FROM area_revision FOR SHARE").fetchone()[0]
        if revision != index_revision:
            raise StaleIndex(f"index revision {index_revision}, database revision {revision}")
        new_ids = claim_in_ledger(cur, unique)
        fresh = [(e, placements[id(e)]) for e in unique if e.event_id in new_ids]
        if fresh:
            _insert_events(cur, fresh)
            if note_retention > timedelta(0):
                _insert_notes(cur, [e for e, _ in fresh if e.note], now + note_retention)
            _ensure_municipalities(cur, {p.municipality for _, p in fresh} - {None})
            _insert_counts(cur, count_increments(fresh))
        insert_rejections(cur, rejected)
    return BatchResult(accepted=len(fresh), duplicates=len(placed) - len(fresh), rejected=len(rejected))


def claim_in_ledger(cur: psycopg.Cursor, events: Sequence[IncidentEvent | SurveyWaveEvent | PulseAnswerEvent]) -> set:
    """The ids of `events` that were not in the ledger before (and are now), inside the caller's transaction:
    the one exactly-once gate of every input stream. All of them (new or repeated) are confirmed in the outbox."""
    outbox.confirm(cur, [e.event_id for e in events])
    return {
        row[0]
        for row in cur.execute(
            """INSERT INTO event_ledger (event_id) SELECT unnest(%b::uuid[])
               ON CONFLICT DO NOTHING RETURNING event_id""",
            ([e.event_id for e in events],),
        )
    }


_EVENT_COLUMNS: tuple[Callable[[IncidentEvent, Placement], object], ...] = (
    lambda e, p: e.event_id, lambda e, p: e.occurred_at, lambda e, p: e.reported_at, lambda e, p: e.source.value,
    lambda e, p: e.reporter, lambda e, p: e.category.value, lambda e, p: p.lat, lambda e, p: p.lon,
    lambda e, p: e.location.site_id, lambda e, p: p.municipality, lambda e, p: e.location.precision.value,
    lambda e, p: e.external_id,
    lambda e, p: " ".join(p.area_ids),  # area ids have no spaces (their pattern)
)


def _insert_events(cur: psycopg.Cursor, fresh: Sequence[tuple[IncidentEvent, Placement]]) -> None:
    cur.execute(
        """INSERT INTO incident_events (event_id, occurred_at, reported_at, source, reporter, category,
                                        lat, lon, site_id, municipality, precision, external_id, area_ids)
           SELECT i, o, r, s, p, c, la, lo, si, m, pr, x, string_to_array(a, ' ')
           FROM unnest(%b::uuid[], %b::timestamptz[], %b::timestamptz[], %b::text[], %b::text[],
                       %b::text[], %b::float8[], %b::float8[], %b::text[], %b::text[],
                       %b::text[], %b::text[], %b::text[]) AS e(i, o, r, s, p, c, la, lo, si, m, pr, x, a)""",
        tuple([column(e, p) for e, p in fresh] for column in _EVENT_COLUMNS),
    )


def _insert_notes(cur: psycopg.Cursor, noted: Sequence[IncidentEvent], expires_at: datetime) -> None:
    if noted:
        cur.execute(
            """INSERT INTO incident_notes (event_id, note, expires_at)
               SELECT * FROM unnest(%b::uuid[], %b::text[], %b::timestamptz[])""",
            ([e.event_id for e in noted], [e.note for e in noted], [expires_at] * len(noted)),
        )


def insert_rejections(cur: psycopg.Cursor, rejected: Sequence[RejectedRow], stream: str = "incidents") -> None:
    """Record rejections (reason only, no payload) of one input stream ('incidents' or 'surveys'); an outbox
    event among them is confirmed (it will not be re-sent)."""
    if not rejected:
        return
    outbox.confirm_rejected(cur, [claimed for r in rejected if (claimed := r.claimed_event()) is not None])
    cur.execute(
        """INSERT INTO rejected_events (stream, source_partition, source_offset, payload_sha256, rejected_at,
                                        reason, field)
           SELECT %s, * FROM unnest(%b::int[], %b::bigint[], %b::text[], %b::timestamptz[], %b::text[], %b::text[])
           ON CONFLICT DO NOTHING""",
        (
            stream,
            [r.partition for r in rejected],
            [r.offset for r in rejected],
            [r.payload_sha256 for r in rejected],
            [r.rejection.rejected_at for r in rejected],
            [r.rejection.reason.value for r in rejected],
            [r.rejection.errors[0].field for r in rejected],
        ),
    )


def _ensure_municipalities(cur: psycopg.Cursor, municipalities: Iterable[str]) -> None:
    names = sorted(municipalities)
    if names:
        cur.execute(
            """INSERT INTO areas (area_id, kind, name, municipality)
               SELECT unnest(%s::text[]), 'municipality', unnest(%s::text[]), unnest(%s::text[])
               ON CONFLICT (area_id) DO NOTHING""",
            ([municipality_area_id(n) for n in names], names, names),
        )


def _recount_area(cur: psycopg.Cursor, area: Area) -> int:
    """Rebuild one area's hourly counts from the stored events; returns how many events it now holds.

    Events that now lie inside and had no municipality get the area's (an event's municipality, once
    known, stays: a redrawn agreement area does not move an event out of its municipality).
    """
    _uncount_area(cur, area.area_id)
    min_lon, min_lat, max_lon, max_lat = area.geometry.bounds
    rows = cur.execute(
        """SELECT event_id, occurred_at, category, source, lat, lon, municipality FROM incident_events
           WHERE precision = 'point' AND lat BETWEEN %s AND %s AND lon BETWEEN %s AND %s""",
        (min_lat, max_lat, min_lon, max_lon),
    ).fetchall()
    inside = [row for row in rows if area.geometry.covers(Point(row[5], row[4]))]
    increments: Counter[CountKey] = Counter(
        CountKey(area.area_id, category, source, hour_bucket(occurred_at))
        for _, occurred_at, category, source, _, _, _ in inside
    )
    cur.execute(
        "UPDATE incident_events SET area_ids = array_append(area_ids, %s) WHERE event_id = ANY(%s)",
        (area.area_id, [row[0] for row in inside]),
    )
    newly_placed = [row for row in inside if row[6] is None]
    if newly_placed:
        cur.execute(
            """UPDATE incident_events SET municipality = %s, area_ids = array_append(area_ids, %s)
               WHERE event_id = ANY(%s) AND municipality IS NULL""",
            (area.municipality, municipality_area_id(area.municipality), [row[0] for row in newly_placed]),
        )
        _ensure_municipalities(cur, [area.municipality])
        increments.update(
            CountKey(municipality_area_id(area.municipality), category, source, hour_bucket(occurred_at))
            for _, occurred_at, category, source, _, _, _ in newly_placed
        )
    _insert_counts(cur, increments)
    return len(inside)


@dataclass(frozen=True)
class LoadResult:
    agreements: int
    recounted_areas: tuple[str, ...]
    removed_areas: tuple[str, ...]
    revision: int


def _drop_unused_control(cur: psycopg.Cursor, area_id: str) -> bool:
    """Remove a control area no agreement refers to any more, with its counts; whether it was removed."""
    unused = cur.execute(
        """SELECT 1 FROM areas a WHERE a.area_id = %s AND a.kind = 'control'
           AND NOT EXISTS (SELECT 1 FROM agreement_control_areas c WHERE c.area_id = a.area_id)""", (area_id,)
    ).fetchone()
    if unused is None:
        return False
    _uncount_area(cur, area_id)
    cur.execute("DELETE FROM areas WHERE area_id = %s", (area_id,))
    return True


def _uncount_area(cur: psycopg.Cursor, area_id: str) -> None:
    """Take every event out of one area: its hourly counts and its id in the events' area_ids."""
    cur.execute("DELETE FROM incident_counts_hourly WHERE area_id = %s", (area_id,))
    cur.execute(
        "UPDATE incident_events SET area_ids = array_remove(area_ids, %s) WHERE area_ids @> ARRAY[%s]::text[]",
        (area_id, area_id),
    )


def upsert_agreements(conn: psycopg.Connection, agreements: Sequence[Agreement]) -> LoadResult:
    """Insert or update agreements in one transaction; redrawn or new areas are recounted from stored events.

    A control area is stored once and linked to every agreement that names it; one no agreement names any more
    is removed. Raises ValueError (and loads nothing) for a control drawn unlike the agreement area it is.
    """
    recounted: list[str] = []
    removed: list[str] = []
    with conn.transaction(), conn.cursor() as cur:
        # Exclusive: no processor batch commits between the recount and the revision bump.
        cur.execute("SELECT revision FROM area_revision FOR UPDATE")
        for agreement in agreements:
            cur.execute(
                """INSERT INTO agreements (agreement_id, name, municipality, signed_at) VALUES (%s, %s, %s, %s)
                   ON CONFLICT (agreement_id) DO UPDATE SET name = EXCLUDED.name,
                       municipality = EXCLUDED.municipality, signed_at = EXCLUDED.signed_at, updated_at = now()""",
                (agreement.agreement_id, agreement.name, agreement.municipality, agreement.signed_at),
            )
            aid = agreement.agreement_id
            for table in ("partners", "measures", "sites"):
                cur.execute(f"DELETE FROM {table} WHERE agreement_id = %s", (aid,))  # noqa: S608 (fixed names)
            cur.executemany(
                "INSERT INTO partners (agreement_id, partner_id, name, role) VALUES (%s, %s, %s, %s)",
                [(aid, p.id, p.name, p.role.value) for p in agreement.partners],
            )
            cur.executemany(
                "INSERT INTO measures (agreement_id, position, description, starts_on) VALUES (%s, %s, %s, %s)",
                [(aid, i, m.description, m.starts_on) for i, m in enumerate(agreement.measures, start=1)],
            )
            cur.executemany(
                """INSERT INTO sites (site_id, agreement_id, partner_id, name, lat, lon) VALUES (%s, %s, %s, %s, %s, %s)
                   ON CONFLICT (site_id) DO UPDATE SET agreement_id = EXCLUDED.agreement_id,
                       partner_id = EXCLUDED.partner_id, name = EXCLUDED.name, lat = EXCLUDED.lat, lon = EXCLUDED.lon""",
                [(s.site_id, aid, s.partner_id, s.name, s.lat, s.lon) for s in agreement.sites],
            )
            geometries = {agreement.agreement_id: agreement.geometry}
            geometries.update({c.area_id: c.geometry for c in agreement.control_areas})
            names = {agreement.agreement_id: agreement.name, **{c.area_id: c.name for c in agreement.control_areas}}
            stored = dict(cur.execute("SELECT area_id, geometry FROM areas WHERE area_id = ANY(%s)",
                                      (list(geometries),)).fetchall())
            linked = {r[0] for r in cur.execute(
                "SELECT area_id FROM agreement_control_areas WHERE agreement_id = %s", (aid,))}
            for gone in sorted(linked - set(geometries)):
                cur.execute("DELETE FROM agreement_control_areas WHERE agreement_id = %s AND area_id = %s", (aid, gone))
                if _drop_unused_control(cur, gone):
                    removed.append(gone)
            for area in areas_of(agreement):
                geojson = geometries[area.area_id].model_dump()
                min_lon, min_lat, max_lon, max_lat = area.geometry.bounds
                # A control area that is another agreement's own area stays that agreement's (WHERE).
                cur.execute(
                    """INSERT INTO areas (area_id, kind, agreement_id, name, municipality, geometry,
                                          min_lat, max_lat, min_lon, max_lon)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                       ON CONFLICT (area_id) DO UPDATE SET kind = EXCLUDED.kind, agreement_id = EXCLUDED.agreement_id,
                           name = EXCLUDED.name, municipality = EXCLUDED.municipality, geometry = EXCLUDED.geometry,
                           min_lat = EXCLUDED.min_lat, max_lat = EXCLUDED.max_lat, min_lon = EXCLUDED.min_lon,
                           max_lon = EXCLUDED.max_lon, updated_at = now()
                       WHERE EXCLUDED.kind = 'agreement' OR areas.kind = 'control'""",
                    (area.area_id, area.kind.value, area.agreement_id, names[area.area_id], agreement.municipality,
                     json.dumps(geojson), min_lat, max_lat, min_lon, max_lon),
                )
                if cur.rowcount == 0 and stored.get(area.area_id) != geojson:
                    raise ValueError(f"control area {area.area_id} of agreement {aid} is agreement "
                                     f"{area.area_id}'s own area, with another polygon: give that agreement's polygon, "
                                     "or load both from one file and leave the control's geometry out")
                if area.kind is AreaKind.control:
                    cur.execute("""INSERT INTO agreement_control_areas (agreement_id, area_id) VALUES (%s, %s)
                                   ON CONFLICT DO NOTHING""", (aid, area.area_id))
                if stored.get(area.area_id) != geojson:
                    _recount_area(cur, area)
                    recounted.append(area.area_id)
                    stored[area.area_id] = geojson
            _ensure_municipalities(cur, [agreement.municipality])
        revision = cur.execute(
            "UPDATE area_revision SET revision = revision + 1 RETURNING revision"
        ).fetchone()[0]
    return LoadResult(len(agreements), tuple(recounted), tuple(removed), revision)


def purge_expired(conn: psycopg.Connection, now: datetime, rejection_retention: timedelta) -> tuple[int, int]:
    """Erase free text past its retention and old rejection records; returns (notes, rejections) deleted."""
    with conn.transaction():
        notes = conn.execute("DELETE FROM incident_notes WHERE expires_at <= %s", (now,)).rowcount
        rejections = conn.execute(
            "DELETE FROM rejected_events WHERE rejected_at < %s", (now - rejection_retention,)
        ).rowcount
    return notes, rejections


ROLLUPS = ("incident_counts", "incident_counts_weekly", "incident_counts_monthly")


def refresh_rollups(conn: psycopg.Connection, start: datetime | None = None, end: datetime | None = None) -> None:
    """TimescaleDB: fold late-arriving hourly counts into the continuous aggregates (no-op on plain PostgreSQL).

    Refreshing is cheap where nothing was invalidated, so the whole range may be given.
    """
    if not conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'").fetchone()[0]:
        return
    # refresh_continuous_aggregate refuses to run inside a transaction block: the connection is autocommit.
    for view in ROLLUPS:
        conn.execute("CALL refresh_continuous_aggregate(%s, %s::timestamptz, %s::timestamptz)", (view, start, end))
