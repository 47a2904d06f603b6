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

Outcome = Literal["accepted", "duplicate", "taken"]
Publish = Callable[[list[tuple[str, bytes]]], object]  # sends keyed messages and waits for the broker


def enqueue(
    conn: psycopg.Connection, events: Sequence[IncidentEvent], owners: Sequence[str] | None = None,
    publish: Publish | None = None,
) -> list[Outcome]:
    """Store events for publication inside the caller's transaction; one outcome per event, in order.

    `owners`: per event, whose it is ("agency:<id>"; default "source:<kind>"). "duplicate": the event_id of
    the same owner's event, or (owner, external_id) when external_id is set, is already in the outbox (or
    earlier in `events`). "taken": another owner's event has this event_id (nothing is stored).
    With `publish` (bulk imports), the new events are published right here, before the caller commits, and
    kept as sent rows without payload: no relay round trip, and the rows still turn later repeats into
    duplicates. A failed publish raises, so the caller's transaction rolls back and nothing is half-done.
    """
    if not events:
        return []
    owners = list(owners) if owners is not None else [f"source:{e.source.value}" for e in events]
    messages = [event_message(e) for e in events]
    inserted = {
        row[0]
        for row in conn.execute(
            """INSERT INTO outbox (event_id, source, owner, external_id, payload, sent_at)
               SELECT i, s, o, x, p, CASE WHEN %s THEN now() END
               FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::text[], %b::bytea[]) AS e(i, s, o, x, p)
               ON CONFLICT DO NOTHING RETURNING event_id""",
            (
                publish is not None,
                [e.event_id for e in events],
                [e.source.value for e in events],
                owners,
                [e.external_id for e in events],
                [None if publish else value for _, value in messages],
            ),
        )
    }
    repeated = [e.event_id for e in events if e.event_id not in inserted]
    owner_of = dict(conn.execute("SELECT event_id, owner FROM outbox WHERE event_id = ANY(%s)", (repeated,))) \
        if repeated else {}
    outcomes: list[Outcome] = []
    new_messages = []
    for event, owner, message in zip(events, owners, messages):
        # Repeats inside one call share an id: only the first of them counts as the insert.
        is_new = event.event_id in inserted
        if is_new:
            outcomes.append("accepted")
            new_messages.append(message)
        else:
            outcomes.append("duplicate" if owner_of.get(event.event_id, owner) == owner else "taken")
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
        """INSERT INTO outbox (event_id, source, owner, payload, stream)
           SELECT i, k, 'source:' || k, p, 'surveys' FROM unnest(%b::uuid[], %b::text[], %b::bytea[]) AS e(i, k, p)
           ON CONFLICT DO NOTHING""",
        ([e.event_id for e in events], [e.kind for e in events], [e.model_dump_json().encode() for e in events]),
    ).rowcount


def publish_slice(conn: psycopg.Connection, limit: int, publish: Callable[[str, list[tuple[str, bytes]]], object]) -> int:
    """Publish up to `limit` of the oldest unsent rows and mark them sent (their payload erased), in one
    transaction; returns how many. `publish(stream, messages)` sends one stream's keyed messages ('incidents'
    or 'surveys') and must return only once the broker acknowledged them all; when it raises, the rows stay
    unsent. The rows are locked with SKIP LOCKED, so several relays may run. A crash between the
    acknowledgement and the commit publishes them again next time (the processor's ledger drops the repeat).
    """
    with conn.transaction():
        rows = conn.execute(
            """SELECT event_id, payload, stream FROM outbox WHERE sent_at IS NULL
               ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED""",
            (limit,),
        ).fetchall()
        if not rows:
            return 0
        for stream in sorted({s for _, _, s in rows}):
            publish(stream, [(str(event_id), bytes(payload)) for event_id, payload, s in rows if s == stream])
        conn.execute(
            "UPDATE outbox SET sent_at = now(), payload = NULL WHERE event_id = ANY(%s)",
            ([event_id for event_id, _, _ in rows],),
        )
    return len(rows)


def is_queued(conn: psycopg.Connection, event_id: object, owner: str) -> bool:
    """Whether `owner`'s event with this id was accepted into the outbox (sent to Kafka or not yet)."""
    return conn.execute("SELECT 1 FROM outbox WHERE event_id = %s AND owner = %s", (event_id, owner)).fetchone() \
        is not None


def unsent(conn: psycopg.Connection) -> int:
    """How many events wait for the relay."""
    return conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
