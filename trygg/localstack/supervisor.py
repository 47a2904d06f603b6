"""`trygg up`'s supervisor: a service of the local stack that dies is started again, and the terminal says so.

Services stop loudly on what they cannot handle (trygg.adapters.retrying: only outages are waited out), so a
restart is the recovery: the processor re-reads from its last commit, the relay re-sends what is not yet
counted, the broker (memory storage) comes back empty with its topics created again. A service that keeps dying waits longer before each restart (1 s doubling to 30 s; back to 1 s once it has
run for a minute), so a broken configuration does not spin the machine.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from trygg.localstack.processes import stop_process
from trygg.texts import Text, say

FIRST_WAIT_S = 1.0
MAX_WAIT_S = 30.0
HEALTHY_AFTER_S = 60.0


@dataclass
class _Service:
    name: Text  # a catalogue entry (texts.CLI["service_..."]): each language says it in its own words
    start: Callable[[], subprocess.Popen]
    log_path: Path
    process: subprocess.Popen | None  # None: its last start failed
    started_at: float = field(default_factory=time.monotonic)
    wait_s: float = FIRST_WAIT_S
    restart_at: float | None = None


class Supervisor:
    """Child processes by name, restarted when they exit; stopped together, last started first."""

    def __init__(self, say: Callable[[str], None] = print) -> None:
        self._services: list[_Service] = []
        self._say = say

    def add(self, name: Text, start: Callable[[], subprocess.Popen], log_path: Path) -> subprocess.Popen:
        """Start a service with `start` (which returns once it is up) and keep it running."""
        process = start()
        self._services.append(_Service(name, start, log_path, process))
        return process

    def check(self) -> None:
        """Restart every service that has exited and whose wait is over (call it in the main loop)."""
        now = time.monotonic()
        for service in self._services:
            if service.restart_at is None:
                code = service.process.poll() if service.process is not None else None
                if service.process is not None and code is None:
                    continue
                if now - service.started_at >= HEALTHY_AFTER_S:
                    service.wait_s = FIRST_WAIT_S
                service.restart_at = now + service.wait_s
                what = "service_exited" if service.process is not None else "service_not_running"
                self._say(f"• {say(what, name=service.name, code=code, wait=service.wait_s)} "
                          f"({say('log')}: {service.log_path})")
            elif now >= service.restart_at:
                try:
                    service.process = service.start()
                except Exception as error:  # noqa: BLE001 (a start that fails is retried like an exit)
                    service.process = None
                    self._say(f"• {say('service_not_started', name=service.name)} ({error})")
                else:
                    self._say(f"• {say('service_restarted', name=service.name)}")
                service.started_at, service.restart_at = time.monotonic(), None
                service.wait_s = min(MAX_WAIT_S, service.wait_s * 2)

    def stop(self) -> None:
        """Terminate every service, last started first (SIGTERM, then SIGKILL after 30 s)."""
        for service in reversed(self._services):
            stop_process(service.process, timeout_s=30)
