"""The police feed as a child process of `trygg up`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from trygg.localstack.processes import start_command, wait_for_port
from trygg.settings import Settings


def start_police_feed(settings: Settings, state: Path) -> subprocess.Popen:
    """Start `trygg police-feed` and wait until it accepts connections."""
    log_path = state / "police-feed.log"
    process = start_command(settings, "police-feed", log_path)
    wait_for_port(settings.police_feed_port, 30, process)
    print(f"• police feed started on http://{settings.police_feed_host}:{settings.police_feed_port}/v1/incidents "
          f"(agencies: trygg agencies add|list|revoke; log: {log_path})")
    return process
