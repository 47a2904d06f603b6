"""`trygg import` of 100,000 lines with 1 % bad ones, SIGKILLed halfway and run again: exact counts, every
rejected line listed by number, and every accepted event counted once by the real pipeline. An import started
while the broker is away waits for it and loses nothing."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import settings_for
from tests.support import WorkerProcess, consumed_everything, ledger_size, valid_event, wait_for, world_agreements
from trygg.adapters.database import connect, upsert_agreements
from trygg.adapters.kafka import create_topics
from trygg.app.import_file import run_import
from trygg.localstack.processes import Broker
from trygg.localstack.processes import settings_env
from trygg.texts import say

LINES = 100_000
BAD = {  # what a bad line looks like -> the reason the summary must give
    "naive_timestamp": lambda d: json.dumps({**d, "occurred_at": d["occurred_at"][:19]}),
    "unknown_category": lambda d: json.dumps({**d, "category": "jaywalking"}),
    "invalid_json": lambda d: json.dumps(d)[:-2],
    "location_outside_sweden": lambda d: json.dumps({**d, "location": {"lat": 56.5, "lon": 3.1}}),
}


def write_file(path: Path) -> dict[int, str]:
    """100,000 lines, every 100th bad; returns line number -> expected reason."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    expected: dict[int, str] = {}
    with path.open("w", encoding="utf-8") as f:
        for line in range(1, LINES + 1):
            doc = valid_event(rng, now)
            doc.pop("note", None)
            if line % 100 == 37:
                reason = list(BAD)[(line // 100) % len(BAD)]
                expected[line] = reason
                f.write(BAD[reason](doc) + "\n")
            else:
                f.write(json.dumps(doc) + "\n")
    return expected


def trygg_import(settings, path: Path) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    return subprocess.Popen([sys.executable, "-m", "trygg.cli", "import", str(path)], env=settings_env(settings),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def lines_done(database_url: str) -> int:
    with connect(database_url) as conn:
        row = conn.execute("SELECT lines_done FROM import_progress").fetchone()
    return row[0] if row else 0


def test_an_interrupted_import_resumes_without_duplicates_and_lists_rejected_lines(settings, worker, tmp_path):
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())
    path = tmp_path / "history.ndjson"
    expected = write_file(path)

    first = trygg_import(settings, path)
    wait_for(lambda: lines_done(settings.database_url) >= LINES // 2, 120, "half the file imported", interval=0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    interrupted_at = lines_done(settings.database_url)
    assert LINES // 2 <= interrupted_at < LINES

    second = trygg_import(settings, path)
    output, _ = second.communicate(timeout=300)
    assert second.returncode == 0, output
    assert say("import_done", accepted=LINES - 1000, duplicates=0, rejected=1000, lines=LINES) in output

    summary = json.loads(path.with_name("history.ndjson.summary.json").read_text(encoding="utf-8"))
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (LINES - 1000, 0, 1000)
    assert {r["line"]: r["reason"] for r in summary["rejected_lines"]} == expected
    with connect(settings.database_url) as conn:
        # Registered as sent by the import itself (later repeats are duplicates), each payload kept until the
        # processor has counted it: the relay re-sends it if the broker loses it before then.
        assert conn.execute("SELECT count(*), count(payload), count(*) FILTER (WHERE sent_at IS NULL), "
                            "count(confirmed_at) FROM outbox").fetchone() == (LINES - 1000, LINES - 1000, 0, 0)

    # Run again: a finished file changes nothing.
    again = trygg_import(settings, path)
    assert "99000 godkända" in again.communicate(timeout=60)[0]

    # The processor counts every accepted event exactly once, the ones published twice around the kill included.
    worker.start()
    started = time.monotonic()
    wait_for(lambda: ledger_size(settings.database_url) >= LINES - 1000, 150, "99,000 events counted")
    print(f"processor: 99,000 events counted in {time.monotonic() - started:.1f} s")
    # Once every message on the topic is consumed, a repeat counted late would have shown up.
    wait_for(lambda: consumed_everything(settings), 60, "the processor to commit the end of the topic")
    assert ledger_size(settings.database_url) == LINES - 1000
    with connect(settings.database_url) as conn:  # counted, so confirmed: the payloads are gone
        assert conn.execute("SELECT count(payload), count(*) FILTER (WHERE confirmed_at IS NULL) FROM outbox"
                            ).fetchone() == (0, 0)
    worker.assert_alive()


def test_an_import_waits_for_an_absent_broker_and_loses_nothing(postgres, database: str, tmp_path: Path) -> None:
    own_broker = Broker(tmp_path / "broker.log").start()  # our own: stopping the session's would hurt others
    settings = settings_for(own_broker.bootstrap, database)
    with connect(database) as conn:
        upsert_agreements(conn, world_agreements())
    rng, now = random.Random(11), datetime.now(UTC)
    path = tmp_path / "small.ndjson"
    path.write_text("".join(json.dumps(valid_event(rng, now)) + "\n" for _ in range(3000)), encoding="utf-8")
    own_broker.stop()
    log = tmp_path / "import.log"
    with log.open("w") as out:
        importing = subprocess.Popen([sys.executable, "-m", "trygg.cli", "import", str(path)],
                                     env=settings_env(settings), stdout=out, stderr=subprocess.STDOUT, text=True)
    restarted: Broker | None = None
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        away = f"{say('broker_away')}: {settings.kafka_bootstrap_servers} ("
        wait_for(lambda: away in log.read_text(), 60, "the import to notice the absent broker")
        assert importing.poll() is None and lines_done(database) == 0  # waiting, nothing marked as done

        restarted = Broker(tmp_path / "broker2.log", port=own_broker.port).start()
        create_topics(settings)
        assert importing.wait(120) == 0, log.read_text()
        assert "3000 godkända" in log.read_text()
        worker.start()
        wait_for(lambda: ledger_size(database) >= 3000, 120, "3,000 imported events counted")
        wait_for(lambda: consumed_everything(settings), 60, "the processor to commit the end of the topic")
        assert ledger_size(database) == 3000
        worker.assert_alive()
    finally:
        worker.stop()
        if importing.poll() is None:
            importing.kill()
        if restarted is not None:
            restarted.stop()


def test_police_and_csv_files_import_with_their_rejected_lines_listed(settings, tmp_path):
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())
    police = tmp_path / "polisen.ndjson"
    events = [
        {"id": 1, "datetime": "2024-04-13 9:58:49 +02:00", "name": "x", "summary": "En man greps", "url": "/a",
         "type": "Snatteri", "location": {"name": "Umeå", "gps": "63.825847,20.263035"}},
        {"id": 2, "datetime": "2024-04-13 10:00:00 +02:00", "type": "Trafikolycka",
         "location": {"name": "Umeå", "gps": "63.825847,20.263035"}},
        {"id": 1, "datetime": "2024-04-13 9:58:49 +02:00", "type": "Snatteri",  # the same police event again
         "location": {"name": "Umeå", "gps": "63.825847,20.263035"}},
    ]
    police.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n", encoding="utf-8")
    result = run_import(settings, police, "police", progress=False)
    assert (result["accepted"], result["duplicates"], result["rejected"]) == (1, 1, 1)
    assert [(r["line"], r["reason"]) for r in result["rejected_lines"]] == [(2, "unmapped_police_type")]

    table = tmp_path / "historik.csv"
    table.write_text(
        "external_id,source,reporter,category,occurred_at,reported_at,lat,lon,event_id\n"
        "K-1,municipality,umea-kommun,graffiti,2023-06-01T12:00:00+02:00,2023-06-02T08:00:00+02:00,63.815,20.295,"
        "0b0e9f0e-3a51-4d6c-9f5e-2a9d1c7e8b10\n"
        "K-2,municipality,umea-kommun,graffiti,2023-06-01T12:00:00,2023-06-02T08:00:00+02:00,63.815,20.295,"
        "1b0e9f0e-3a51-4d6c-9f5e-2a9d1c7e8b10\n", encoding="utf-8")
    result = run_import(settings, table, progress=False)
    assert (result["accepted"], result["rejected"]) == (1, 1)
    assert result["rejected_lines"][0] | {"message": ""} == {
        "line": 3, "field": "occurred_at", "reason": "naive_timestamp", "message": ""}
    assert json.loads(table.with_name("historik.csv.summary.json").read_text())["accepted"] == 1
