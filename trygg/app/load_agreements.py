"""Use case: load (or update) agreements from a GeoJSON file: validate, store with recounts, publish."""

from __future__ import annotations

import json
from pathlib import Path

from schemas import agreements_from_geojson
from trygg.adapters.database import connect, refresh_rollups, upsert_agreements
from trygg.adapters.kafka import publish_agreements
from trygg.settings import Settings
from trygg.texts import say


def load_agreements_file(settings: Settings, path: Path) -> str:
    """Validate, store (recounting redrawn areas) and publish the agreements in a GeoJSON file; a summary line.

    Raises pydantic's ValidationError or ValueError for a file that is not a valid agreements file.
    """
    agreements = agreements_from_geojson(json.loads(path.read_text(encoding="utf-8")))
    with connect(settings.database_url) as conn:
        result = upsert_agreements(conn, agreements)
        if result.recounted_areas or result.removed_areas:
            refresh_rollups(conn)
    publish_agreements(settings, agreements)
    recounted = ", ".join(result.recounted_areas) or say("none")
    return (f"{say('agreements_loaded', agreements=result.agreements, revision=result.revision)}; "
            f"{say('areas_recounted')}: {recounted}")
