"""PostgreSQL/TimescaleDB adapter for perceived safety: the exactly-once write of survey waves and pulse answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import psycopg

from schemas.survey import PulseAnswerEvent, SurveyWaveEvent
from trygg.adapters.database import claim_in_ledger, insert_rejections
from trygg.domain.batches import BatchResult, RejectedRow


def known_areas_and_sites(conn: psycopg.Connection) -> tuple[set[str], set[str]]:
    """Registered area ids (agreement, control and municipality areas) and site ids."""
    areas = {r[0] for r in conn.execute("SELECT area_id FROM areas")}
    return areas, {r[0] for r in conn.execute("SELECT site_id FROM sites")}


def store_perceived_safety(
    conn: psycopg.Connection,
    events: Sequence[SurveyWaveEvent | PulseAnswerEvent],
    rejected: Sequence[RejectedRow],
) -> BatchResult:
    """Write one batch of `surveys.reported` in one transaction: ledger, waves, pulse counts, rejections.

    An event_id already in the ledger changes nothing (redelivery). A wave replaces the stored version of its
    (area_id, wave) when it was imported later; an older version arriving late is counted but changes nothing.
    """
    unique = list({e.event_id: e for e in reversed(events)}.values())[::-1]
    with conn.transaction(), conn.cursor() as cur:
        new_ids = claim_in_ledger(cur, unique)
        fresh = [e for e in unique if e.event_id in new_ids]
        waves = sorted((e for e in fresh if isinstance(e, SurveyWaveEvent)),
                       key=lambda w: (w.area_id, w.wave, w.imported_at, str(w.event_id)))
        for wave in waves:
            _replace_wave(cur, wave)
        taps = Counter((e.site_id, e.day, e.answer) for e in fresh if isinstance(e, PulseAnswerEvent))
        if taps:
            keys = sorted(taps)  # key order: concurrent writers lock shared rows in the same order
            cur.execute(
                """INSERT INTO pulse_counts (site_id, day, answer, answers)
                   SELECT * FROM unnest(%b::text[], %b::date[], %b::smallint[], %b::int[])
                   ON CONFLICT (site_id, day, answer) DO UPDATE SET answers = pulse_counts.answers + EXCLUDED.answers""",
                ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], [taps[k] for k in keys]),
            )
        insert_rejections(cur, rejected, "surveys")
    return BatchResult(accepted=len(fresh), duplicates=len(events) - len(fresh), rejected=len(rejected))


def _replace_wave(cur: psycopg.Cursor, wave: SurveyWaveEvent) -> None:
    stored = cur.execute(
        "SELECT imported_at, event_id FROM survey_waves WHERE area_id = %s AND wave = %s FOR UPDATE",
        (wave.area_id, wave.wave),
    ).fetchone()
    if stored is not None and (stored[0], str(stored[1])) >= (wave.imported_at, str(wave.event_id)):
        return  # a newer version is stored already
    cur.execute("DELETE FROM survey_waves WHERE area_id = %s AND wave = %s", (wave.area_id, wave.wave))
    cur.execute(
        """INSERT INTO survey_waves (area_id, wave, fielded_from, fielded_until, imported_at, event_id)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (wave.area_id, wave.wave, wave.fielded_from, wave.fielded_until, wave.imported_at, wave.event_id),
    )
    rows = [(r.question_id, answer, n) for r in wave.results for answer, n in sorted(r.counts.items())]
    cur.execute(
        """INSERT INTO survey_results (area_id, wave, question_id, answer, respondents)
           SELECT %s, %s, * FROM unnest(%b::text[], %b::smallint[], %b::int[])""",
        (wave.area_id, wave.wave, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
    )
