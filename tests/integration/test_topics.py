"""Topic creation: idempotent, with the configured partition counts and a compacted agreements topic."""

from kafka import KafkaAdminClient

from trygg.adapters.kafka import create_topics


def test_topics_are_created_once_with_configured_partitions(settings):
    # The settings fixture already created them: a second start creates nothing and fails on nothing.
    assert create_topics(settings) == []
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        described = {t["name"]: t for t in admin.describe_topics(
            [settings.topic_incidents_reported, settings.topic_incidents_rejected, settings.topic_agreements])}
    finally:
        admin.close()
    partitions = {name: len(t["partitions"]) for name, t in described.items()}
    assert partitions == {
        settings.topic_incidents_reported: settings.incidents_partitions,
        settings.topic_incidents_rejected: settings.rejected_partitions,
        settings.topic_agreements: settings.agreements_partitions,
    }
