"""`trygg up`: what a newcomer sees after the first command, and that Ctrl-C leaves nothing running."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from trygg.localstack.processes import free_port


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


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
    deadline = time.monotonic() + 240
    try:
        for line in up.stdout:  # type: ignore[union-attr]
            output.append(line)
            if "Press Ctrl-C" in line or time.monotonic() > deadline:
                break
        text = "".join(output)
        assert "Press Ctrl-C" in text, text
        rows = dict(re.findall(r"^(umea-\S+|kommun:umea)\s+\S+\s+(\d+)$", text, re.MULTILINE))
        assert {"umea-alidhem", "umea-teg", "umea-ersboda", "kommun:umea"} <= rows.keys(), text
        assert all(int(n) > 0 for n in rows.values())
        assert f"127.0.0.1:{kafka_port}" in text and f"http://127.0.0.1:{web_port}/" in text
        assert _listening(kafka_port) and _listening(pg_port)
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/", timeout=5) as response:
            health = json.load(response)
        assert health["status"] == "ok" and health["accepted"] == int(rows["kommun:umea"]), health
        demo_link = re.search(rf"demo link\s+(http://127\.0\.0\.1:{form_port}/r/\S+)", text)
        assert demo_link, text
        with urllib.request.urlopen(demo_link[1], timeout=5) as response:
            assert "ICA Nära Ålidhem" in response.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{police_port}/health", timeout=5) as response:
            assert json.load(response) == {"status": "ok"}
    finally:
        up.send_signal(stop_signal)
        try:
            rest, _ = up.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)  # leave nothing running for the tests after this one
            raise
    assert up.returncode == 0, rest
    assert "stopped." in rest
    assert not any(_listening(p) for p in (kafka_port, pg_port, web_port, form_port, police_port)), (
        "stopping must stop every service"
    )
