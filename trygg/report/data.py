"""What a report shows, read through trygg.adapters.read_model: agreement metadata, counts and the effect
functions.

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

from schemas.survey import PRIMARY_QUESTION
from trygg.adapters import read_model
from trygg.domain.buckets import STOCKHOLM
from trygg.texts import say

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
    record = read_model.agreement_record(conn, agreement_id)
    if record is None:
        raise LookupError(say("no_agreement", agreement=agreement_id))
    name, municipality, signed_at = record
    data = ReportData(
        agreement_id=agreement_id, name=name, municipality=municipality, signed_at=signed_at, until=until,
        partners=read_model.partners_of(conn, agreement_id), measures=read_model.measures_of(conn, agreement_id),
        control_names=read_model.control_area_names(conn, agreement_id), weekly=[], blocks={},
    )
    start, end = _midnight(data.window_start), _midnight(data.window_end)
    weekly = {bucket.astimezone(STOCKHOLM).date(): n
              for bucket, n in read_model.weekly_incidents(conn, agreement_id, start, end)}
    # A week without incidents has no row; it is a 0 on the chart, not a gap.
    monday = data.window_start + timedelta(days=-data.window_start.weekday() % 7)
    data.weekly = [(monday + timedelta(weeks=k), weekly.get(monday + timedelta(weeks=k), 0))
                   for k in range(max(0, (data.window_end - monday).days + 6) // 7)]
    data.blocks = _blocks(data, read_model.daily_incidents_per_scope(conn, agreement_id, start, end))
    days = (WINDOW_DAYS, WINDOW_DAYS, 0)
    data.effects = read_model.effect_estimates(conn, agreement_id, None, *days, until=until)
    data.police_effects = read_model.effect_estimates(conn, agreement_id, "police", *days, until=until)
    data.activity = read_model.reporting_activity(conn, agreement_id, *days, until=until)
    data.safety = read_model.survey_estimates(conn, agreement_id, *days, until=until)
    data.safety_waves = read_model.survey_wave_shares(conn, agreement_id, PRIMARY_QUESTION, until)
    return data


def _blocks(data: ReportData, daily: list[tuple[str, datetime, int]]) -> dict[str, list]:
    """Incidents per complete 4-week block, agreement area and control areas pooled, aligned on signing."""
    totals: dict[str, dict[int, int]] = {"agreement": defaultdict(int), "control": defaultdict(int)}
    for scope, bucket, n in daily:
        offset = (bucket.astimezone(STOCKHOLM).date() - data.signed_at).days
        totals[scope][offset // BLOCK_DAYS] += n
    first = -(WINDOW_DAYS // BLOCK_DAYS)
    last = (data.window_end - data.signed_at).days // BLOCK_DAYS  # exclusive: only complete blocks
    return {
        kind: [(data.signed_at + timedelta(days=k * BLOCK_DAYS), by_block.get(k, 0)) for k in range(first, last)]
        for kind, by_block in totals.items()
    }
