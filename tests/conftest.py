"""Real services for the integration tests: one Tansu broker and one PostgreSQL per session, a fresh
database, fresh topics and a fresh consumer group per test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support import WorkerProcess
from trygg.adapters.database import connect
from trygg.adapters.kafka import create_topics
from trygg.adapters.migrations import migrate
from trygg.localstack.pglite import PGlite
from trygg.localstack.processes import Broker, Postgres
from trygg.settings import Settings, load_settings


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Temporary files under the checkout's git-ignored state folder, unless --basetemp is given.

    pytest's default root is shared by every run of the user and each run deletes all but the newest three
    `pytest-N` folders there: a second test run on the machine would delete the data folder of this run's
    PostgreSQL while it runs.
    """
    if config.option.basetemp is None:
        state = config.rootpath / ".trygg"
        state.mkdir(exist_ok=True)  # pytest creates basetemp itself, but not its parent
        config.option.basetemp = str(state / "pytest")


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    started = Broker(tmp_path_factory.mktemp("broker") / "broker.log").start()
    yield started
    started.stop()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    started = Postgres(tmp_path_factory.mktemp("postgres") / "data").start()
    yield started
    started.stop()


def fresh_database(server: Postgres, *, up_to: int | None = None) -> str:
    """Create an empty database on `server`, migrated (up to version `up_to`, if given), and return its URL."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.url(database="postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.url(database=name)
    with connect(url) as conn:
        migrate(conn, up_to=up_to)
    return url


@contextlib.contextmanager
def both_tiers(postgres: Postgres, tmp_path_factory: pytest.TempPathFactory,
               load: Callable[[psycopg.Connection], None]) -> Iterator[dict[str, psycopg.Connection]]:
    """A fresh PostgreSQL database and a PGlite (TimescaleDB) server, each prepared by `load`."""
    pglite = PGlite(tmp_path_factory.mktemp("pglite") / "data")
    try:
        pglite.start()
    except RuntimeError as error:
        pytest.fail(f"could not start PGlite: {error}", pytrace=False)
    opened = {"postgres": connect(fresh_database(postgres)), "timescale": connect(pglite.url())}
    try:
        for conn in opened.values():
            load(conn)
        yield opened
    finally:
        for conn in opened.values():
            conn.close()
        pglite.stop()


def settings_for(bootstrap: str, database_url: str, **overrides: object) -> Settings:
    """Settings with topics and consumer group unique to one test."""
    suffix = uuid.uuid4().hex[:8]
    return load_settings(
        kafka_bootstrap_servers=bootstrap,
        database_url=database_url,
        topic_incidents_reported=f"incidents.reported.{suffix}",
        topic_incidents_rejected=f"incidents.rejected.{suffix}",
        topic_agreements=f"agreements.{suffix}",
        topic_surveys_reported=f"surveys.reported.{suffix}",
        processor_app_id=f"trygg-test-{suffix}",
        processor_web_port=0,
        rollup_refresh_seconds=1.0,
        **overrides,
    )


@pytest.fixture
def database(postgres: Postgres) -> str:
    return fresh_database(postgres)


@pytest.fixture
def settings(broker: Broker, database: str) -> Settings:
    configured = settings_for(broker.bootstrap, database)
    create_topics(configured)
    return configured


@pytest.fixture
def worker(settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(settings, tmp_path / "worker.log")
    yield process
    process.stop()
