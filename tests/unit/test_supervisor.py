"""`trygg up`'s supervisor with real child processes: a service that dies is restarted, said, and backed off."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from trygg.localstack.supervisor import Supervisor
from trygg.texts import CLI, say


def _until(condition: Callable[[], bool], supervisor: Supervisor, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        supervisor.check()
        time.sleep(0.05)


def test_a_dying_service_is_restarted_with_growing_waits_and_said(tmp_path: Path) -> None:
    said: list[str] = []
    starts: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        starts.append(subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"]))
        return starts[-1]

    supervisor = Supervisor(said.append)
    relay = CLI["service_relay"]
    supervisor.add(relay, start, tmp_path / "relay.log")
    _until(lambda: len(starts) == 3 and starts[-1].poll() is not None and len(said) >= 5, supervisor)

    def exited(wait: int) -> str:
        return f"• {say('service_exited', name=relay, code=3, wait=wait)} ({say('log')}: {tmp_path / 'relay.log'})"

    restarted = f"• {say('service_restarted', name=relay)}"
    assert said[:5] == [exited(1), restarted, exited(2), restarted, exited(4)]
    # Each language says the service's name in its own words.
    assert exited(1) == (f"• outbox-reläet avslutades med 3; ny start om 1 s / outbox relay exited with 3; restarting "
                         f"in 1 s (logg / log: {tmp_path / 'relay.log'})")


def test_a_running_service_is_left_alone_and_stopped_with_the_rest(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(said.append)
    sleeper = supervisor.add(CLI["service_form"], lambda: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]),
                             tmp_path / "form.log")
    for _ in range(5):
        supervisor.check()
    assert said == [] and sleeper.poll() is None

    supervisor.stop()
    assert sleeper.poll() is not None


def test_a_start_that_fails_is_retried(tmp_path: Path) -> None:
    said: list[str] = []
    attempts: list[int] = []

    def start() -> subprocess.Popen:
        attempts.append(1)
        if len(attempts) == 2:
            raise RuntimeError("process exited with 1 before listening on 8085")
        return subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)" if len(attempts) == 1 else
                                 "import time; time.sleep(60)"])

    supervisor = Supervisor(said.append)
    feed = CLI["service_police_feed"]
    supervisor.add(feed, start, tmp_path / "feed.log")
    _until(lambda: len(attempts) == 3, supervisor)
    try:
        assert said[1] == (f"• {say('service_not_started', name=feed)} "
                           "(process exited with 1 before listening on 8085)")
        assert said[2] == f"• {say('service_not_running', name=feed, wait=2)} ({say('log')}: {tmp_path / 'feed.log'})"
        assert said[3] == f"• {say('service_restarted', name=feed)}"
    finally:
        supervisor.stop()
