"""The one typed settings object. Every service and command reads its configuration here."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration read from environment variables (names are the field names in upper case)."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", description="host:port[,host:port] of the Kafka brokers")
    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/trygg", description="writer connection (services, migrations)"
    )
    database_reader_password: str | None = Field(
        None, description="password set for the read-only role trygg_reader by `trygg migrate`"
    )
    database_writer_password: str | None = Field(
        None, description="password set for the service role trygg_writer by `trygg migrate`"
    )
    database_pool_size: int = Field(
        10, ge=1, description="most database connections one form or police feed process keeps open"
    )

    topic_incidents_reported: str = "incidents.reported"
    topic_incidents_rejected: str = "incidents.rejected"
    topic_agreements: str = "agreements"
    topic_surveys_reported: str = "surveys.reported"
    incidents_partitions: int = Field(6, ge=1)
    rejected_partitions: int = Field(1, ge=1)
    agreements_partitions: int = Field(1, ge=1)
    surveys_partitions: int = Field(1, ge=1)
    topic_replication_factor: int = Field(1, ge=1)

    processor_app_id: str = "trygg-processor"
    processor_web_port: int = Field(6066, ge=0, le=65535, description="Faust web server port (health), 0 = off")
    batch_max_events: int = Field(2000, ge=1, description="micro-batch size written in one transaction")
    batch_max_seconds: float = Field(0.5, gt=0, description="longest wait before a partial batch is written")
    # Small group timeouts: the local broker waits the full rebalance timeout before a first assignment.
    kafka_rebalance_timeout_seconds: float = Field(3.0, gt=0)
    kafka_session_timeout_seconds: float = Field(6.0, gt=0)
    kafka_heartbeat_interval_seconds: float = Field(1.0, gt=0)

    max_clock_skew_seconds: int = Field(300, ge=0, description="how far in the future occurred_at may lie")
    note_retention_days: int = Field(90, ge=0, description="days free text is kept before it is erased")
    rejection_retention_days: int = Field(90, ge=1)
    rollup_refresh_seconds: float = Field(
        5.0, gt=0, description="TimescaleDB: how often late-arriving data is folded into the rollups"
    )

    survey_min_respondents: int = Field(
        100, ge=1, description="respondents each window needs for a perceived-safety estimate (else too_few)"
    )
    survey_suppress_below: int = Field(
        30, ge=1, description="shares from fewer respondents (or pulse taps) are not shown"
    )

    relay_batch_size: int = Field(500, ge=1, description="outbox rows the relay publishes per transaction")
    relay_idle_seconds: float = Field(0.2, gt=0, description="relay pause when the outbox is empty")
    relay_max_backoff_seconds: float = Field(10.0, gt=0, description="longest relay wait between broker retries")
    relay_resend_after_seconds: float = Field(
        300.0, gt=0, description="an event published but not counted by the processor after this long is published "
        "again (then after twice as long, and so on); set it above the processor's worst expected lag"
    )
    relay_resend_max_seconds: float = Field(3600.0, gt=0, description="longest wait between two re-sends of an event")
    relay_report_seconds: float = Field(
        30.0, gt=0, description="how often the relay logs events published but not yet counted (when there are any)"
    )
    form_host: str = Field("127.0.0.1", description="address the report form listens on")
    form_port: int = Field(8090, ge=1, le=65535, description="port of the report form (`trygg form`)")
    form_base_url: str = Field(
        "http://127.0.0.1:8090", description="public address of the report form, used in printed partner links"
    )
    form_secret: str | None = Field(
        None, description="key signing the forms' CSRF tokens (random per start when unset: open forms expire)"
    )
    form_max_body_bytes: int = Field(16384, ge=1024, description="largest accepted form request (413 above)")
    form_rate_per_token: int = Field(30, ge=1, description="form posts per minute per partner link (429 above)")
    form_rate_per_address: int = Field(60, ge=1, description="form posts per minute per client address")
    form_max_count: int = Field(20, ge=1, description="largest number of incidents one form may report")
    police_feed_host: str = Field("127.0.0.1", description="address the police feed listens on")
    police_feed_port: int = Field(8091, ge=1, le=65535, description="port of the police feed (`trygg police-feed`)")
    police_feed_workers: int = Field(1, ge=1, description="police feed server processes (validation is CPU-bound)")
    police_feed_max_body_bytes: int = Field(
        33_554_432, ge=1024, description="largest batch body in bytes (413 above; 10,000 events at most)"
    )
    import_batch_size: int = Field(2000, ge=1, description="lines `trygg import` writes to the outbox per transaction")
    partner_role_secret: str | None = Field(
        None, description="secret each agreement's database role password is derived from (`trygg agreements "
        "load` sets it, `trygg grafana sync` puts it in the agreement's data source); unset: partner roles cannot log in"
    )
    grafana_url: str = Field("http://127.0.0.1:3000", description="Grafana for `trygg grafana sync`/`invite`")
    grafana_token: str | None = Field(None, description="Grafana service account token (or user and password)")
    grafana_user: str = Field("admin", description="Grafana admin user when no token is set")
    grafana_password: str | None = Field(None, description="Grafana admin password when no token is set")
    grafana_wait_seconds: float = Field(60.0, gt=0, description="how long `trygg grafana sync` waits for Grafana")

    state_dir: Path = Field(Path(".trygg"), description="where `trygg up` keeps broker/database state")
    log_level: str = "INFO"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (tests, the local stack)."""
    return Settings(**overrides)  # type: ignore[arg-type]


def configure_logging(settings: Settings) -> None:
    """The log format and levels of every trygg process (commands and the processor's writer process)."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)  # kafka-python logs every connection at INFO
