"""The outbox contract: enqueue answers accepted/duplicate, the relay publishes each row and keeps its payload
until the processor has counted it (tests/integration/test_end_to_end_confirmation.py)."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime

import pytest

from schemas import IncidentEvent
from services.relay.app import run_relay
from tests.support import read_topic, wait_for
from trygg.adapters.database import connect
from trygg.adapters.outbox import enqueue, unsent
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
