"""Adapters at the edges: PostgreSQL/TimescaleDB and Kafka."""
