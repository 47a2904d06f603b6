"""The outbox contract: enqueue answers accepted/duplicate, the relay publishes each row and keeps its payload
until the processor has counted it (tests/integration/test_end_to_end_confirmation.py)."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from schemas import FieldError, IncidentEvent, RejectionReason
from services.relay.app import run_relay
from tests.conftest import fresh_database
from tests.support import read_topic, wait_for
from trygg.adapters.database import connect, store_batch
from trygg.adapters.migrations import migrate
from trygg.adapters.outbox import enqueue, publish_slice, unsent
from trygg.domain.batches import RejectedRow
from trygg.domain.validation import reject
from trygg.localstack.processes import Postgres
from trygg.settings import Settings


def _event(external_id: str | None = None, source: str = "police") -> IncidentEvent:
    now = datetime.now(UTC).replace(microsecond=0)
    return IncidentEvent(
        event_id=uuid.uuid4(), source=source, reporter="polisen-umea", category="theft", occurred_at=now,
        reported_at=now, location={"lat": 63.815, "lon": 20.295}, external_id=external_id,
    )


def test_enqueue_reports_duplicates_and_relay_publishes_each_event_once(settings: Settings) -> None:
    first, second, plain = _event("AB-1"), _event("AB-2"), _event()
    same_external = _event("AB-1")  # another id, same (source, external_id): a re-sent police export
    other_source = _event("AB-1", source="municipality")
    with connect(settings.database_url) as conn:
        with conn.transaction():
            assert enqueue(conn, [first, second, first, plain]) == ["accepted", "accepted", "duplicate", "accepted"]
        with conn.transaction():
            assert enqueue(conn, [same_external, other_source, plain]) == ["duplicate", "accepted", "duplicate"]
        with pytest.raises(RuntimeError), conn.transaction():
            enqueue(conn, [_event("rolled-back")])
            raise RuntimeError("the caller failed after enqueue: nothing may remain")
        assert unsent(conn) == 4

        stop = threading.Event()
        relay = threading.Thread(target=run_relay, args=(settings, stop))
        relay.start()
        try:
            wait_for(lambda: unsent(conn) == 0, 30, "the relay to empty the outbox")
        finally:
            stop.set()
            relay.join(10)
        # Sent once, not counted (no processor here): each still re-sendable.
        assert conn.execute("SELECT count(payload), count(sent_at), sum(attempts), count(confirmed_at) FROM outbox"
                            ).fetchone() == (4, 4, 4, 0)
        for table in ("outbox", "partner_links", "form_submissions"):
            assert not conn.execute("SELECT has_table_privilege('trygg_reader', %s, 'SELECT')", (table,)).fetchone()[0]
            assert conn.execute("SELECT has_table_privilege('trygg_writer', %s, 'INSERT')", (table,)).fetchone()[0]

    published = [json.loads(v) for v in read_topic(settings, settings.topic_incidents_reported, 4)]
    expected = [first, second, plain, other_source]
    assert sorted(p["event_id"] for p in published) == sorted(str(e.event_id) for e in expected)
    assert {p["external_id"] for p in published if "external_id" in p} == {"AB-1", "AB-2"}


def test_an_outbox_event_the_processor_rejects_is_confirmed_but_a_forged_claim_is_not(settings: Settings) -> None:
    event = _event("AB-9")
    with connect(settings.database_url) as conn:
        with conn.transaction():
            enqueue(conn, [event])
        [payload] = conn.execute("SELECT payload FROM outbox").fetchone()
        revision = conn.execute("SELECT revision FROM area_revision").fetchone()[0]
        now = datetime.now(UTC)
        error = FieldError(field="location.site_id", reason=RejectionReason.unknown_site, message="removed")

        def processor_rejects(raw: bytes, offset: int) -> None:
            store_batch(conn, [], [RejectedRow(0, offset, reject(raw, [error], now))], index_revision=revision,
                        now=now, note_retention=timedelta(0))

        forged = json.dumps({"event_id": str(event.event_id), "category": "nonsense"}).encode()
        processor_rejects(forged, 1)  # claims the id, but it is not the outbox's message
        assert conn.execute("SELECT confirmed_at IS NULL, payload IS NOT NULL FROM outbox").fetchone() == (True, True)
        processor_rejects(bytes(payload), 2)  # the outbox's own message, rejected (its site was removed)
        assert conn.execute("SELECT confirmed_at IS NOT NULL, payload IS NULL FROM outbox").fetchone() == (True, True)
        assert conn.execute("SELECT count(*) FROM rejected_events").fetchone()[0] == 2


def test_rows_of_an_older_database_keep_their_state_after_the_migration(postgres: Postgres) -> None:
    url = fresh_database(postgres, up_to=15)
    sent, waiting = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        # Before 0016 a sent row lost its payload on the broker's acknowledgement: nothing there to re-send.
        conn.execute("""INSERT INTO outbox (event_id, source, owner, payload, created_at, sent_at) VALUES
                        (%s, 'shop', 'source:shop', NULL, now() - interval '1 hour', now() - interval '1 hour'),
                        (%s, 'shop', 'source:shop', 'x', now() - interval '1 minute', NULL)""", (sent, waiting))
        migrate(conn)
        assert conn.execute("SELECT event_id, attempts, confirmed_at IS NOT NULL, due_at = created_at FROM outbox "
                            "ORDER BY created_at").fetchall() == [(sent, 1, True, False), (waiting, 0, False, True)]
        published: list[tuple[str, list]] = []
        with conn.transaction():
            assert publish_slice(conn, 10, lambda stream, messages: published.append((stream, messages)),
                                 resend_after=timedelta(minutes=5), resend_max=timedelta(hours=1)).first == 1
        assert published == [("incidents", [(str(waiting), b"x")])]
