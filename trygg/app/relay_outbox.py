"""Use case: move accepted events from the PostgreSQL outbox to `incidents.reported` (and survey waves and pulse
answers to `surveys.reported`), at least once, until the processor has counted them.

Each round publishes one slice of the rows that are due and marks them sent only after the broker acknowledged
them (trygg.adapters.outbox.publish_slice); several relays may run. A row the processor has not confirmed
`relay_resend_after_seconds` after it was sent is due again (a broker that lost its log): the processor's
ledger makes the repeat harmless. While the database or the broker is away the round is retried with backoff
and nothing is lost; any other error stops the relay loudly. Every `relay_report_seconds` the log says how many
events are published but not yet counted, and how old the oldest is (also on the pipeline-health board).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import psycopg
from kafka import KafkaProducer

from trygg.adapters import database
from trygg.adapters.kafka import FAIL_FAST, deliver, producer
from trygg.adapters.outbox import Published, health, publish_slice
from trygg.adapters.retrying import database_or_broker_away, outage
from trygg.settings import Settings

log = logging.getLogger(__name__)


class _Producer:
    """The relay's producer, replaced after a failure: the old one may hold stale broker metadata."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer: KafkaProducer | None = None

    def get(self) -> KafkaProducer:
        self._producer = self._producer or producer(self.settings, **FAIL_FAST)
        return self._producer

    def drop(self, *_: object) -> None:
        if self._producer is not None:
            self._producer.close(timeout=2)  # bounded: unacknowledged rows stay unsent anyway
        self._producer = None


def relay_once(conn: psycopg.Connection, prod: KafkaProducer, settings: Settings) -> Published:
    """Publish one slice of the due outbox rows, each stream to its topic. Raises (and keeps the rows) on
    failure."""
    topics = {"incidents": settings.topic_incidents_reported, "surveys": settings.topic_surveys_reported}
    return publish_slice(conn, settings.relay_batch_size,
                         lambda stream, messages: deliver(prod, topics[stream], messages),
                         resend_after=timedelta(seconds=settings.relay_resend_after_seconds),
                         resend_max=timedelta(seconds=settings.relay_resend_max_seconds))


def _report_unconfirmed(conn: psycopg.Connection) -> None:
    state = health(conn)
    if state.unconfirmed:
        log.info("%d events published but not yet counted by the processor (oldest accepted %.0f s ago; "
                 "%d of them sent more than once)", state.unconfirmed, state.oldest_unconfirmed_s, state.resent)


def relay_outbox(settings: Settings, stop: threading.Event) -> None:
    """Relay until `stop` is set."""
    connections = database.pool(settings.database_url, max_size=1, name="relay", timeout_s=5)
    prod = _Producer(settings)
    retry = outage(database_or_broker_away, "database or broker (outbox relay)", first_wait=0.5,
                   max_wait=settings.relay_max_backoff_seconds, stop=stop, on_retry=prod.drop)

    reported_at = 0.0

    def relay_round() -> Published:
        nonlocal reported_at
        client = prod.get()
        with connections.connection() as conn:
            if time.monotonic() - reported_at >= settings.relay_report_seconds:
                _report_unconfirmed(conn)
                reported_at = time.monotonic()
            return relay_once(conn, client, settings)

    log.info("relay publishing the outbox to %s", settings.topic_incidents_reported)
    try:
        while not stop.is_set():
            try:
                sent = retry(relay_round)
            except Exception as error:
                if stop.is_set() and database_or_broker_away(error):
                    break  # stopped while waiting out an outage: the rows stay for the next relay
                raise
            if sent.first:
                log.info("published %d events", sent.first)
            if sent.again:
                log.warning("published %d events again: not counted by the processor within %.0f s of being sent "
                            "(the broker may have lost them)", sent.again, settings.relay_resend_after_seconds)
            if sent.total < settings.relay_batch_size:
                stop.wait(settings.relay_idle_seconds)
    finally:
        prod.drop()
        connections.close()
