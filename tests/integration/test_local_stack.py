"""`trygg up`: what a newcomer sees after the first command, and that Ctrl-C leaves nothing running."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request

import httpx
import psutil
import psycopg
import pytest

from tests.integration.test_report_form import post_report
from tests.support import wait_for
from trygg.localstack.processes import free_port
from trygg.settings import load_settings
from trygg.texts import CLI, say


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _command_tail(process: psutil.Process) -> list[str]:
    """The last word of a child's command line; [] for one that has exited meanwhile."""
    try:
        return process.cmdline()[-1:]
    except psutil.Error:
        return []


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# Ctrl-C also when `up` runs as a shell's background job, which starts it with SIGINT ignored; SIGTERM as a
# process manager stops it.
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_up_runs_the_demo_shows_counts_and_stops_cleanly(tmp_path, stop_signal):
    kafka_port, pg_port, web_port, form_port = free_port(), free_port(), free_port(), free_port()
    police_port = free_port()
    env = dict(
        os.environ,
        STATE_DIR=str(tmp_path / "state"),
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{kafka_port}",
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:{pg_port}/trygg",
        PROCESSOR_WEB_PORT=str(web_port),
        FORM_PORT=str(form_port),
        FORM_BASE_URL=f"http://127.0.0.1:{form_port}",
        POLICE_FEED_PORT=str(police_port),
    )
    up = subprocess.Popen([sys.executable, "-m", "trygg.cli", "up"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True, preexec_fn=_ignore_sigint)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(up.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        ready = say("press_ctrl_c")
        wait_for(lambda: ready in "".join(output) or up.poll() is not None, 240, "trygg up to be ready")
        text = "".join(output)
        assert ready in text, text
        rows = dict(re.findall(r"^(umea-\S+|kommun:umea)\s+\S+\s+(\d+)$", text, re.MULTILINE))
        assert {"umea-alidhem", "umea-teg", "umea-ersboda", "kommun:umea"} <= rows.keys(), text
        assert all(int(n) > 0 for n in rows.values())
        assert f"127.0.0.1:{kafka_port}" in text and f"http://127.0.0.1:{web_port}/" in text
        assert _listening(kafka_port) and _listening(pg_port)
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/", timeout=5) as response:
            health = json.load(response)
        queued = re.search(r"queueing (\d+) synthetic survey waves and (\d+) pulse answers", text)
        assert queued, text
        waves, pulses = int(queued[1]), int(queued[2])
        topic = load_settings().topic_surveys_reported
        assert f"• {say('queueing', waves=waves, pulses=pulses, topic=topic)}\n" in text, text
        # Every incident is in the municipality's count; survey waves and pulse answers are accepted events too.
        assert health["status"] == "ok" and health["accepted"] == int(rows["kommun:umea"]) + waves + pulses, health
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            assert conn.execute("SELECT count(*) FROM survey_waves").fetchone()[0] == waves > 0
            assert conn.execute("SELECT sum(answers) FROM pulse_counts").fetchone()[0] == pulses > 0
            # The Ålidhem story on the second outcome: the share feeling safe has an estimate, not too_few.
            verdicts = conn.execute("SELECT verdict FROM survey_estimates('umea-alidhem') WHERE area_scope = "
                                    "'agreement'").fetchall()
            assert verdicts and all(v != "too_few" for (v,) in verdicts), verdicts
        demo_link = re.search(rf"{re.escape(say('demo_link'))}\s+(http://127\.0\.0\.1:{form_port}/r/\S+)", text)
        assert demo_link, text
        with urllib.request.urlopen(demo_link[1], timeout=5) as response:
            assert "ICA Nära Ålidhem" in response.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{police_port}/health", timeout=5) as response:
            assert json.load(response) == {"status": "ok"}

        # A service that dies is restarted and said so; a report made after both deaths is still counted.
        # Read every command line before killing any: a killed child is a zombie until `up` reaps it.
        children = [(c, _command_tail(c)) for c in psutil.Process(up.pid).children()]
        for command in ("worker", "relay"):
            [child] = [c for c, tail in children if tail == [command]]
            child.kill()
        for name in (CLI["service_processor"], CLI["service_relay"]):
            restarted = f"• {say('service_restarted', name=name)}\n"
            wait_for(lambda: restarted in "".join(output), 60, f"the {name[1]} to be restarted")
            assert f"• {say('service_exited', name=name, code=-9, wait=1)} (" in "".join(output)
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            stored = conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0]
        with httpx.Client(follow_redirects=True) as client:
            assert "Tack! Rapporten är mottagen" in post_report(client, demo_link[1]).text
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            wait_for(lambda: conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0] == stored + 1, 90,
                     "the report to be counted by the restarted processor")

        # The broker too (memory storage: it comes back empty, its topics are created again); a report sent while
        # it is away is counted once it is back.
        [broker] = [c for c, tail in children if tail == ["memory://tansu/"]]
        broker.kill()
        broker_died = f"• {say('service_exited', name=CLI['service_broker'], code=-9, wait=1)} ("
        wait_for(lambda: broker_died in "".join(output), 30, "the broker's death to be said")
        with httpx.Client(follow_redirects=True) as client:
            assert "Tack! Rapporten är mottagen" in post_report(client, demo_link[1]).text
        broker_back = f"• {say('service_restarted', name=CLI['service_broker'])}\n"
        wait_for(lambda: broker_back in "".join(output), 60, "the broker to be restarted")
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            wait_for(lambda: conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0] == stored + 2, 120,
                     "the report sent during the broker's absence to be counted")
    finally:
        up.send_signal(stop_signal)
        try:
            up.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)  # leave nothing running for the tests after this one
            raise
        reader.join(10)
    rest = "".join(output)
    assert up.returncode == 0, rest
    assert say("stopped") in rest
    assert not any(_listening(p) for p in (kafka_port, pg_port, web_port, form_port, police_port)), (
        "stopping must stop every service"
    )
