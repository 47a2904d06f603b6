"""From raw messages on Kafka to exact numbers in incident_counts, and reasons on incidents.rejected."""

from __future__ import annotations

import json
from collections import Counter

import psycopg

from tests.support import (
    build_traffic, ledger_size, publish_raw, read_topic, rejected_rows, stored_counts, wait_for, world_agreements,
)
from trygg.adapters.database import connect, upsert_agreements


def test_ten_thousand_events_counted_exactly_once_and_every_bad_one_explained(settings, worker):
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())
    traffic = build_traffic(seed=2, valid=10_000, duplicate_share=0.1, invalid_per_reason=15)
    worker.start()
    publish_raw(settings, traffic.messages)

    wait_for(
        lambda: ledger_size(settings.database_url) == len(traffic.valid)
        and rejected_rows(settings.database_url) == len(traffic.invalid),
        timeout_s=180, what="all events stored and all rejections recorded",
    )
    worker.assert_alive()

    expected = traffic.truth()
    actual = stored_counts(settings.database_url)
    assert sum(actual.values()) == sum(expected.values())
    assert actual == expected, f"differences: {dict((actual - expected) + (expected - actual))}"

    letters = [json.loads(v) for v in read_topic(settings, settings.topic_incidents_rejected, len(traffic.invalid))]
    reasons = {}
    for letter in letters:
        raw = bytes.fromhex(letter["payload"]) if letter["payload_encoding"] == "hex" else letter["payload"].encode()
        reasons[raw] = letter["reason"]
        assert letter["message"], "a dead letter needs a human-readable message"
        assert letter["source_topic"] == settings.topic_incidents_reported
    assert reasons == traffic.invalid
    assert Counter(traffic.invalid.values()).keys() >= {"invalid_json", "unknown_site", "occurred_in_future"}


def test_late_events_land_in_their_own_old_buckets(settings, worker):
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())
    traffic = build_traffic(seed=3, valid=500, duplicate_share=0.0, invalid_per_reason=0)
    worker.start()
    publish_raw(settings, traffic.messages)
    wait_for(lambda: ledger_size(settings.database_url) == len(traffic.valid), 120, "events stored")
    with psycopg.connect(settings.database_url) as conn:
        oldest = conn.execute("SELECT min(bucket) FROM incident_counts").fetchone()[0]
    assert (max(traffic.truth()) and oldest.year <= min(k[3] for k in traffic.truth()).year)
    assert stored_counts(settings.database_url) == traffic.truth()
