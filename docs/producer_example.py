"""Producing incidents to `incidents.reported` directly, with kafka-python (for agencies with their own Kafka client).

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 python docs/producer_example.py

Key = event_id (UTF-8): one event always lands on one partition. The event_id is derived from your own id,
so sending the same incident again (a re-run nightly export) changes nothing: the processor counts each
event_id once. Only this file's standard library and kafka-python are needed, not the trygg package.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone

from kafka import KafkaProducer

# Pick one namespace for your organisation and never change it: it makes your ids stable.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "polisen.se")
STOCKHOLM_SUMMER = timezone(timedelta(hours=2))


def incident(your_id: str, category: str, occurred_at: datetime, lat: float, lon: float) -> dict:
    """One event as the schema (schemas/json/incident-event.schema.json) wants it."""
    return {
        "event_id": str(uuid.uuid5(NAMESPACE, "polisen:" + your_id)),
        "schema_version": 1,
        "source": "police",
        "reporter": "polisen-umea",
        "category": category,
        "occurred_at": occurred_at.isoformat(),  # with an offset: naive times are refused
        "reported_at": datetime.now(timezone.utc).isoformat(),
        "location": {"lat": lat, "lon": lon},
        "external_id": your_id,
    }


def main() -> None:
    producer = KafkaProducer(
        bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        acks="all",  # wait until the broker has it
        retries=10,
        key_serializer=str.encode,
        value_serializer=lambda doc: json.dumps(doc).encode(),
    )
    events = [
        incident("AB-123456-24", "drug_dealing", datetime(2024, 5, 1, 21, 40, tzinfo=STOCKHOLM_SUMMER), 63.8155, 20.2955),
        incident("AB-123457-24", "vandalism", datetime(2024, 5, 2, 2, 15, tzinfo=STOCKHOLM_SUMMER), 63.8170, 20.3010),
    ]
    futures = [producer.send("incidents.reported", key=e["event_id"], value=e) for e in events]
    producer.flush()
    for future in futures:
        future.get(timeout=10)  # raises if the broker refused a record: send it again, it is safe
    producer.close()
    print(f"sent {len(events)} events")


if __name__ == "__main__":
    main()
