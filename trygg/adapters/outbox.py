"""The transactional outbox: reports are stored here with the caller's own write, and published by the relay.

A reporter may be told "received" (a receipt page, a 2xx) only after the transaction that called
`enqueue` has committed: from then on the event survives any broker outage or crash. A row keeps its payload
until the processor has committed the event (`confirm`, in the processor's own transaction), not merely until
the broker acknowledged it: a broker that loses its log (the embedded one keeps it in memory) only delays
events, because the relay publishes what is still unconfirmed again once it is due (`publish_slice`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from uuid import UUID

import psycopg

from schemas import IncidentEvent
from schemas.survey import PulseAnswerEvent, SurveyWaveEvent
from trygg.adapters.kafka import event_message

Outcome = Literal["accepted", "duplicate", "taken"]


@dataclass(frozen=True)
class Publish:
    """How a bulk import publishes its events itself: `send` sends keyed messages and waits for the broker;
    the relay sends them again if the processor has not confirmed them `resend_after` later."""

    send: Callable[[list[tuple[str, bytes]]], object]
    resend_after: timedelta


def enqueue(
    conn: psycopg.Connection, events: Sequence[IncidentEvent], owners: Sequence[str] | None = None,
    publish: Publish | None = None,
) -> list[Outcome]:
    """Store events for publication inside the caller's transaction; one outcome per event, in order.

    `owners`: per event, whose it is ("agency:<id>"; default "source:<kind>"). "duplicate": the event_id of
    the same owner's event, or (owner, external_id) when external_id is set, is already in the outbox (or
    earlier in `events`). "taken": another owner's event has this event_id (nothing is stored).
    With `publish` (bulk imports), the new events are published right here, before the caller commits, and
    kept as sent rows: no relay round trip for the first publication, and re-sent like any row until the
    processor confirms them. A failed publish raises, so the caller's
    transaction rolls back and nothing is half-done.
    """
    if not events:
        return []
    owners = list(owners) if owners is not None else [f"source:{e.source.value}" for e in events]
    messages = [event_message(e) for e in events]
    sent = publish is not None
    inserted = {
        row[0]
        for row in conn.execute(
            """INSERT INTO outbox (event_id, source, owner, external_id, payload, sent_at, attempts, due_at)
               SELECT i, s, o, x, p, CASE WHEN %s THEN now() END, CASE WHEN %s THEN 1 ELSE 0 END,
                      now() + %s * CASE WHEN %s THEN 1 ELSE 0 END
               FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::text[], %b::bytea[]) AS e(i, s, o, x, p)
               ON CONFLICT DO NOTHING RETURNING event_id""",
            (
                sent, sent, publish.resend_after if publish else timedelta(0), sent,
                [e.event_id for e in events],
                [e.source.value for e in events],
                owners,
                [e.external_id for e in events],
                [value for _, value in messages],
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
        publish.send(new_messages)
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


@dataclass(frozen=True)
class Published:
    """What one relay round published: rows sent for the first time, and unconfirmed rows sent again."""

    first: int = 0
    again: int = 0

    @property
    def total(self) -> int:
        return self.first + self.again


def publish_slice(
    conn: psycopg.Connection, limit: int, publish: Callable[[str, list[tuple[str, bytes]]], object],
    resend_after: timedelta, resend_max: timedelta,
) -> Published:
    """Publish up to `limit` of the rows that are due (never sent, or sent and not confirmed in time), oldest
    due first, in one transaction. `publish(stream, messages)` sends one stream's keyed messages ('incidents'
    or 'surveys') and must return only once the broker acknowledged them all; when it raises, nothing changes.
    A published row is due again after `resend_after`, doubled with every attempt up to `resend_max`, unless
    the processor confirms it first. Rows are locked with SKIP LOCKED, so several relays may run. A crash
    between the acknowledgement and the commit publishes them again next time (the processor's ledger drops
    the repeat).
    """
    with conn.transaction():
        rows = conn.execute(
            """SELECT event_id, payload, stream, attempts FROM outbox WHERE confirmed_at IS NULL AND due_at <= now()
               ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED""",
            (limit,),
        ).fetchall()
        if not rows:
            return Published()
        for stream in sorted({r[2] for r in rows}):
            publish(stream, [(str(event_id), bytes(payload)) for event_id, payload, s, _ in rows if s == stream])
        conn.execute(
            """UPDATE outbox SET sent_at = now(), attempts = attempts + 1,
                   due_at = now() + least(%s * power(2, least(attempts, 30)), %s)
               WHERE event_id = ANY(%s)""",
            (resend_after, resend_max, [r[0] for r in rows]),
        )
    again = sum(r[3] > 0 for r in rows)
    return Published(first=len(rows) - again, again=again)


def confirm(cur: psycopg.Cursor, event_ids: Sequence[UUID]) -> None:
    """Mark these events committed by the processor and erase their payloads, inside the processor's own
    transaction (so a rolled-back batch confirms nothing). Rows a relay is re-sending right now are skipped, not
    waited for: their copy arrives again and is confirmed then, as a duplicate."""
    if event_ids:
        cur.execute(
            """UPDATE outbox SET confirmed_at = now(), payload = NULL WHERE event_id IN (
                   SELECT event_id FROM outbox WHERE event_id = ANY(%s) AND confirmed_at IS NULL
                   ORDER BY event_id FOR UPDATE SKIP LOCKED)""",
            (list(event_ids),),
        )


def confirm_rejected(cur: psycopg.Cursor, rejected: Sequence[tuple[UUID, bytes]]) -> None:
    """Confirm outbox rows the processor rejected (for instance a site removed since the report): matched by
    event id *and* the exact payload, so a forged message that merely claims an id confirms nothing."""
    if rejected:
        cur.execute(
            """UPDATE outbox o SET confirmed_at = now(), payload = NULL
               FROM unnest(%s::uuid[], %s::bytea[]) AS r(event_id, payload)
               WHERE o.event_id = r.event_id AND o.payload = r.payload AND o.confirmed_at IS NULL""",
            ([i for i, _ in rejected], [p for _, p in rejected]),
        )


def is_queued(conn: psycopg.Connection, event_id: object, owner: str) -> bool:
    """Whether `owner`'s event with this id was accepted into the outbox (sent to Kafka or not yet)."""
    return conn.execute("SELECT 1 FROM outbox WHERE event_id = %s AND owner = %s", (event_id, owner)).fetchone() \
        is not None


def unsent(conn: psycopg.Connection) -> int:
    """How many events wait for their first publication."""
    return conn.execute("SELECT count(*) FROM outbox WHERE confirmed_at IS NULL AND attempts = 0").fetchone()[0]


@dataclass(frozen=True)
class Health:
    """The outbox as the pipeline-health board shows it (ages in seconds since the event was accepted)."""

    unsent: int
    oldest_unsent_s: float | None
    unconfirmed: int
    oldest_unconfirmed_s: float | None
    resent: int


def health(conn: psycopg.Connection) -> Health:
    """Events waiting for their first publication, and published but not yet committed by the processor."""
    return Health(*conn.execute("SELECT * FROM outbox_health()").fetchone())
