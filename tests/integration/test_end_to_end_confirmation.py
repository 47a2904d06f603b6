"""Nothing accepted is lost when the broker loses its log: an outbox row stays re-sendable until the processor
has counted its event, and the relay sends what is unconfirmed again (issue 10, part 1).

Each test runs its own broker (memory storage, like `trygg up`) under the supervisor of `trygg up`; it SIGKILLs
the broker and the supervisor starts it again, empty, on the same port: every acknowledged message, topic and
committed offset is gone. The relay and the processor are
child processes, the form runs under uvicorn in this process and the police feed in a test client.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from services.police_feed.app import create_app as create_feed
from tests.integration.test_police_feed import NDJSON, ndjson, police_events
from tests.integration.test_report_form import FormServer, Intake, open_intake, post_report
from tests.support import AGREEMENT_A, WorkerProcess, read_topic, wait_for
from trygg.adapters.agencies import add_agency
from trygg.adapters.database import connect
from trygg.adapters.outbox import health
from trygg.app.import_file import run_import
from trygg.boards import queries as q
from trygg.localstack.intake import start_relay
from trygg.localstack.processes import Broker
from trygg.localstack.supervisor import Supervisor
from trygg.texts import CLI, say

FORM_REPORTS, FEED_EVENTS, IMPORT_LINES = 500, 5_000, 20_000
TOTAL = FORM_REPORTS + FEED_EVENTS + IMPORT_LINES
RESEND_AFTER_S, RESEND_MAX_S = 3.0, 6.0


@dataclass
class Stack:
    broker: Broker
    services: Supervisor  # the supervisor of `trygg up`, here for the broker alone
    said: list[str]
    intake: Intake
    relay_log: Path
    tmp: Path

    @property
    def database(self) -> str:
        return self.intake.settings.database_url

    def restart_broker_empty(self) -> None:
        """SIGKILL the broker and let the supervisor of `trygg up` start it again: empty, on the same port, its
        topics created again."""
        assert self.broker.process is not None
        self.broker.process.kill()

        def restarted() -> bool:
            self.services.check()
            return f"• {say('service_restarted', name=CLI['service_broker'])}" in self.said

        wait_for(restarted, 60, "the supervisor to restart the broker", interval=0.2)
        exited = f"• {say('service_exited', name=CLI['service_broker'], code=-9, wait=1)}"
        assert any(line.startswith(exited) for line in self.said), self.said


@contextlib.contextmanager
def running_stack(database: str, tmp_path: Path, resend_after_s: float, resend_max_s: float) -> Iterator[Stack]:
    own = Broker(tmp_path / "broker.log")  # our own: killing the session's would hurt other tests
    intake = open_intake(own.bootstrap, database, form_rate_per_token=100_000, form_rate_per_address=100_000,
                         relay_max_backoff_seconds=1.0, relay_resend_after_seconds=resend_after_s,
                         relay_resend_max_seconds=resend_max_s, relay_report_seconds=1.0)
    said: list[str] = []
    services = Supervisor(say=said.append)
    services.add(CLI["service_broker"], lambda: own.start_with_topics(intake.settings), own.log_path)
    opened = Stack(own, services, said, intake, tmp_path / "relay.log", tmp_path)
    relay = start_relay(intake.settings, opened.relay_log)
    try:
        yield opened
        assert relay.poll() is None, opened.relay_log.read_text()[-3000:]  # it waited every outage out
    finally:
        relay.terminate()
        relay.wait(15)
        services.stop()


@pytest.fixture
def stack(postgres, database: str, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(database, tmp_path, RESEND_AFTER_S, RESEND_MAX_S) as opened:
        yield opened


def accept_everything(stack: Stack) -> None:
    """500 form reports, 5,000 police-feed events and a 20,000-line import, each answered as accepted."""
    accept_reports_and_feed(stack)
    import_history(stack)


def accept_reports_and_feed(stack: Stack) -> None:
    settings = stack.intake.settings
    with FormServer(settings), httpx.Client(follow_redirects=True) as client:
        for _ in range(FORM_REPORTS):
            answer = post_report(client, stack.intake.url(stack.intake.token_a))
            assert answer.status_code == 200 and "Tack! Rapporten är mottagen" in answer.text
    with connect(stack.database) as conn:
        token = add_agency(conn, "polisen-umea", "police", ["Umeå"], [])
    with TestClient(create_feed(settings)) as feed:
        events = police_events(FEED_EVENTS, seed=10)
        for start in range(0, FEED_EVENTS, 1000):
            answer = feed.post("/v1/incidents", content=ndjson(events[start:start + 1000]),
                               headers={"Authorization": f"Bearer {token}", **NDJSON})
            assert answer.status_code == 200 and answer.json()["accepted"] == 1000, answer.text


def import_history(stack: Stack) -> None:
    settings = stack.intake.settings
    path = stack.tmp / "history.ndjson"
    now = datetime.now(UTC).replace(microsecond=0)
    lat, lon = (AGREEMENT_A.min_lat + AGREEMENT_A.max_lat) / 2, (AGREEMENT_A.min_lon + AGREEMENT_A.max_lon) / 2
    path.write_text("".join(json.dumps({
        "event_id": str(uuid.uuid4()), "schema_version": 1, "source": "property_owner", "reporter": "bostaden",
        "category": "vandalism", "occurred_at": (now - timedelta(minutes=i)).isoformat(),
        "reported_at": now.isoformat(), "location": {"lat": lat, "lon": lon},
    }) + "\n" for i in range(IMPORT_LINES)), encoding="utf-8")
    assert run_import(settings, path, progress=False)["accepted"] == IMPORT_LINES


def outbox_state(database_url: str) -> tuple[int, int, int, int]:
    """Rows, rows never sent, rows confirmed, payloads still kept."""
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*), count(*) FILTER (WHERE attempts = 0), count(confirmed_at), "
                            "count(payload) FROM outbox").fetchone()


def assert_counted_exactly_once(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0] == TOTAL
        assert conn.execute("SELECT count(*) FROM incident_events").fetchone()[0] == TOTAL
        by_source = dict(conn.execute(
            "SELECT source, sum(incidents) FROM incident_counts WHERE area_id = %s GROUP BY source",
            (AGREEMENT_A.area_id,)))
        police = conn.execute("SELECT sum(incidents) FROM incident_counts WHERE area_id = 'kommun:umea' "
                              "AND source = 'police'").fetchone()[0]
    assert by_source == {"shop": FORM_REPORTS, "property_owner": IMPORT_LINES}
    assert police == FEED_EVENTS
    assert outbox_state(database_url) == (TOTAL, 0, TOTAL, 0)  # all confirmed, no payload kept


def topic_size(stack: Stack) -> int:
    settings = stack.intake.settings
    return len(read_topic(settings, settings.topic_incidents_reported, 10**9, timeout_s=10))


def test_broker_restarted_empty_before_the_processor_ran_everything_is_counted_once(stack: Stack, tmp_path: Path):
    accept_everything(stack)
    wait_for(lambda: outbox_state(stack.database)[1] == 0, 60, "the relay to publish the form and feed events")
    assert outbox_state(stack.database) == (TOTAL, 0, 0, TOTAL)  # acknowledged by the broker, every payload kept
    with psycopg.connect(stack.database) as conn:  # what the operator sees on the pipeline-health board
        conn.execute("SET ROLE trygg_reader")
        unsent, _, unconfirmed, oldest_s, _ = conn.execute(q.OUTBOX.sql).fetchone()
    assert (unsent, unconfirmed) == (0, TOTAL) and oldest_s >= 1

    stack.restart_broker_empty()
    wait_for(lambda: "published" in stack.relay_log.read_text() and " again" in stack.relay_log.read_text(), 60,
             "the relay to send the unconfirmed events again")
    worker = WorkerProcess(stack.intake.settings, tmp_path / "worker.log").start()
    try:
        wait_for(lambda: outbox_state(stack.database)[2] == TOTAL, 240, "every event counted and confirmed")
        assert_counted_exactly_once(stack.database)
        # Confirmed means done: after three more re-send deadlines nothing more went to the topic.
        on_topic = topic_size(stack)
        assert on_topic >= TOTAL
        time.sleep(3 * RESEND_MAX_S)
        assert topic_size(stack) == on_topic
        with psycopg.connect(stack.database) as conn:
            assert health(conn).unconfirmed == 0
        worker.assert_alive()
    finally:
        worker.stop()
    assert "published but not yet counted by the processor" in stack.relay_log.read_text()


def test_broker_restarted_empty_while_the_processor_counts_everything_is_counted_once(stack: Stack, tmp_path: Path):
    worker = WorkerProcess(stack.intake.settings, tmp_path / "worker.log").start()
    try:
        accept_reports_and_feed(stack)
        importing = threading.Thread(target=import_history, args=(stack,))
        importing.start()
        # Mid-stream: the import is publishing and the processor has counted part of it.
        wait_for(lambda: outbox_state(stack.database)[2] >= FORM_REPORTS + FEED_EVENTS + 2000, 120,
                 "the processor to count part of the import", interval=0.05)
        counted_at_restart = outbox_state(stack.database)[2]
        stack.restart_broker_empty()
        importing.join(120)  # the import waits for the broker and goes on
        assert not importing.is_alive()
        assert counted_at_restart < TOTAL, "the broker must restart before everything is counted"
        wait_for(lambda: outbox_state(stack.database)[2] == TOTAL, 240, "every event counted and confirmed")
        assert_counted_exactly_once(stack.database)
        worker.assert_alive()
    finally:
        worker.stop()


def test_nothing_is_sent_again_once_the_processor_confirmed_it(postgres, database: str, tmp_path: Path):
    resend_after_s = 8.0  # well above how long the running processor takes to count a report
    with running_stack(database, tmp_path, resend_after_s, 2 * resend_after_s) as opened:
        worker = WorkerProcess(opened.intake.settings, tmp_path / "worker.log").start()
        try:
            with FormServer(opened.intake.settings), httpx.Client(follow_redirects=True) as client:
                for _ in range(200):
                    assert post_report(client, opened.intake.url(opened.intake.token_a)).status_code == 200
            wait_for(lambda: outbox_state(opened.database)[2] == 200, 120, "the 200 reports counted")
            time.sleep(2 * resend_after_s)  # past the first re-send deadline of every report
            assert topic_size(opened) == 200  # each published exactly once
            assert outbox_state(opened.database) == (200, 0, 200, 0)
            worker.assert_alive()
        finally:
            worker.stop()
    assert " again" not in (tmp_path / "relay.log").read_text()
