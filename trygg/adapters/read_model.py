"""Reads of the read model (counts, the effect functions) and of agreement metadata, for the use cases.

These only read: the read-only role may run every one of them.
"""

from __future__ import annotations

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
                     after_days: int, gap_days: int) -> list[dict[str, Any]]:
    """The rows of effect_estimates() as dicts (column name -> value)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM effect_estimates(%s, %s, %s, %s, %s)",
                           (agreement_id, source, before_days, after_days, gap_days)).fetchall()


def reporting_activity(conn: psycopg.Connection, agreement_id: str, before_days: int, after_days: int,
                       gap_days: int) -> list[dict[str, Any]]:
    """The rows of reporting_activity() as dicts."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM reporting_activity(%s, %s, %s, %s)",
                           (agreement_id, before_days, after_days, gap_days)).fetchall()


def survey_estimates(conn: psycopg.Connection, agreement_id: str, before_days: int, after_days: int,
                     gap_days: int) -> list[dict[str, Any]]:
    """The rows of survey_estimates() (perceived safety, every question) as dicts."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM survey_estimates(%s, NULL, %s, %s, %s)",
                           (agreement_id, before_days, after_days, gap_days)).fetchall()


def incidents_per_area(conn: psycopg.Connection) -> list[tuple[str, str | None, int]]:
    """(area id, kind, incidents so far) for every area with counts, by kind and id."""
    return conn.execute(
        """SELECT c.area_id, a.kind, sum(c.incidents) FROM incident_counts c
           LEFT JOIN areas a USING (area_id) GROUP BY c.area_id, a.kind ORDER BY a.kind, c.area_id"""
    ).fetchall()


def events_stored(conn: psycopg.Connection) -> int:
    """How many distinct events the processor has stored (the ledger's size)."""
    return conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0]
