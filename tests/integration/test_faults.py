"""Exactness under faults: the worker SIGKILLed mid-stream, PostgreSQL away for half a minute."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

from tests.conftest import fresh_database, settings_for
from tests.support import (
    WorkerProcess, build_traffic, ledger_size, publish_raw, read_topic, stored_counts, wait_for, world_agreements,
)
from trygg.adapters.database import connect, upsert_agreements
from trygg.adapters.kafka import create_topics
from trygg.localstack.processes import Postgres


def _publish_steadily(settings, messages, seconds: float) -> threading.Thread:
    """Publish in slices over `seconds`, like a stream, from a background thread."""
    slices = 40
    size = len(messages) // slices + 1

    def run() -> None:
        for start in range(0, len(messages), size):
            publish_raw(settings, messages[start:start + size])
            time.sleep(seconds / slices)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_sigkill_five_times_mid_stream_loses_nothing_and_doubles_nothing(settings, worker):
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())
    traffic = build_traffic(seed=5, valid=50_000, duplicate_share=0.05, invalid_per_reason=2)
    worker.start()
    producer_thread = _publish_steadily(settings, traffic.messages, seconds=40)
    rng = random.Random(11)
    progress = []
    while worker.kills < 5:
        # Kill while the worker is busy writing, at a random instant of its work.
        before = ledger_size(settings.database_url)
        wait_for(lambda: ledger_size(settings.database_url) > before, 60, "the restarted worker writing", 0.05)
        time.sleep(rng.uniform(0.0, 1.5))
        progress.append(ledger_size(settings.database_url))
        worker.kill()
        worker.start()
    producer_thread.join()
    wait_for(lambda: ledger_size(settings.database_url) == len(traffic.valid), 300, "all 50,000 events stored")
    worker.assert_alive()
    assert worker.orphans == [], "the writer process must die with its worker"
    assert progress[-1] > progress[0], f"the kills should land while events flow: {progress}"
    assert progress[0] < len(traffic.valid), "the first kill must come before the stream is done"

    expected, actual = traffic.truth(), stored_counts(settings.database_url)
    assert sum(actual.values()) == sum(expected.values()), "lost or doubled events"
    assert actual == expected


def test_database_away_for_thirty_seconds_mid_stream(broker, tmp_path: Path):
    server = Postgres(tmp_path / "pg").start()
    try:
        settings = settings_for(broker.bootstrap, fresh_database(server))
        create_topics(settings)
        with connect(settings.database_url) as conn:
            upsert_agreements(conn, world_agreements())
        traffic = build_traffic(seed=7, valid=15_000, duplicate_share=0.05, invalid_per_reason=2)
        worker = WorkerProcess(settings, tmp_path / "worker.log").start()
        try:
            producer_thread = _publish_steadily(settings, traffic.messages, seconds=20)
            wait_for(lambda: ledger_size(settings.database_url) > 0, 60, "the first events stored")
            server.stop()
            outage_started = time.monotonic()
            time.sleep(30)
            worker.assert_alive()
            server.start()
            producer_thread.join()
            wait_for(lambda: ledger_size(settings.database_url) == len(traffic.valid), 180, "all events stored")
            assert time.monotonic() - outage_started >= 30
            worker.assert_alive()
            assert "database unavailable" in worker.log_path.read_text(), "the worker should say it is waiting"
            assert stored_counts(settings.database_url) == traffic.truth()
        finally:
            worker.stop()
    finally:
        server.stop()


def test_an_event_the_database_refuses_is_dead_lettered_and_the_stream_goes_on(settings, worker):
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())
        # Stand-in for any content the database refuses that validation let through (a bug to find).
        conn.execute("ALTER TABLE incident_events ADD CONSTRAINT refuse_graffiti CHECK (category <> 'graffiti')")
    traffic = build_traffic(seed=9, valid=3000, duplicate_share=0.0, invalid_per_reason=0)
    refused = {k for k, doc in traffic.valid.items() if doc["category"] == "graffiti"}
    assert refused
    worker.start()
    publish_raw(settings, traffic.messages)
    stored = len(traffic.valid) - len(refused)
    wait_for(lambda: ledger_size(settings.database_url) == stored, 120, "all storable events stored")
    worker.assert_alive()
    letters = [json.loads(v) for v in read_topic(settings, settings.topic_incidents_rejected, len(refused))]
    assert {json.loads(letter["payload"])["event_id"] for letter in letters} == refused
    assert {letter["reason"] for letter in letters} == {"storage_failed"}
    for event_id in refused:
        del traffic.valid[event_id]
    assert stored_counts(settings.database_url) == traffic.truth()
