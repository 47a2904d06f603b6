"""Agreements loading and redrawing, migrations, roles and retention on a real PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.support import (
    AGREEMENT_A, RECTS, Rect, build_traffic, ledger_size, publish_raw, stored_counts, wait_for, world_geojson,
)
from trygg.adapters.database import connect, purge_expired, store_batch, load_index
from trygg.adapters.migrations import migrate
from trygg.domain.validation import validate_event
from trygg.localstack.processes import settings_env
from trygg.texts import say


def _load(settings, tmp_path, document) -> subprocess.CompletedProcess:
    path = tmp_path / f"agreements-{uuid.uuid4().hex[:6]}.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "trygg.cli", "agreements", "load", str(path)],
        env=settings_env(settings), capture_output=True, text=True, timeout=120,
    )


def test_redrawn_area_is_recounted_from_stored_events_while_the_stream_runs(settings, worker, tmp_path):
    first = _load(settings, tmp_path, world_geojson())
    assert first.returncode == 0, first.stderr
    worker.start()
    before = build_traffic(seed=21, valid=3000, duplicate_share=0.0, invalid_per_reason=0)
    publish_raw(settings, before.messages)
    wait_for(lambda: ledger_size(settings.database_url) == len(before.valid), 120, "first events stored")
    assert stored_counts(settings.database_url) == before.truth()

    widened = Rect(AGREEMENT_A.area_id, AGREEMENT_A.min_lon, AGREEMENT_A.min_lat, 20.3125, 63.8225)
    redrawn = (widened, *RECTS[1:])
    result = _load(settings, tmp_path, world_geojson(redrawn))
    assert result.returncode == 0, result.stderr
    assert f"{say('areas_recounted')}: {AGREEMENT_A.area_id}" in result.stdout
    assert stored_counts(settings.database_url) == before.truth(redrawn)

    # Events arriving after the redraw are placed with the new polygon, none lost in the switch.
    after = build_traffic(seed=22, valid=3000, duplicate_share=0.0, invalid_per_reason=0)
    publish_raw(settings, after.messages)
    total = len(before.valid) + len(after.valid)
    wait_for(lambda: ledger_size(settings.database_url) == total, 120, "later events stored")
    combined = before.truth(redrawn) + after.truth(redrawn)
    assert stored_counts(settings.database_url) == combined

    # Each event knows the areas it is counted in, the same as the counts say.
    with psycopg.connect(settings.database_url) as conn:
        per_area = dict(conn.execute(
            "SELECT area_id, count(*) FROM incident_events, unnest(area_ids) AS area_id GROUP BY area_id"
        ).fetchall())
    totals = Counter()
    for (area, *_), n in combined.items():
        totals[area] += n
    assert per_area == dict(totals)

    again = _load(settings, tmp_path, world_geojson(redrawn))
    assert again.returncode == 0 and f"{say('areas_recounted')}: {say('none')}\n" in again.stdout, again.stdout
    assert stored_counts(settings.database_url) == combined


def test_a_broken_agreements_file_is_refused_with_a_reason_and_changes_nothing(settings, tmp_path):
    document = world_geojson()
    document["features"][0]["geometry"]["coordinates"][0][0] = [2.0, 50.0]  # France, and the ring no longer closes
    result = _load(settings, tmp_path, document)
    assert result.returncode == 2
    assert f"{say('agreements_invalid')}: {tmp_path}" in result.stderr
    with psycopg.connect(settings.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM agreements").fetchone()[0] == 0


def test_migrations_are_idempotent_and_versioned(database):
    with connect(database) as conn:
        assert migrate(conn) == []
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        tier = conn.execute("SELECT DISTINCT tier FROM schema_migrations").fetchall()
    assert versions == sorted(set(versions)) and versions[0] == 1
    assert tier == [("postgres",)]


def test_dashboard_role_reads_counts_and_agreements_but_no_events_or_free_text(database):
    with connect(database) as conn:
        for table in ("incident_counts", "incident_counts_weekly", "incident_counts_monthly", "agreements", "areas"):
            with conn.transaction():
                conn.execute("SET LOCAL ROLE trygg_reader")
                conn.execute(f"SELECT * FROM {table} LIMIT 1")
        for table in ("incident_events", "incident_notes", "event_ledger"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute("SET LOCAL ROLE trygg_reader")
                conn.execute(f"SELECT * FROM {table} LIMIT 1")


def _noted_event(now: datetime) -> bytes:
    return json.dumps({
        "event_id": str(uuid.uuid4()), "source": "shop", "reporter": "ica-test", "category": "threat",
        "occurred_at": now.isoformat(), "reported_at": now.isoformat(),
        "location": {"lat": 63.815, "lon": 20.293}, "note": "Hotade personalen vid kassan.",
    }).encode()


@pytest.mark.parametrize("retention_days", [0, 30])
def test_free_text_is_kept_apart_and_erased_when_its_retention_ends(database, retention_days):
    now = datetime.now(UTC)
    event = validate_event(_noted_event(now), now=now, max_clock_skew=timedelta(0), known_sites=set())
    with connect(database) as conn:
        index = load_index(conn)
        store_batch(conn, [(event, index.place(event))], [], index_revision=index.revision, now=now,
                    note_retention=timedelta(days=retention_days))
        notes = conn.execute("SELECT note, expires_at FROM incident_notes").fetchall()
        if retention_days == 0:
            assert notes == []
            return
        assert notes == [("Hotade personalen vid kassan.", now + timedelta(days=retention_days))]
        assert purge_expired(conn, now + timedelta(days=retention_days - 1), timedelta(days=90)) == (0, 0)
        assert purge_expired(conn, now + timedelta(days=retention_days), timedelta(days=90)) == (1, 0)
        assert conn.execute("SELECT count(*) FROM incident_notes").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM incident_events").fetchone()[0] == 1, "the event itself stays"
