"""`trygg up`: the whole platform on one machine, no Docker. State lives in settings.state_dir (git-ignored)."""

from __future__ import annotations

import signal
import sys
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from trygg.localstack.processes import Broker, Postgres, start_command
from trygg.settings import Settings
from trygg.texts import CLI, say


def _local_port(url_or_hostport: str) -> int:
    parsed = urlsplit(url_or_hostport if "://" in url_or_hostport else f"//{url_or_hostport}")
    if parsed.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit(say("local_only", host=parsed.hostname))
    return parsed.port or 0


def wait_until_counted(settings: Settings, expected_events: int, timeout_s: float = 300) -> int:
    """Poll the event ledger until `expected_events` are stored, printing progress; returns the count."""
    from trygg.adapters.database import connect
    from trygg.adapters.read_model import events_stored

    deadline = time.monotonic() + timeout_s
    stored = 0
    with connect(settings.database_url) as conn:
        while time.monotonic() < deadline:
            stored = events_stored(conn)
            print(f"\r  {say('counted', stored=stored, expected=expected_events)}", end="", flush=True)
            if stored >= expected_events:
                break
            time.sleep(0.5)
    print()
    return stored


def _load_demo(settings: Settings) -> None:
    from schemas.survey import SurveyWaveEvent
    from trygg.app.counts import counts_table
    from trygg.app.import_file import run_import
    from trygg.app.load_agreements import load_agreements_file
    from trygg.app.render_report import render_report
    from trygg.app.surveys import queue_perceived_safety
    from trygg.demo import SAMPLE_AGREEMENTS, demo_events, demo_perceived_safety, load_sample_agreements

    print(f"• {say('loading_agreements')}: {SAMPLE_AGREEMENTS}")
    print("  " + load_agreements_file(settings, SAMPLE_AGREEMENTS))
    agreements, now = load_sample_agreements(), datetime.now(UTC)
    # Effect estimates compare a whole year before signing with the year after: start a year before the first.
    days = max(540, (now.date() - min(a.signed_at for a in agreements)).days + 366)
    events = demo_events(agreements, now=now, days=days)
    print(f"• {say('publishing', events=len(events), months=days // 30, topic=settings.topic_incidents_reported)}")
    # Through the import, like a municipality's backfill: kept in the outbox until counted, so a broker restart
    # during the demo delays it but loses nothing.
    history = settings.state_dir.resolve() / "demo-history.ndjson"
    history.write_text("".join(e.model_dump_json(exclude_none=True) + "\n" for e in events), encoding="utf-8")
    run_import(settings, history, report=history.with_suffix(".summary.json"), progress=False)
    safety = demo_perceived_safety(agreements, now=now, days=days)
    queue_perceived_safety(settings, safety)
    waves = sum(isinstance(e, SurveyWaveEvent) for e in safety)
    print(f"• {say('queueing', waves=waves, pulses=len(safety) - waves, topic=settings.topic_surveys_reported)}")
    wait_until_counted(settings, len(events) + len(safety))
    print(counts_table(settings))
    print(f"• {say('demo_report')}:")
    report = render_report(settings, "umea-alidhem")
    print(report.table)
    print(f"  {say('open')}: {report.page.resolve().as_uri()}")


def run_local_stack(settings: Settings, *, demo: bool) -> int:
    """Start broker, database, migrations, topics and the processor; optionally the demo; stop all on Ctrl-C."""
    from trygg.app.migrate import migrate_database
    from trygg.localstack.intake import LABEL_WIDTH, print_intake, start_form, start_relay
    from trygg.localstack.police import start_police_feed
    from trygg.localstack.supervisor import Supervisor

    # Stop on Ctrl-C and on SIGTERM alike, also when started with SIGINT ignored (a shell's background job
    # inherits that, and Python then never turns Ctrl-C into KeyboardInterrupt).
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, signal.default_int_handler)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # each line at once, also into a pipe
    state = settings.state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    broker = Broker(state / "broker.log", port=_local_port(settings.kafka_bootstrap_servers))
    db_url = urlsplit(settings.database_url)
    postgres = Postgres(state / "pgdata", port=_local_port(settings.database_url), database=db_url.path.lstrip("/"))
    services = Supervisor()
    try:
        print(f"• {say('starting_broker')}: {broker.bootstrap}")
        services.add(CLI["service_broker"], lambda: broker.start_with_topics(settings), broker.log_path)
        print(f"• {say('starting_postgres')}: 127.0.0.1:{postgres.port} "
              f"({say('data_directory')}: {postgres.datadir})")
        postgres.start()
        _, applied = migrate_database(settings)
        print(f"• {say('migrations_applied')}: {', '.join(m.path.name for m in applied) or say('none_pending')}")
        logs = {name: state / f"{name}.log" for name in ("worker", "relay", "form", "police-feed")}
        services.add(CLI["service_processor"], lambda: start_command(settings, "worker", logs["worker"]),
                     logs["worker"])
        print(f"• {say('processor_started')} ({say('log')}: {logs['worker']})")
        services.add(CLI["service_relay"], lambda: start_relay(settings, logs["relay"]), logs["relay"])
        print(f"• {say('relay_started')} ({say('log')}: {logs['relay']})")
        services.add(CLI["service_form"], lambda: start_form(settings, logs["form"]), logs["form"])
        print(f"• {say('form_started')}: http://{settings.form_host}:{settings.form_port}/ "
              f"({say('log')}: {logs['form']})")
        services.add(CLI["service_police_feed"], lambda: start_police_feed(settings, logs["police-feed"]),
                     logs["police-feed"])
        print(f"• {say('police_feed_started')}: "
              f"http://{settings.police_feed_host}:{settings.police_feed_port}/v1/incidents "
              f"({say('agencies')}: trygg agencies add|list|revoke; {say('log')}: {logs['police-feed']})")
        if demo:
            _load_demo(settings)
        print()
        print(f"{say('platform_runs')}:")
        print(f"  {'Kafka bootstrap':<{LABEL_WIDTH}} {broker.bootstrap}   {say('topics')}: "
              f"{settings.topic_incidents_reported}, {settings.topic_incidents_rejected}, {settings.topic_agreements}")
        print(f"  {'PostgreSQL':<{LABEL_WIDTH}} {settings.database_url}   {say('read_model')}: incident_counts")
        if settings.processor_web_port:
            print(f"  {say('processor_health'):<{LABEL_WIDTH}} http://127.0.0.1:{settings.processor_web_port}/")
        print_intake(settings, demo=demo)
        print(say("press_ctrl_c"))
        while True:
            services.check()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print(f"\n{say('stopping')}")
        return 0
    finally:
        services.stop()
        postgres.stop()
        broker.stop()
        print(say("stopped"))
