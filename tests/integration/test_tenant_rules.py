"""Attacks of issue 16 on the running feed, Open311 and form (real HTTP server, real PostgreSQL, real broker).

Each test plays what the attacker did against 0d570b2 and asserts what a user of the answer would check."""

from __future__ import annotations

import json
import select
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest

from schemas import IncidentEvent
from services.police_feed.app import create_app as create_feed
from services.report_form.app import create_app as create_form
from tests.conftest import settings_for
from tests.support import AGREEMENT_A, AppServer, publish_raw, wait_for, world_agreements
from trygg.adapters.agencies import add_agency
from trygg.adapters.database import connect, upsert_agreements
from trygg.adapters.intake import issue_link
from trygg.adapters.outbox import enqueue
from trygg.domain.free_text import REMOVED
from trygg.localstack.processes import Broker, Postgres, free_port
from trygg.settings import Settings

NDJSON = {"Content-Type": "application/x-ndjson"}
INSIDE_A = {"lat": 63.812, "lon": 20.292}
VINDELN_POINT = {"lat": 64.2, "lon": 19.72, "municipality": "Vindeln"}
MiB = 1 << 20


@dataclass
class Feed:
    settings: Settings
    base: str
    umea: str  # tokens
    vindeln: str

    def post(self, token: str, docs: list, **kwargs: object) -> httpx.Response:
        body = b"\n".join(d if isinstance(d, bytes) else json.dumps(d).encode() for d in docs)
        return httpx.post(f"{self.base}/v1/incidents", content=body,
                          headers={"Authorization": f"Bearer {token}", **NDJSON}, timeout=60, **kwargs)


@pytest.fixture
def feed(settings: Settings, database: str) -> Iterator[Feed]:
    port = free_port()
    settings = settings.model_copy(update={"police_feed_max_body_bytes": 4 * MiB})
    with connect(database) as conn:
        upsert_agreements(conn, world_agreements())
        umea = add_agency(conn, "polisen-umea", "police", ["Umeå"], [])
        vindeln = add_agency(conn, "polisen-vindeln", "police", ["Vindeln"], [])
    with AppServer(create_feed(settings), port):
        yield Feed(settings, f"http://127.0.0.1:{port}", umea, vindeln)


def event(reporter: str, location: dict, **changes: object) -> dict:
    now = datetime.now(UTC).replace(microsecond=0)
    return {"event_id": str(uuid.uuid4()), "schema_version": 1, "source": "police", "reporter": reporter,
            "category": "drug_dealing", "occurred_at": (now - timedelta(hours=1)).isoformat(),
            "reported_at": now.isoformat(), "location": location, **changes}


def results(answer: httpx.Response) -> list[tuple[str, str | None]]:
    assert answer.status_code == 200, answer.text
    return [(r["status"], r["errors"][0]["reason"] if "errors" in r else None) for r in answer.json()["results"]]


def outbox_rows(database_url: str) -> list[tuple]:
    with connect(database_url) as conn:
        return conn.execute("SELECT owner, external_id, payload FROM outbox ORDER BY created_at").fetchall()


def test_scope_follows_where_the_event_lies_and_reporters_follow_the_token(feed: Feed) -> None:
    """Items 1 and 3: Vindeln's agency counted a point in Ålidhem by labelling it "Vindeln" (also by a Umeå
    site id), and a police token reported as the shop `ica-alidhem`."""
    answer = feed.post(feed.vindeln, [
        event("polisen-vindeln", {**INSIDE_A, "municipality": "Vindeln"}),
        event("polisen-vindeln", {"site_id": "test-site-ica", "municipality": "Vindeln"}),
        event("ica-alidhem", INSIDE_A),
        event("polisen-vindeln", VINDELN_POINT),
    ])
    assert results(answer) == [("rejected", "outside_scope")] * 3 + [("accepted", None)]
    assert [r["errors"][0]["field"] for r in answer.json()["results"][:3]] == ["location", "location", "reporter"]
    assert results(feed.post(feed.umea, [event("polisen-umea", {**INSIDE_A, "municipality": "Umeå"})])) == [
        ("accepted", None)]
    assert [row[0] for row in outbox_rows(feed.settings.database_url)] == ["agency:polisen-vindeln", "agency:polisen-umea"]


def test_an_agency_cannot_squat_another_agency_s_external_ids_or_learn_of_its_events(feed: Feed) -> None:
    """Item 2: Vindeln sent `external_id: AB-247803-26` first; Umeå's own event with that id came back
    `duplicate` and was never stored."""
    squat = event("polisen-vindeln", VINDELN_POINT, external_id="AB-247803-26")
    assert results(feed.post(feed.vindeln, [squat])) == [("accepted", None)]
    ours = event("polisen-umea", INSIDE_A, external_id="AB-247803-26")
    assert results(feed.post(feed.umea, [ours])) == [("accepted", None)]
    # Umeå's nightly export sent again: its own duplicate. Vindeln re-using Umeå's event id: refused, and
    # told nothing about whose event that is.
    assert results(feed.post(feed.umea, [{**ours, "event_id": str(uuid.uuid4())}])) == [("duplicate", None)]
    taken = feed.post(feed.vindeln, [{**squat, "event_id": ours["event_id"], "external_id": "V-2"}])
    assert results(taken) == [("rejected", "event_id_taken")]
    assert "polisen-umea" not in taken.text
    rows = outbox_rows(feed.settings.database_url)
    assert [(owner, external) for owner, external, _ in rows] == [
        ("agency:polisen-vindeln", "AB-247803-26"), ("agency:polisen-umea", "AB-247803-26")]


def test_open311_requests_are_looked_up_only_by_the_agency_that_filed_them(feed: Feed) -> None:
    """Item 10: `GET /requests/{id}.json` answered for any event id, form reports included, without a key."""
    with connect(feed.settings.database_url) as conn:
        conn.execute("UPDATE agencies SET source = 'municipality'")
    filed = httpx.post(f"{feed.base}/open311/v2/requests.json",
                       data={"api_key": feed.umea, "service_code": "vandalism", "lat": "63.812", "long": "20.292"})
    assert filed.status_code == 200, filed.text
    request_id = filed.json()[0]["service_request_id"]
    now = datetime.now(UTC)
    form_report = IncidentEvent(event_id=uuid.uuid4(), source="shop", reporter="ica-test", category="theft",
                                occurred_at=now, reported_at=now, location=INSIDE_A)
    with connect(feed.settings.database_url) as conn, conn.transaction():
        enqueue(conn, [form_report])

    def look_up(event_id: object, **params: str) -> int:
        return httpx.get(f"{feed.base}/open311/v2/requests/{event_id}.json", params=params).status_code

    assert look_up(request_id, api_key=feed.umea) == 200
    assert look_up(request_id) == 403 and look_up(request_id, api_key="guess") == 403
    assert look_up(request_id, api_key=feed.vindeln) == 404
    assert look_up(form_report.event_id, api_key=feed.umea) == 404


def send_chunked(port: int, path: str, headers: dict[str, str], total: int) -> tuple[int | None, int]:
    """POST `total` bytes as a chunked body, as fast as the server takes them, stopping when it answers or
    stops reading. Returns the answer's status (None without one) and the bytes sent."""
    chunk = 256 * 1024
    piece = f"{chunk:x}\r\n".encode() + b"x" * chunk + b"\r\n"
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(5)  # a server that stopped reading fills the socket buffers: sending then times out
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n{head}\r\n".encode())
    sent = 0
    try:
        while sent < total and not select.select([sock], [], [], 0)[0]:
            sock.sendall(piece)
            sent += chunk
        if sent >= total:
            sock.sendall(b"0\r\n\r\n")
        answer = sock.recv(4096)
    except (TimeoutError, OSError):
        answer = b""
    finally:
        sock.close()
    return (int(answer.split()[1]) if answer.startswith(b"HTTP/1.1 ") else None), sent


def test_unauthenticated_or_oversized_chunked_bodies_are_cut_off_while_streaming(feed: Feed, database: str) -> None:
    """Item 4: an Open311 POST of 200 MiB, chunked, without a key was read whole before its 403 (feed RSS
    116 -> 304 MiB). Every endpoint now checks the credential first and counts the body as it streams."""
    port = int(feed.base.rsplit(":", 1)[1])
    total = 200 * MiB
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    status, sent = send_chunked(port, "/open311/v2/requests.json", form_type, total)
    assert status == 413 and sent < 32 * MiB
    status, sent = send_chunked(port, "/open311/v2/requests.json?api_key=guess", form_type, total)
    assert status == 403 and sent < 32 * MiB
    status, sent = send_chunked(port, "/v1/incidents", NDJSON, total)
    assert status == 401 and sent < 32 * MiB
    status, sent = send_chunked(port, "/v1/incidents", {**NDJSON, "Authorization": f"Bearer {feed.umea}"}, total)
    assert status == 413 and sent < 32 * MiB  # POLICE_FEED_MAX_BODY_BYTES is 4 MiB here
    form_port = free_port()
    with AppServer(create_form(settings_for("127.0.0.1:1", database, form_port=form_port)), form_port):
        status, sent = send_chunked(form_port, "/r/no-such-link", form_type, total)
    assert status == 404 and sent < 32 * MiB
    # The feed still answers.
    assert httpx.get(f"{feed.base}/health").json() == {"status": "ok"}


def test_a_json_array_with_a_lone_surrogate_and_a_huge_number_refuses_those_two_only(feed: Feed) -> None:
    """Item 5: one lone-surrogate escape or one 5,000-digit integer made the whole array a 400."""
    docs = [event("polisen-umea", INSIDE_A) for _ in range(100)]
    texts = [json.dumps(d) for d in docs]
    texts[10] = texts[10].replace('"drug_dealing"', '"drug_dealing\\udc00"')
    texts[90] = texts[90].replace('"schema_version": 1', '"schema_version": ' + "7" * 5000)
    answer = httpx.post(f"{feed.base}/v1/incidents", content=("[" + ",".join(texts) + "]").encode(),
                        headers={"Authorization": f"Bearer {feed.umea}", "Content-Type": "application/json"})
    outcome = results(answer)
    assert answer.json()["accepted"] == 98
    assert outcome[10] == outcome[90] == ("rejected", "invalid_json")


def test_notes_sent_to_the_feed_or_straight_to_kafka_are_stored_scrubbed(feed: Feed, worker) -> None:  # noqa: ANN001
    """Item 7: notes were scrubbed only on the form; the feed, imports and Kafka stored them as sent."""
    note = "Ring 070.123.45.67 eller +47 912 34 567, pnr 19121212 - 1212"
    scrubbed = f"Ring {REMOVED} eller {REMOVED}, pnr {REMOVED}"
    assert results(feed.post(feed.umea, [event("polisen-umea", INSIDE_A, note=note)])) == [("accepted", None)]
    with connect(feed.settings.database_url) as conn:
        [(payload,)] = conn.execute("SELECT payload FROM outbox").fetchall()
    assert json.loads(payload)["note"] == scrubbed
    direct = event("polisen-umea", INSIDE_A, note=note)
    publish_raw(feed.settings, [(direct["event_id"], json.dumps(direct).encode())])
    worker.start()

    def stored() -> list:
        with connect(feed.settings.database_url) as conn:
            return conn.execute("SELECT note FROM incident_notes").fetchall()
    wait_for(lambda: stored() != [], 90, "the directly produced event's note stored")
    assert stored() == [(scrubbed,)]


def test_the_reader_role_cannot_create_temporary_tables(postgres: Postgres, database: str) -> None:
    """Item 10: `trygg_reader` could CREATE TEMP TABLE (PostgreSQL grants it to PUBLIC)."""
    reader_url = database.replace("postgresql://postgres@", "postgresql://trygg_reader@")
    with psycopg.connect(reader_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("CREATE TEMP TABLE probe (x int)")
    with psycopg.connect(database.replace("postgresql://postgres@", "postgresql://trygg_writer@")) as conn:
        conn.execute("CREATE TEMP TABLE probe (x int)")


def test_while_postgresql_is_away_the_feed_and_form_answer_clearly_and_recover_at_once(
        feed: Feed, broker: Broker, database: str, postgres: Postgres) -> None:
    """Item 10: during a PostgreSQL outage the form and feed answered a bare plain-text 500, and a stale
    pooled connection failed the first request after recovery."""
    form_port = free_port()
    settings = settings_for(broker.bootstrap, database, form_port=form_port)
    with connect(database) as conn:
        token = issue_link(conn, AGREEMENT_A.area_id, "ica-test", [])
    away = settings_for(broker.bootstrap, f"postgresql://postgres@127.0.0.1:{free_port()}/trygg")
    away_port, away_form_port = free_port(), free_port()
    with AppServer(create_feed(away.model_copy(update={"police_feed_port": away_port})), away_port), \
            AppServer(create_form(away.model_copy(update={"form_port": away_form_port})), away_form_port):
        refused = httpx.post(f"http://127.0.0.1:{away_port}/v1/incidents", content=b"{}",
                             headers={"Authorization": "Bearer x", **NDJSON})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "30"
        assert "unavailable" in refused.json()["error"]
        page = httpx.get(f"http://127.0.0.1:{away_form_port}/r/{token}")
        assert page.status_code == 503 and page.headers["retry-after"] == "30"
        assert "tillfälligt otillgänglig" in page.text and "Ingenting har sparats" in page.text
        english = httpx.get(f"http://127.0.0.1:{away_form_port}/r/{token}?lang=en")
        assert "temporarily unavailable" in english.text

    with AppServer(create_form(settings), form_port):
        form = f"http://127.0.0.1:{form_port}/r/{token}"
        assert httpx.get(form).status_code == 200
        assert results(feed.post(feed.umea, [event("polisen-umea", INSIDE_A)])) == [("accepted", None)]
        # Every pooled connection dies, as in a PostgreSQL restart; the next requests must still succeed.
        with psycopg.connect(postgres.url(database="postgres"), autocommit=True) as admin:
            killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = %s AND pid <> pg_backend_pid()", (database.rsplit("/", 1)[1],)
                                   ).fetchone()[0]
        assert killed >= 2
        assert httpx.get(form).status_code == 200
        assert results(feed.post(feed.umea, [event("polisen-umea", INSIDE_A)])) == [("accepted", None)]
