"""The police feed against a real broker and PostgreSQL: batch answers, idempotent re-sends, Open311,
counting through the relay and the processor."""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from services.police_feed.app import create_app
from services.relay.app import run_relay
from tests.support import MUNICIPALITY_AREA, ledger_size, valid_event, wait_for, world_agreements
from trygg.adapters.agencies import add_agency, revoke_agency
from trygg.adapters.database import connect, upsert_agreements
from trygg.settings import Settings

NDJSON = {"Content-Type": "application/x-ndjson"}


@pytest.fixture
def relay(settings: Settings) -> Iterator[None]:
    """The outbox relay (services/relay) in a thread: real producer, real broker."""
    stop = threading.Event()
    thread = threading.Thread(target=run_relay, args=(settings, stop), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(30)


@pytest.fixture
def feed(settings: Settings) -> Iterator[tuple[TestClient, dict]]:
    """The police feed app in-process, agreements loaded, and an Umeå police agency's auth header."""
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())
        token = add_agency(conn, "polisen-umea", "police", ["Umeå"], [])
    with TestClient(create_app(settings)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def police_events(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    events = []
    for i in range(count):
        doc = valid_event(rng, now)
        doc |= {"source": "police", "reporter": "polisen-umea", "external_id": f"UMEA-{seed}-{i}",
                "location": {"lat": 63.8258, "lon": 20.2630, "municipality": "Umeå", "precision": "municipality"}}
        doc.pop("note", None)
        events.append(doc)
    return events


def ndjson(docs: list) -> bytes:
    return b"\n".join(d if isinstance(d, bytes) else json.dumps(d).encode() for d in docs) + b"\n"


def umea_total(database_url: str) -> int:
    with connect(database_url) as conn:
        return conn.execute("SELECT coalesce(sum(incidents), 0) FROM incident_counts WHERE area_id = %s",
                            (MUNICIPALITY_AREA,)).fetchone()[0]


def test_a_mixed_batch_gets_per_event_answers_and_a_resent_export_changes_nothing(settings, worker, relay, feed):
    client, auth = feed
    good = police_events(40, seed=1)
    lulea = {**good[0], "event_id": str(uuid.uuid4()), "external_id": "LULEA-1",
             "location": {"lat": 65.58, "lon": 22.15, "municipality": "Luleå", "precision": "municipality"}}
    batch = [
        *good[:20],
        good[0],                                                  # 20: same event again in the batch
        {**good[1], "event_id": str(uuid.uuid4())},               # 21: same (source, external_id), new id
        {**good[2], "category": "jaywalking", "event_id": str(uuid.uuid4()), "external_id": "X-1"},  # 22
        b"{broken",                                               # 23: one bad line, not a bad batch
        {**good[3], "occurred_at": "2024-05-01T12:00:00", "event_id": str(uuid.uuid4()), "external_id": "X-2"},
        lulea,                                                    # 25: outside the agency's scope
        *good[20:],
    ]
    worker.start()
    answer = client.post("/v1/incidents", content=ndjson(batch), headers={**auth, **NDJSON})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["index"] for r in results] == list(range(len(batch)))
    statuses = [r["status"] for r in results]
    assert statuses[:20] == ["accepted"] * 20 and statuses[26:] == ["accepted"] * 20
    assert statuses[20:26] == ["duplicate", "duplicate", "rejected", "rejected", "rejected", "rejected"]
    reasons = [(r["errors"][0]["field"], r["errors"][0]["reason"]) for r in results[22:26]]
    assert reasons == [("category", "unknown_category"), ("", "invalid_json"),
                       ("occurred_at", "naive_timestamp"), ("location", "outside_scope")]
    assert answer.json()["accepted"] == 40

    wait_for(lambda: umea_total(settings.database_url) == 40, 60, "40 events counted for Umeå")
    # The nightly export sent again (as a JSON array this time): every event a duplicate, nothing changes.
    again = client.post("/v1/incidents", json=good, headers=auth)
    assert again.status_code == 200
    assert {r["status"] for r in again.json()["results"]} == {"duplicate"}
    with connect(settings.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 40
    assert umea_total(settings.database_url) == 40 and ledger_size(settings.database_url) == 40
    worker.assert_alive()


def test_refusals_of_a_whole_request_are_clear(settings, feed):
    client, auth = feed
    body = ndjson(police_events(1, seed=2))
    assert client.post("/v1/incidents", content=body, headers=NDJSON).status_code == 401
    bad = client.post("/v1/incidents", content=body, headers={"Authorization": "Bearer nope", **NDJSON})
    assert bad.status_code == 401 and "token" in bad.json()["error"]
    assert client.post("/v1/incidents", content=body, headers={**auth, "Content-Type": "text/csv"}).status_code == 415
    assert client.post("/v1/incidents", content=b"[{", headers={**auth, "Content-Type": "application/json"}
                       ).status_code == 400
    too_many = client.post("/v1/incidents", content=b"{}\n" * 10_001, headers={**auth, **NDJSON})
    assert too_many.status_code == 413 and "10000" in too_many.json()["error"]
    with connect(settings.database_url) as conn:
        revoke_agency(conn, "polisen-umea")
    assert client.post("/v1/incidents", content=body, headers={**auth, **NDJSON}).status_code == 401
    with connect(settings.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_open311_requests_file_incidents_and_can_be_looked_up(settings, worker, relay, feed):
    client, auth = feed
    token = auth["Authorization"].split()[1]
    codes = {s["service_code"]: s["service_name"] for s in client.get("/open311/v2/services.json").json()}
    assert codes["vandalism"] == "Skadegörelse" and len(codes) == 12
    worker.start()
    form = {"api_key": token, "service_code": "vandalism", "lat": "63.815", "long": "20.295",
            "description": "Krossad ruta vid entrén", "requested_datetime": "2026-11-20T10:00:00+01:00"}
    # An agency scoped to Umeå, reporting a point in an agreement area in Umeå.
    with connect(settings.database_url) as conn:
        conn.execute("UPDATE agencies SET source = 'municipality' WHERE agency_id = 'polisen-umea'")
    created = client.post("/open311/v2/requests.json", data=form)
    assert created.status_code == 200, created.text
    [receipt] = created.json()
    assert receipt["service_notice"].startswith("Tack")
    assert client.post("/open311/v2/requests.json", data=form).json()[0]["service_request_id"] == \
        receipt["service_request_id"]  # the same request re-sent is one incident
    refused = client.post("/open311/v2/requests.json", json={**form, "service_code": "potholes"})
    assert refused.status_code == 400 and "unknown_category" in refused.json()[0]["description"]
    assert client.post("/open311/v2/requests.json", data={**form, "api_key": "x"}).status_code == 403
    request_id = receipt["service_request_id"]
    wait_for(lambda: client.get(f"/open311/v2/requests/{request_id}.json", params={"api_key": token}).json()[0]["status"] == "closed", 60,
             "the request counted")
    [looked_up] = client.get(f"/open311/v2/requests/{request_id}.json", params={"api_key": token}).json()
    assert looked_up["service_code"] == "vandalism" and "lat" not in looked_up and "description" not in looked_up
    with connect(settings.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM incident_notes").fetchone()[0] == 0  # description not kept
    assert client.get(f"/open311/v2/requests/{uuid.uuid4()}.json", params={"api_key": token}).status_code == 404
