"""The police feed as a child process of `trygg up`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from trygg.localstack.processes import start_command, wait_for_port
from trygg.settings import Settings


def start_police_feed(settings: Settings, log_path: Path) -> subprocess.Popen:
    """Start `trygg police-feed` and wait until it accepts connections."""
    process = start_command(settings, "police-feed", log_path)
    wait_for_port(settings.police_feed_port, 30, process)
    return process
