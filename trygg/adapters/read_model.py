"""Reads of the read model (counts, the effect functions) and of agreement metadata, for the use cases.

These only read: the read-only role may run every one of them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row


def agreement_name(conn: psycopg.Connection, agreement_id: str) -> str | None:
    row = conn.execute("SELECT name FROM agreements WHERE agreement_id = %s", (agreement_id,)).fetchone()
    return row[0] if row else None


def agreement_names(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(agreement id, name) of every agreement, by id."""
    return [tuple(row) for row in conn.execute("SELECT agreement_id, name FROM agreements ORDER BY 1")]


def effect_estimates(conn: psycopg.Connection, agreement_id: str, source: str | None, before_days: int,
                     after_days: int, gap_days: int, until: date | None = None) -> list[dict[str, Any]]:
    """The rows of effect_estimates() as dicts (column name -> value); windows end by `until` (default today)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM effect_estimates(%s, %s, %s, %s, %s, %s)",
                           (agreement_id, source, before_days, after_days, gap_days, until)).fetchall()


def reporting_activity(conn: psycopg.Connection, agreement_id: str, before_days: int, after_days: int,
                       gap_days: int, until: date | None = None) -> list[dict[str, Any]]:
    """The rows of reporting_activity() as dicts."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM reporting_activity(%s, %s, %s, %s, %s)",
                           (agreement_id, before_days, after_days, gap_days, until)).fetchall()


def survey_estimates(conn: psycopg.Connection, agreement_id: str, before_days: int, after_days: int,
                     gap_days: int, until: date | None = None) -> list[dict[str, Any]]:
    """The rows of survey_estimates() (perceived safety, every question) as dicts."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM survey_estimates(%s, NULL, %s, %s, %s, %s)",
                           (agreement_id, before_days, after_days, gap_days, until)).fetchall()


def survey_wave_shares(conn: psycopg.Connection, agreement_id: str, question_id: str,
                       until: date) -> list[dict[str, Any]]:
    """The rows of survey_wave_shares() for the waves fielded before `until`."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM survey_wave_shares(%s, %s) WHERE fielded_until < %s",
                           (agreement_id, question_id, until)).fetchall()


def agreement_record(conn: psycopg.Connection, agreement_id: str) -> tuple[str, str, date] | None:
    """(name, municipality, signed_at) of an agreement, or None."""
    row = conn.execute("SELECT name, municipality, signed_at FROM agreements WHERE agreement_id = %s",
                       (agreement_id,)).fetchone()
    return tuple(row) if row else None  # type: ignore[return-value]


def partners_of(conn: psycopg.Connection, agreement_id: str) -> list[tuple[str, str]]:
    """(name, role) of an agreement's partners, by role and name."""
    return [tuple(r) for r in conn.execute(
        "SELECT name, role FROM partners WHERE agreement_id = %s ORDER BY role, name", (agreement_id,))]


def measures_of(conn: psycopg.Connection, agreement_id: str) -> list[tuple[str, date]]:
    """(description, starts_on) of an agreement's measures, in the file's order."""
    return [tuple(r) for r in conn.execute(
        "SELECT description, starts_on FROM measures WHERE agreement_id = %s ORDER BY position", (agreement_id,))]


def control_area_names(conn: psycopg.Connection, agreement_id: str) -> list[str]:
    """Names of the areas an agreement compares with (shared ones included), by name."""
    return [r[0] for r in conn.execute(
        """SELECT a.name FROM agreement_scopes s JOIN areas a USING (area_id)
           WHERE s.agreement_id = %s AND s.scope = 'control' ORDER BY a.name""", (agreement_id,))]


def weekly_incidents(conn: psycopg.Connection, area_id: str, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """(week bucket, incidents) of one area for the weeks starting in [start, end); weeks without any are absent."""
    return [(bucket, int(n)) for bucket, n in conn.execute(
        """SELECT bucket, sum(incidents) FROM incident_counts_weekly
           WHERE area_id = %s AND bucket >= %s AND bucket < %s GROUP BY bucket""", (area_id, start, end))]


def daily_incidents_per_scope(conn: psycopg.Connection, agreement_id: str, start: datetime,
                              end: datetime) -> list[tuple[str, datetime, int]]:
    """(scope, day bucket, incidents) of an agreement's own area ('agreement') and its controls pooled
    ('control') for the days in [start, end)."""
    return [(scope, bucket, int(n)) for scope, bucket, n in conn.execute(
        """SELECT s.scope, c.bucket, sum(c.incidents) FROM incident_counts c JOIN agreement_scopes s USING (area_id)
           WHERE s.agreement_id = %s AND c.bucket >= %s AND c.bucket < %s
           GROUP BY s.scope, c.bucket""", (agreement_id, start, end))]


def incidents_per_area(conn: psycopg.Connection) -> list[tuple[str, str | None, int]]:
    """(area id, kind, incidents so far) for every area with counts, by kind and id."""
    return conn.execute(
        """SELECT c.area_id, a.kind, sum(c.incidents) FROM incident_counts c
           LEFT JOIN areas a USING (area_id) GROUP BY c.area_id, a.kind ORDER BY a.kind, c.area_id"""
    ).fetchall()


def events_stored(conn: psycopg.Connection) -> int:
    """How many distinct events the processor has stored (the ledger's size)."""
    return conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0]
