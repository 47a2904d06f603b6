"""Use case: how many incidents each area holds so far (`trygg counts`, the end of `trygg up`'s demo)."""

from __future__ import annotations

from trygg.adapters import read_model
from trygg.adapters.database import connect
from trygg.settings import Settings
from trygg.texts import say


def counts_table(settings: Settings) -> str:
    """Incidents per area as a text table, areas by kind."""
    with connect(settings.database_url) as conn:
        rows = read_model.incidents_per_area(conn)
    lines = [f"{say('col_area'):<32} {say('col_kind'):<13} {say('col_incidents'):>21}"]
    lines += [f"{area_id:<32} {kind or '':<13} {incidents:>21}" for area_id, kind, incidents in rows]
    return "\n".join(lines)
