"""Derive trygg/domain/data/sweden.geojson, the outline "inside Sweden" is checked against.

Source: Natural Earth 1:10m admin-0 countries (public domain), as the npm package world-atlas@2.0.2
ships it (TopoJSON, quantised to 0.0036° × 0.0017°, about 150 × 190 m):

    npm install --prefix /tmp/ne world-atlas@2.0.2
    .venv/bin/python scripts/sweden_outline.py /tmp/ne/node_modules/world-atlas/countries-10m.json

What is accepted: Sweden's land, and the sea within COAST_TOLERANCE_M of its coast where that sea is not
a neighbour's land (Norway, Finland, Åland, Denmark). Land borders are taken as they are, with two
corrections where Natural Earth is kilometres off at a place the checks name:
* Treriksröset: the shared vertex of Sweden, Norway and Finland moved to the cairn (69.0600 N, 20.5489 E;
  Natural Earth has it 3.8 km to the south-east, inside its Norway);
* Haparanda–Tornio: the border vertex at the town moved west to the Torne's western channel (Natural
  Earth runs the border east of Tornio's centre, so Tornio lay in its Sweden).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, mapping

OUT = Path(__file__).resolve().parents[1] / "trygg/domain/data/sweden.geojson"
COAST_TOLERANCE_M = 15_000
SIMPLIFY_M = 100
NEIGHBOURS = ("Norway", "Finland", "Åland", "Denmark")
# (Natural Earth's vertex, where it belongs), lon/lat at the source's quantisation.
MOVED_VERTICES = {
    (20.6228, 69.0364): (20.5489, 69.0600),  # Treriksröset
    (24.1616, 65.8416): (24.1405, 65.8440),  # Haparanda–Tornio: the Torne's western channel
}
LAT0 = 62.0  # projection for metric buffering: x scaled by cos(lat) (sinusoidal about 17.5 E)


def decode(topology: dict) -> dict[str, shapely.Geometry]:
    """Sweden's and its neighbours' geometries by name, from the quantised TopoJSON topology."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            lon, lat = round(x * sx + tx, 4), round(y * sy + ty, 4)
            points.append(MOVED_VERTICES.get((lon, lat), (lon, lat)))
        arcs.append(points)

    def ring(indices: list[int]) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for i in indices:
            part = arcs[i] if i >= 0 else arcs[~i][::-1]
            points.extend(part if not points else part[1:])
        return points

    def polygons(parts: list[list[list[int]]]) -> MultiPolygon:
        rings = [[ring(r) for r in rings] for rings in parts]
        # Islets smaller than the quantisation have fewer than 4 points: nothing to keep.
        return MultiPolygon([(p[0], [h for h in p[1:] if len(h) >= 4]) for p in rings if len(p[0]) >= 4])

    countries = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name")
        if name in ("Sweden", *NEIGHBOURS):
            parts = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
            countries[name] = polygons(parts)
    return countries


def to_metres(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geometry, lambda c: [[(x - 17.5) * 111_320 * math.cos(math.radians(y)), y * 110_540]
                                                  for x, y in c])


def to_degrees(geometry: shapely.Geometry) -> shapely.Geometry:
    def back(c):  # noqa: ANN001, ANN202
        out = []
        for x, y in c:
            lat = y / 110_540
            out.append((round(x / (111_320 * math.cos(math.radians(lat))) + 17.5, 5), round(lat, 5)))
        return out
    return shapely.transform(geometry, back)


def outline(countries: dict[str, shapely.Geometry]) -> shapely.Geometry:
    sweden = to_metres(shapely.make_valid(countries["Sweden"]))
    neighbours = shapely.union_all([to_metres(shapely.make_valid(countries[n])) for n in NEIGHBOURS])
    accepted = shapely.union(sweden, shapely.difference(sweden.buffer(COAST_TOLERANCE_M), neighbours))
    return to_degrees(shapely.make_valid(accepted.simplify(SIMPLIFY_M)))


def main(path: str) -> None:
    shape = outline(decode(json.loads(Path(path).read_text())))
    feature = {"type": "Feature", "geometry": mapping(shape), "properties": {
        "source": "Natural Earth 1:10m admin 0 countries 4.1.0 (public domain), via npm world-atlas@2.0.2",
        "coast_tolerance_m": COAST_TOLERANCE_M, "simplified_m": SIMPLIFY_M,
        "derived_by": "scripts/sweden_outline.py"}}
    OUT.write_text(json.dumps(feature, separators=(",", ":")) + "\n")
    print(f"{OUT}: {shapely.get_num_coordinates(shape)} points, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
