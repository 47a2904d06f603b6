"""Is a point in Sweden? Checked against Sweden's outline shipped in data/sweden.geojson.

The outline is Natural Earth's 1:10m Sweden (public domain) with the sea within 15 km of its coast that is
no neighbour's land: that coastline leaves out many outer islands (Landsort lies 13 km off it), while
Oslo, Copenhagen, Åland and Tornio stay outside. `scripts/sweden_outline.py` derives it and says how.
Reading the shipped constant once at import is the only I/O here.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.geometry import shape

_OUTLINE = shape(json.loads((Path(__file__).parent / "data/sweden.geojson").read_text())["geometry"])
shapely.prepare(_OUTLINE)


def inside_sweden(lat: float, lon: float) -> bool:
    """True when the WGS84 point lies in Sweden or its coastal waters (the outline's border included)."""
    return bool(shapely.intersects_xy(_OUTLINE, lon, lat))
