"""What a report shows, read from the database: agreement metadata, counts and the effect functions.

Only counts, agreement metadata, the effect functions of migrations/0006_effect.sql and the perceived-safety
functions of 0013_perceived_safety.sql are read — never events or free text — so a report can be made with
the read-only role.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from schemas.survey import PRIMARY_QUESTION
from trygg.domain.buckets import STOCKHOLM

WINDOW_DAYS = 365  # the effect functions' default windows: a year on each side, so seasons cancel
BLOCK_DAYS = 28  # area-vs-control chart: 4-week blocks counted from the signing date


@dataclass
class ReportData:
    agreement_id: str
    name: str
    municipality: str
    signed_at: date
    until: date  # exclusive, like the effect functions' p_until: today's day is not over
    partners: list[tuple[str, str]]  # (name, role)
    measures: list[tuple[str, date]]  # (description, starts_on)
    control_names: list[str]
    weekly: list[tuple[date, int]]  # Monday, incidents in the agreement area
    blocks: dict[str, list[tuple[date, int]]]  # 'agreement' | 'control' -> (block start, incidents)
    effects: list[dict[str, Any]] = field(default_factory=list)  # effect_estimates rows, all sources
    police_effects: list[dict[str, Any]] = field(default_factory=list)  # effect_estimates rows, police only
    activity: list[dict[str, Any]] = field(default_factory=list)  # reporting_activity rows
    safety: list[dict[str, Any]] = field(default_factory=list)  # survey_estimates rows (perceived safety)
    safety_waves: list[dict[str, Any]] = field(default_factory=list)  # survey_wave_shares of the headline question

    @property
    def window_start(self) -> date:
        return self.signed_at - timedelta(days=WINDOW_DAYS)

    @property
    def window_end(self) -> date:
        """Exclusive end: a year after signing, or `until` when that year has not passed yet."""
        return min(self.signed_at + timedelta(days=WINDOW_DAYS), self.until)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=STOCKHOLM)


def load_report_data(conn: psycopg.Connection, agreement_id: str, until: date) -> ReportData:
    """Everything the report shows for one agreement; raises LookupError for an unknown agreement."""
    row = conn.execute(
        "SELECT name, municipality, signed_at FROM agreements WHERE agreement_id = %s", (agreement_id,)
    ).fetchone()
    if row is None:
        raise LookupError(f"no agreement {agreement_id!r}")
    name, municipality, signed_at = row
    data = ReportData(
        agreement_id=agreement_id, name=name, municipality=municipality, signed_at=signed_at, until=until,
        partners=[tuple(r) for r in conn.execute(
            "SELECT name, role FROM partners WHERE agreement_id = %s ORDER BY role, name", (agreement_id,))],
        measures=[tuple(r) for r in conn.execute(
            "SELECT description, starts_on FROM measures WHERE agreement_id = %s ORDER BY position",
            (agreement_id,))],
        control_names=[r[0] for r in conn.execute(
            """SELECT a.name FROM agreement_scopes s JOIN areas a USING (area_id)
               WHERE s.agreement_id = %s AND s.scope = 'control' ORDER BY a.name""", (agreement_id,))],
        weekly=[],
        blocks={},
    )
    start, end = _midnight(data.window_start), _midnight(data.window_end)
    weekly = {
        bucket.astimezone(STOCKHOLM).date(): int(n) for bucket, n in conn.execute(
            """SELECT bucket, sum(incidents) FROM incident_counts_weekly
               WHERE area_id = %s AND bucket >= %s AND bucket < %s GROUP BY bucket""",
            (agreement_id, start, end))
    }
    # A week without incidents has no row; it is a 0 on the chart, not a gap.
    monday = data.window_start + timedelta(days=-data.window_start.weekday() % 7)
    data.weekly = [(monday + timedelta(weeks=k), weekly.get(monday + timedelta(weeks=k), 0))
                   for k in range(max(0, (data.window_end - monday).days + 6) // 7)]
    data.blocks = _blocks(conn, data, start, end)
    with conn.cursor(row_factory=dict_row) as cur:
        data.effects = cur.execute(
            "SELECT * FROM effect_estimates(%s, p_until => %s)", (agreement_id, until)).fetchall()
        data.police_effects = cur.execute(
            "SELECT * FROM effect_estimates(%s, 'police', p_until => %s)", (agreement_id, until)).fetchall()
        data.activity = cur.execute(
            "SELECT * FROM reporting_activity(%s, p_until => %s)", (agreement_id, until)).fetchall()
        data.safety = cur.execute(
            "SELECT * FROM survey_estimates(%s, p_until => %s)", (agreement_id, until)).fetchall()
        data.safety_waves = cur.execute(
            "SELECT * FROM survey_wave_shares(%s, %s) WHERE fielded_until < %s",
            (agreement_id, PRIMARY_QUESTION, until)).fetchall()
    return data


def _blocks(conn: psycopg.Connection, data: ReportData, start: datetime, end: datetime) -> dict[str, list]:
    """Incidents per complete 4-week block, agreement area and control areas pooled, aligned on signing."""
    totals: dict[str, dict[int, int]] = {"agreement": defaultdict(int), "control": defaultdict(int)}
    for kind, bucket, n in conn.execute(
        """SELECT s.scope, c.bucket, sum(c.incidents) FROM incident_counts c JOIN agreement_scopes s USING (area_id)
           WHERE s.agreement_id = %s AND c.bucket >= %s AND c.bucket < %s
           GROUP BY s.scope, c.bucket""",
        (data.agreement_id, start, end),
    ):
        offset = (bucket.astimezone(STOCKHOLM).date() - data.signed_at).days
        totals[kind][offset // BLOCK_DAYS] += int(n)
    first = -(WINDOW_DAYS // BLOCK_DAYS)
    last = (data.window_end - data.signed_at).days // BLOCK_DAYS  # exclusive: only complete blocks
    return {
        kind: [(data.signed_at + timedelta(days=k * BLOCK_DAYS), by_block.get(k, 0)) for k in range(first, last)]
        for kind, by_block in totals.items()
    }
