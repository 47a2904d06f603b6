"""Kafka adapter (kafka-python): topic creation and a producer for reports and agreements."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from schemas import Agreement, IncidentEvent
from trygg.adapters.retrying import broker_away, outage
from trygg.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """The platform's topics. `agreements` is compacted: the latest version per agreement id is kept forever."""
    return [
        TopicSpec(settings.topic_incidents_reported, settings.incidents_partitions, {}),
        TopicSpec(settings.topic_incidents_rejected, settings.rejected_partitions, {}),
        TopicSpec(settings.topic_agreements, settings.agreements_partitions, {"cleanup.policy": "compact"}),
        TopicSpec(settings.topic_surveys_reported, settings.surveys_partitions, {}),
    ]


def _admin(settings: Settings, timeout_s: float) -> KafkaAdminClient:
    """An admin client, waiting up to `timeout_s` for the broker to come up."""
    return outage(broker_away, "Kafka", first_wait=0.5, max_wait=0.5, give_up_after=timeout_s)(
        KafkaAdminClient, bootstrap_servers=settings.kafka_bootstrap_servers, client_id="trygg-admin")


def create_topics(settings: Settings, timeout_s: float = 30.0) -> list[str]:
    """Create missing topics; existing ones are left as they are. Returns the names created now."""
    admin = _admin(settings, timeout_s)
    try:
        existing = set(admin.list_topics())
        created = []
        for spec in topic_specs(settings):
            if spec.name in existing:
                continue
            try:
                admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, settings.topic_replication_factor, topic_configs=spec.config)]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass  # another process won the race: fine, it is idempotent
        return created
    finally:
        admin.close()


# Short client timeouts for producers that keep what they send until it is acknowledged (the relay, imports):
# an unreachable broker must fail a round in seconds, not block it for a minute.
FAIL_FAST = {"max_block_ms": 5000, "request_timeout_ms": 5000, "delivery_timeout_ms": 10000,
             "bootstrap_timeout_ms": 5000, "reconnect_backoff_max_ms": 2000}


def producer(settings: Settings, **options: object) -> KafkaProducer:
    """A producer that waits for the broker's acknowledgement and retries; keys are strings.

    `options` override kafka-python settings (the relay wants short timeouts to notice an outage).
    """
    config: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "acks": "all",
        "retries": 10,
        "linger_ms": 5,
        # Bulk senders (imports, the relay's slices) fill 256 KiB batches: fewer sender wake-ups per record.
        "batch_size": 256 * 1024,
        "key_serializer": lambda k: k.encode(),
        # Delivery is at least once and the processor's ledger drops repeats, so broker-side idempotence adds
        # nothing, and it breaks across a broker restart: the restarted (memory-storage) broker does not know
        # the producer id, kafka-python's epoch bump is refused and the producer fails for good (a fatal
        # `InitProducerIdResponse` error that took down the relay in a loaded CI run).
        "enable_idempotence": False,
    }
    return KafkaProducer(**{**config, **options})


def event_message(event: IncidentEvent) -> tuple[str, bytes]:
    """Key and value for `incidents.reported`: keyed by event_id so one event always lands on one partition."""
    return str(event.event_id), event.model_dump_json(exclude_none=True).encode()


def deliver(prod: KafkaProducer, topic: str, messages: Iterable[tuple[str, bytes]], timeout_s: float = 15) -> int:
    """Send keyed messages and wait until the broker acknowledged every one; raises the first failure.

    The flush timeout is longer than FAIL_FAST's delivery timeout, so every record is settled by then.
    """
    futures = [prod.send(topic, key=key, value=value) for key, value in messages]
    prod.flush(timeout=timeout_s)
    for future in futures:
        future.get(timeout=0)  # raises the broker error of any record that was not acknowledged
    return len(futures)


def publish_agreements(settings: Settings, agreements: Iterable[Agreement]) -> None:
    """Publish agreements to the compacted `agreements` topic, keyed by agreement id."""
    prod = producer(settings)
    try:
        for agreement in agreements:
            prod.send(settings.topic_agreements, key=agreement.agreement_id, value=agreement.model_dump_json().encode())
        prod.flush()
    except KafkaError:
        log.exception("could not publish agreements")
        raise
    finally:
        prod.close()
