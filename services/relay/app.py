"""`trygg relay`: move events from the PostgreSQL outbox to `incidents.reported` (and survey waves and pulse
answers to `surveys.reported`), at least once.

Each round locks a slice of unsent rows (SKIP LOCKED, so several relays may run), produces them, waits
for the broker's acknowledgement and only then marks them sent and erases their payload, all in one
transaction. A crash between the acknowledgement and the commit publishes the rows again on the next
round; the processor's ledger drops the repeat (same event_id).
"""

from __future__ import annotations

import logging
import signal
import threading

import psycopg
from kafka import KafkaProducer

from trygg.adapters.database import connect
from trygg.adapters.kafka import FAIL_FAST, deliver, producer
from trygg.settings import Settings

log = logging.getLogger(__name__)

def relay_once(conn: psycopg.Connection, prod: KafkaProducer, settings: Settings) -> int:
    """Publish one slice of the outbox; returns how many rows were sent. Raises (and keeps the rows) on failure."""
    with conn.transaction():
        rows = conn.execute(
            """SELECT event_id, payload, stream FROM outbox WHERE sent_at IS NULL
               ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED""",
            (settings.relay_batch_size,),
        ).fetchall()
        if not rows:
            return 0
        topics = {"incidents": settings.topic_incidents_reported, "surveys": settings.topic_surveys_reported}
        for stream, topic in topics.items():
            messages = [(str(event_id), bytes(payload)) for event_id, payload, s in rows if s == stream]
            if messages:
                deliver(prod, topic, messages)
        conn.execute(
            "UPDATE outbox SET sent_at = now(), payload = NULL WHERE event_id = ANY(%s)",
            ([event_id for event_id, _, _ in rows],),
        )
    return len(rows)


def run_relay(settings: Settings, stop: threading.Event | None = None) -> None:
    """Relay until `stop` is set (or SIGTERM/SIGINT when run as a command); retries with backoff on errors."""
    stop = stop or _stop_on_signals()
    backoff = 0.5
    conn: psycopg.Connection | None = None
    prod: KafkaProducer | None = None
    log.info("relay publishing the outbox to %s", settings.topic_incidents_reported)
    while not stop.is_set():
        try:
            conn = conn if conn is not None and not conn.closed else connect(settings.database_url)
            prod = prod or producer(settings, **FAIL_FAST)
            sent = relay_once(conn, prod, settings)
            if sent:
                log.info("published %d events", sent)
            backoff = 0.5
            if sent < settings.relay_batch_size:
                stop.wait(settings.relay_idle_seconds)
        except Exception as exc:  # noqa: BLE001 — broker or database away: keep the rows, wait, try again
            log.warning("relay round failed (%s: %s); retrying in %.1f s", type(exc).__name__, exc, backoff)
            # A fresh producer and connection after a failure: the old ones may hold stale broker metadata.
            _close(prod, conn)
            prod, conn = None, None
            stop.wait(backoff)
            backoff = min(backoff * 2, settings.relay_max_backoff_seconds)
    _close(prod, conn)


def _close(prod: KafkaProducer | None, conn: psycopg.Connection | None) -> None:
    closers = [lambda: prod.close(timeout=2)] if prod is not None else []  # bounded: the rows stay unsent anyway
    closers += [conn.close] if conn is not None else []
    for close in closers:
        try:
            close()
        except Exception:
            log.debug("closing a relay client failed", exc_info=True)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop
