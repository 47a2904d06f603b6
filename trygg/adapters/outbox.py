"""The transactional outbox: reports are stored here with the caller's own write, and published by the relay.

A reporter may be told "received" (a receipt page, a 2xx) only after the transaction that called
`enqueue` has committed: from then on the event survives any broker outage or crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import psycopg

from schemas import IncidentEvent
from trygg.adapters.kafka import event_message

Outcome = Literal["accepted", "duplicate"]


def enqueue(conn: psycopg.Connection, events: Sequence[IncidentEvent]) -> list[Outcome]:
    """Store events for publication inside the caller's transaction; one outcome per event, in order.

    "duplicate": the event_id, or (source, external_id) when external_id is set, is already in the outbox
    (or earlier in `events`).
    """
    if not events:
        return []
    inserted = {
        row[0]
        for row in conn.execute(
            """INSERT INTO outbox (event_id, source, external_id, payload)
               SELECT * FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::bytea[])
               ON CONFLICT DO NOTHING RETURNING event_id""",
            (
                [e.event_id for e in events],
                [e.source.value for e in events],
                [e.external_id for e in events],
                [event_message(e)[1] for e in events],
            ),
        )
    }
    outcomes: list[Outcome] = []
    for event in events:
        # Repeats inside one call share an id: only the first of them counts as the insert.
        outcomes.append("accepted" if event.event_id in inserted else "duplicate")
        inserted.discard(event.event_id)
    return outcomes


def unsent(conn: psycopg.Connection) -> int:
    """How many events wait for the relay."""
    return conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
