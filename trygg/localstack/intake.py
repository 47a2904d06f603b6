"""Intake processes for `trygg up` and the tests: the outbox relay and the report form, as child processes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from trygg.localstack.processes import start_command, wait_for_port
from trygg.settings import Settings
from trygg.texts import say

# The width of the label column in `trygg up`'s list of what runs (trygg.localstack.stack prints the others).
LABEL_WIDTH = 36


def start_relay(settings: Settings, log_path: Path) -> subprocess.Popen:
    return start_command(settings, "relay", log_path)


def start_form(settings: Settings, log_path: Path) -> subprocess.Popen:
    """Start the report form and wait until it accepts connections."""
    process = start_command(settings, "form", log_path)
    wait_for_port(settings.form_port, 30, process)
    return process


def print_intake(settings: Settings, *, demo: bool) -> None:
    """`trygg up`: where the form is, and (with the demo data) a personal link of a demo partner."""
    from trygg.app.partner_links import issue_link

    print(f"  {say('report_form'):<{LABEL_WIDTH}} {settings.form_base_url}/r/<token>   "
          f"({say('links')}: trygg partners issue|list|revoke)")
    if demo:
        url = issue_link(settings, "umea-alidhem", "ica-alidhem", [])
        print(f"  {say('demo_link'):<{LABEL_WIDTH}} {url}   (ICA Nära Ålidhem; {say('new_every_start')})")
