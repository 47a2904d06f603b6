"""`trygg relay`: the entry point of the outbox relay (trygg/app/relay_outbox.py: the outbox to incidents.reported
and surveys.reported), stopped by SIGTERM/SIGINT.

A crash (anything but an outage of the database or the broker) ends the process; its supervisor restarts it
and the unsent rows are still in the outbox.
"""

from __future__ import annotations

import signal
import threading

from trygg.app.relay_outbox import relay_outbox
from trygg.settings import Settings


def run_relay(settings: Settings, stop: threading.Event | None = None) -> None:
    """Relay until `stop` is set (or SIGTERM/SIGINT when run as a command)."""
    relay_outbox(settings, stop or _stop_on_signals())


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop
