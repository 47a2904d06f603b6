"""Write every board to dashboards/intern/*.json (what Grafana's file provisioning loads into the internal folder)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard as db

from trygg.boards import agreement, health, municipality
from trygg.boards.sdk import render

DASHBOARDS_DIR = Path(__file__).resolve().parents[2] / "dashboards" / "intern"
BOARDS: dict[str, Callable[[], db.Dashboard]] = {
    "agreement.json": agreement.board,
    "municipality.json": municipality.board,
    "pipeline-health.json": health.board,
}


def rendered() -> dict[str, str]:
    """File name -> JSON text of every board."""
    return {name: render(make()) for name, make in BOARDS.items()}


def write_boards(directory: Path = DASHBOARDS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
