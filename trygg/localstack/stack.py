"""`trygg up`: the whole platform on one machine, no Docker. State lives in settings.state_dir (git-ignored)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from trygg.localstack.processes import Broker, Postgres
from trygg.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as environment variables, for child processes (the worker)."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            env[name.upper()] = str(value)
    return env


def start_worker(settings: Settings, log_path: Path) -> subprocess.Popen:
    """Start the stream processor (`trygg worker`) as a child process logging to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "trygg.cli", "worker"],
            env=settings_env(settings), stdout=log, stderr=subprocess.STDOUT,
        )


def _local_port(url_or_hostport: str) -> int:
    parsed = urlsplit(url_or_hostport if "://" in url_or_hostport else f"//{url_or_hostport}")
    if parsed.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"trygg up runs services on 127.0.0.1 only, not {parsed.hostname}")
    return parsed.port or 0


def wait_until_counted(settings: Settings, expected_events: int, timeout_s: float = 300) -> int:
    """Poll the event ledger until `expected_events` are stored, printing progress; returns the count."""
    from trygg.adapters.database import connect

    deadline = time.monotonic() + timeout_s
    stored = 0
    with connect(settings.database_url) as conn:
        while time.monotonic() < deadline:
            stored = conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0]
            print(f"\r  counted {stored:>6} / {expected_events} events", end="", flush=True)
            if stored >= expected_events:
                break
            time.sleep(0.5)
    print()
    return stored


def _load_demo(settings: Settings) -> None:
    from trygg.adapters.kafka import publish_events
    from trygg.cli import _counts, load_agreements_file
    from trygg.demo import SAMPLE_AGREEMENTS, demo_events, load_sample_agreements

    print(f"• loading sample agreements for Umeå from {SAMPLE_AGREEMENTS}")
    print("  " + load_agreements_file(settings, SAMPLE_AGREEMENTS))
    agreements, now = load_sample_agreements(), datetime.now(UTC)
    # Effect estimates compare a whole year before signing with the year after: start a year before the first.
    days = max(540, (now.date() - min(a.signed_at for a in agreements)).days + 366)
    events = demo_events(agreements, now=now, days=days)
    print(f"• publishing {len(events)} synthetic incident reports ({days // 30} months) to "
          f"{settings.topic_incidents_reported}")
    publish_events(settings, events)
    wait_until_counted(settings, len(events))
    _counts(settings, None)  # type: ignore[arg-type]
    from trygg.cli_report import make_report

    print("• report for Ålidhem (for partners without Grafana):")
    print(f"  open {make_report(settings, 'umea-alidhem').resolve().as_uri()}")


def run_local_stack(settings: Settings, *, demo: bool) -> int:
    """Start broker, database, migrations, topics and the processor; optionally the demo; stop all on Ctrl-C."""
    from trygg.adapters.database import connect
    from trygg.adapters.kafka import create_topics
    from trygg.adapters.migrations import migrate
    from trygg.localstack.intake import print_intake, start_intake, stop_intake
    from trygg.localstack.police import start_police_feed

    # Stop on Ctrl-C and on SIGTERM alike, also when started with SIGINT ignored (a shell's background job
    # inherits that, and Python then never turns Ctrl-C into KeyboardInterrupt).
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, signal.default_int_handler)
    state = settings.state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    broker = Broker(state / "broker.log", port=_local_port(settings.kafka_bootstrap_servers))
    db_url = urlsplit(settings.database_url)
    postgres = Postgres(state / "pgdata", port=_local_port(settings.database_url), database=db_url.path.lstrip("/"))
    worker: subprocess.Popen | None = None
    intake: list[subprocess.Popen] = []
    try:
        print(f"• starting Kafka-protocol broker (Tansu) on {broker.bootstrap}")
        broker.start()
        print(f"• starting PostgreSQL on 127.0.0.1:{postgres.port} (data in {postgres.datadir})")
        postgres.start()
        with connect(settings.database_url) as conn:
            applied = migrate(conn, writer_password=settings.database_writer_password,
                              reader_password=settings.database_reader_password,
                              survey_thresholds=(settings.survey_min_respondents, settings.survey_suppress_below))
        print(f"• migrations applied: {', '.join(m.path.name for m in applied) or 'none pending'}")
        create_topics(settings)
        worker = start_worker(settings, state / "worker.log")
        print(f"• stream processor started (log: {state / 'worker.log'})")
        intake = start_intake(settings, state)
        intake.append(start_police_feed(settings, state))
        if demo:
            _load_demo(settings)
        print()
        print("The platform runs:")
        print(f"  Kafka bootstrap   {broker.bootstrap}   topics: {settings.topic_incidents_reported}, "
              f"{settings.topic_incidents_rejected}, {settings.topic_agreements}")
        print(f"  PostgreSQL        {settings.database_url}   read model: incident_counts")
        if settings.processor_web_port:
            print(f"  processor health  http://127.0.0.1:{settings.processor_web_port}/")
        print_intake(settings, demo=demo)
        print("Press Ctrl-C to stop.")
        while worker.poll() is None:
            time.sleep(0.5)
        print(f"the stream processor exited with {worker.returncode}; see {state / 'worker.log'}")
        return 1
    except KeyboardInterrupt:
        print("\nstopping…")
        return 0
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        stop_intake(intake)
        postgres.stop()
        broker.stop()
        print("stopped.")
