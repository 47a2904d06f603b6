"""Hypothesis against the police endpoint (in-process ASGI, real PostgreSQL) and the importer: thousands of
malformed payloads, each rejected on its own or refused as a whole with a 4xx; nothing half-written."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from services.police_feed.app import create_app
from tests.support import world_agreements
from trygg.adapters.agencies import add_agency
from trygg.adapters.database import connect, upsert_agreements
from trygg.app.import_file import run_import

REQUIRED = ["event_id", "source", "reporter", "category", "occurred_at", "reported_at", "location"]
# Out at sea: the North Sea (outside Sweden's box) and the Baltic / Gulf of Bothnia (inside the box, so only
# the agency's scope — Umeå — refuses them).
SEA = [(56.5, 3.1), (58.0, 9.0), (56.0, 18.5), (58.5, 20.5), (62.0, 19.5), (55.2, 14.0)]
NOT_A_STRING = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                         st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def base() -> dict:
    return {"event_id": str(uuid.uuid4()), "schema_version": 1, "source": "police", "reporter": "polisen-umea",
            "category": "theft", "occurred_at": "2025-03-01T10:00:00+01:00", "reported_at": "2025-03-01T11:00:00+01:00",
            "location": {"lat": 63.8258, "lon": 20.2630, "municipality": "Umeå", "precision": "municipality"},
            "external_id": f"F-{uuid.uuid4().hex}"}


def encode(doc: dict) -> bytes:
    return json.dumps(doc).encode()


@st.composite
def malformed(draw: st.DrawFn) -> bytes:
    doc = base()
    kind = draw(st.sampled_from(["type", "missing", "huge", "utf8", "naive", "future", "sea", "junk"]))
    if kind == "type":
        field = draw(st.sampled_from(REQUIRED))
        doc[field] = draw(NOT_A_STRING.filter(lambda v: not isinstance(v, dict) or field != "location"))
    elif kind == "missing":
        del doc[draw(st.sampled_from(REQUIRED))]
    elif kind == "huge":
        field = draw(st.sampled_from(["reporter", "category", "external_id", "note", "occurred_at", "municipality"]))
        text = draw(st.text(min_size=1, max_size=20)) * 700 + "x" * 600
        if field == "municipality":
            doc["location"]["municipality"] = text
        else:
            doc[field] = text
    elif kind == "utf8":
        raw = encode(doc)
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"])) + raw[at:]
    elif kind == "naive":
        doc[draw(st.sampled_from(["occurred_at", "reported_at"]))] = "2025-03-01T10:00:00"
    elif kind == "future":
        # "now" when the case is drawn, at least a day ahead: far beyond MAX_CLOCK_SKEW_SECONDS, also for the
        # import of the same payloads minutes later on a loaded machine.
        ahead = timedelta(minutes=draw(st.integers(24 * 60, 10 * 365 * 24 * 60)))
        moment = (datetime.now(UTC) + ahead).isoformat()
        doc["occurred_at"] = doc["reported_at"] = moment
    elif kind == "sea":
        lat, lon = draw(st.sampled_from(SEA))
        doc["location"] = {"lat": lat, "lon": lon}
    else:
        return b"#" + draw(st.binary(max_size=200)).replace(b"\n", b" ").replace(b"\r", b" ")
    return encode(doc)


def test_thousands_of_malformed_payloads_are_each_rejected_and_nothing_half_written(settings, tmp_path: Path):
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())
        token = add_agency(conn, "polisen-umea", "police", ["Umeå"], [])
    auth = {"Authorization": f"Bearer {token}"}
    sent: list[bytes] = []
    accepted: set[str] = set()

    with TestClient(create_app(settings)) as client:

        @hypothesis_settings(max_examples=100, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(bad=st.lists(malformed(), min_size=20, max_size=30), repeats=st.integers(0, 3),
               as_array=st.booleans())
        def one_batch(bad: list[bytes], repeats: int, as_array: bool) -> None:
            # A valid event sent 1 + `repeats` times with different content: one accepted, the rest duplicates.
            valid = base()
            copies = [encode({**valid, "category": c}) for c in ["theft", "vandalism", "threat", "other"][: 1 + repeats]]
            batch = [*bad, *copies]
            if as_array:
                body = b"[" + b",".join(batch) + b"]"
                answer = client.post("/v1/incidents", content=body, headers={**auth, "Content-Type": "application/json"})
                if answer.status_code == 400:  # a bad line makes the array unreadable as a whole: refused, clearly
                    assert answer.json()["error"]
                    sent.extend(bad)
                    return
            else:
                answer = client.post("/v1/incidents", content=b"\n".join(batch),
                                     headers={**auth, "Content-Type": "application/x-ndjson"})
            assert answer.status_code == 200, answer.text
            results = answer.json()["results"]
            assert len(results) == len(batch)
            for result in results[: len(bad)]:
                assert result["status"] == "rejected" and result["errors"][0]["reason"], result
            assert [r["status"] for r in results[len(bad):]] == ["accepted"] + ["duplicate"] * repeats
            accepted.add(results[len(bad)]["event_id"])
            sent.extend(bad)

        one_batch()
        assert client.get("/health").json() == {"status": "ok"}  # still up, still answering
    assert len(sent) >= 2000

    with connect(settings.database_url) as conn:
        stored = {str(r[0]) for r in conn.execute("SELECT event_id FROM outbox")}
    assert stored == accepted  # only the accepted ones, each once

    # The same payloads through `trygg import` (one per line): every line rejected and listed by number.
    lines = [raw for raw in sent if raw.strip()]
    path = tmp_path / "fuzz.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = run_import(settings, path, "ndjson", "polisen-umea", progress=False)
    assert (result["accepted"], result["duplicates"], result["rejected"]) == (0, 0, len(lines))
    assert [r["line"] for r in result["rejected_lines"]] == list(range(1, len(lines) + 1))
    with connect(settings.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == len(accepted)
