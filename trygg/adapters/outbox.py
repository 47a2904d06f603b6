"""The transactional outbox: reports are stored here with the caller's own write, and published by the relay.

A reporter may be told "received" (a receipt page, a 2xx) only after the transaction that called
`enqueue` has committed: from then on the event survives any broker outage or crash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import psycopg

from schemas import IncidentEvent
from schemas.survey import PulseAnswerEvent, SurveyWaveEvent
from trygg.adapters.kafka import event_message

Outcome = Literal["accepted", "duplicate"]
Publish = Callable[[list[tuple[str, bytes]]], object]  # sends keyed messages and waits for the broker


def enqueue(
    conn: psycopg.Connection, events: Sequence[IncidentEvent], publish: Publish | None = None
) -> list[Outcome]:
    """Store events for publication inside the caller's transaction; one outcome per event, in order.

    "duplicate": the event_id, or (source, external_id) when external_id is set, is already in the outbox
    (or earlier in `events`).
    With `publish` (bulk imports), the new events are published right here, before the caller commits, and
    kept as sent rows without payload: no relay round trip, and the rows still turn later repeats into
    duplicates. A failed publish raises, so the caller's transaction rolls back and nothing is half-done.
    """
    if not events:
        return []
    messages = [event_message(e) for e in events]
    inserted = {
        row[0]
        for row in conn.execute(
            """INSERT INTO outbox (event_id, source, external_id, payload, sent_at)
               SELECT i, s, x, p, CASE WHEN %s THEN now() END
               FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::bytea[]) AS e(i, s, x, p)
               ON CONFLICT DO NOTHING RETURNING event_id""",
            (
                publish is not None,
                [e.event_id for e in events],
                [e.source.value for e in events],
                [e.external_id for e in events],
                [None if publish else value for _, value in messages],
            ),
        )
    }
    outcomes: list[Outcome] = []
    new_messages = []
    for event, message in zip(events, messages):
        # Repeats inside one call share an id: only the first of them counts as the insert.
        is_new = event.event_id in inserted
        outcomes.append("accepted" if is_new else "duplicate")
        if is_new:
            new_messages.append(message)
        inserted.discard(event.event_id)
    if publish is not None and new_messages:
        publish(new_messages)
    return outcomes


def enqueue_perceived_safety(conn: psycopg.Connection, events: Sequence[SurveyWaveEvent | PulseAnswerEvent]) -> int:
    """Store survey waves or pulse answers for the relay (stream 'surveys'), inside the caller's transaction.

    Returns how many were new (an event_id already in the outbox is a repeat and changes nothing).
    """
    if not events:
        return 0
    return conn.execute(
        """INSERT INTO outbox (event_id, source, payload, stream)
           SELECT i, k, p, 'surveys' FROM unnest(%b::uuid[], %b::text[], %b::bytea[]) AS e(i, k, p)
           ON CONFLICT DO NOTHING""",
        ([e.event_id for e in events], [e.kind for e in events], [e.model_dump_json().encode() for e in events]),
    ).rowcount


def unsent(conn: psycopg.Connection) -> int:
    """How many events wait for the relay."""
    return conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
