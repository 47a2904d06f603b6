"""The outbox relay: publishes stored reports from PostgreSQL to Kafka (`trygg relay`)."""
