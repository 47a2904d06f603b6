"""Placing events in agreement areas, control areas and municipalities, with small synthetic areas in Umeå."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from schemas import Agreement, IncidentEvent, agreements_from_geojson, municipality_area_id
from trygg.domain.placement import AreaIndex, Placement

Ring = list[list[float]]


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> Ring:
    """A closed, counter-clockwise ring in GeoJSON (lon, lat) order."""
    return [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]


def polygon(ring: Ring) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


# Alidhem: lon 20.30-20.32, lat 63.81-63.82, with a control area Ersboda further north-west.
ALIDHEM = Agreement.model_validate(
    {
        "agreement_id": "alidhem",
        "name": "Trygga Alidhem",
        "municipality": "Umeå",
        "signed_at": date(2024, 1, 15),
        "geometry": polygon(square(20.30, 63.81, 20.32, 63.82)),
        "partners": [{"id": "ica-alidhem", "name": "ICA Alidhem", "role": "shop"}],
        "control_areas": [
            {"area_id": "ersboda", "name": "Ersboda", "geometry": polygon(square(20.24, 63.85, 20.26, 63.86))}
        ],
        "sites": [
            {
                "site_id": "ica-alidhem",
                "agreement_id": "alidhem",
                "partner_id": "ica-alidhem",
                "name": "ICA Alidhem",
                "lat": 63.812,
                "lon": 20.305,
            }
        ],
    }
)
# Teg: south of the river; its control area Mariehem overlaps the east half of Alidhem.
TEG = Agreement.model_validate(
    {
        "agreement_id": "teg",
        "name": "Trygga Teg",
        "municipality": "Umeå",
        "signed_at": date(2024, 3, 1),
        "geometry": polygon(square(20.25, 63.80, 20.27, 63.81)),
        "control_areas": [
            {"area_id": "mariehem", "name": "Mariehem", "geometry": polygon(square(20.31, 63.815, 20.33, 63.83))}
        ],
    }
)
# Two disjoint parts of one agreement.
HOLMSUND = Agreement.model_validate(
    {
        "agreement_id": "holmsund",
        "name": "Trygga Holmsund",
        "municipality": "Umeå",
        "signed_at": date(2025, 2, 1),
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [[square(20.35, 63.70, 20.36, 63.71)], [square(20.38, 63.70, 20.39, 63.71)]],
        },
    }
)


@pytest.fixture(scope="module")
def index() -> AreaIndex:
    return AreaIndex.from_agreements([ALIDHEM, TEG, HOLMSUND])


def report(**location: Any) -> IncidentEvent:
    return IncidentEvent.model_validate(
        {
            "event_id": "3f2b8c1e-2d4a-4b7e-9a51-0c6f1d2e3a4b",
            "source": "shop",
            "reporter": "ica-alidhem-1",
            "category": "shoplifting",
            "occurred_at": "2024-05-01T13:00:00+02:00",
            "reported_at": "2024-05-01T13:05:00+02:00",
            "location": location,
        }
    )


@pytest.mark.parametrize(
    ("name", "area_id"),
    [
        ("Umeå", "kommun:umea"),
        ("Malmö", "kommun:malmo"),
        ("Upplands Väsby", "kommun:upplands-vasby"),
        ("  UMEÅ ", "kommun:umea"),
        ("Öckerö", "kommun:ockero"),
    ],
)
def test_municipality_area_id(name: str, area_id: str) -> None:
    assert municipality_area_id(name) == area_id


def test_point_inside_an_agreement_is_counted_there_and_in_its_municipality(index: AreaIndex) -> None:
    placement = index.place(report(lat=63.812, lon=20.302))

    assert placement == Placement(("alidhem", "kommun:umea"), 63.812, 20.302, "Umeå")


def test_point_inside_a_control_area(index: AreaIndex) -> None:
    assert index.place(report(lat=63.855, lon=20.25)).area_ids == ("ersboda", "kommun:umea")


def test_point_outside_all_areas_is_counted_nowhere(index: AreaIndex) -> None:
    placement = index.place(report(lat=63.90, lon=20.10))

    assert placement == Placement((), 63.90, 20.10, None)


def test_point_outside_all_areas_with_named_municipality_counts_only_there(index: AreaIndex) -> None:
    placement = index.place(report(lat=63.90, lon=20.10, municipality="Umeå"))

    assert placement == Placement(("kommun:umea",), 63.90, 20.10, "Umeå")


def test_named_municipality_is_counted_once_when_point_is_inside(index: AreaIndex) -> None:
    assert index.place(report(lat=63.812, lon=20.302, municipality="Umeå")).area_ids == ("alidhem", "kommun:umea")


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(63.81, 20.305), (63.815, 20.30), (63.82, 20.305), (63.812, 20.32)],
    ids=["south-edge", "west-edge", "north-edge", "east-edge"],
)
def test_point_on_an_edge_counts_as_inside(index: AreaIndex, lat: float, lon: float) -> None:
    assert index.place(report(lat=lat, lon=lon)).area_ids == ("alidhem", "kommun:umea")


@pytest.mark.parametrize(("lat", "lon"), [(63.81, 20.30), (63.82, 20.30), (63.81, 20.32)])
def test_point_on_a_vertex_counts_as_inside(index: AreaIndex, lat: float, lon: float) -> None:
    assert "alidhem" in index.place(report(lat=lat, lon=lon)).area_ids


def test_point_in_overlapping_agreement_and_control_area_counts_in_both(index: AreaIndex) -> None:
    placement = index.place(report(lat=63.818, lon=20.315))

    assert set(placement.area_ids) == {"alidhem", "mariehem", "kommun:umea"}
    assert len(placement.area_ids) == 3
    assert placement.area_ids[-1] == "kommun:umea"
    assert index.place(report(lat=63.818, lon=20.315)) == placement  # same answer every time


def test_overlap_order_does_not_depend_on_the_order_areas_were_loaded() -> None:
    """The processor builds its index from database rows (no fixed order); the placement must not change."""
    forward = AreaIndex.from_agreements([ALIDHEM, TEG])
    backward = AreaIndex.from_agreements([TEG, ALIDHEM])
    event = report(lat=63.818, lon=20.315)

    assert forward.place(event) == backward.place(event)


def test_site_only_report_uses_the_sites_point(index: AreaIndex) -> None:
    placement = index.place(report(site_id="ica-alidhem"))

    assert (placement.lat, placement.lon) == (63.812, 20.305)
    assert placement.area_ids == ("alidhem", "kommun:umea")
    assert placement.municipality == "Umeå"


@pytest.mark.parametrize(
    "location",
    [
        {"lat": 63.812, "lon": 20.302, "municipality": "Umeå", "precision": "municipality"},
        {"site_id": "ica-alidhem", "municipality": "Umeå", "precision": "municipality"},
    ],
    ids=["coarse-point", "coarse-site"],
)
def test_coarse_location_is_never_guessed_into_an_area(index: AreaIndex, location: dict[str, Any]) -> None:
    placement = index.place(report(**location))

    assert placement.area_ids == ("kommun:umea",)
    assert placement.municipality == "Umeå"


def test_municipality_only_report(index: AreaIndex) -> None:
    placement = index.place(report(municipality="Malmö"))

    assert placement == Placement(("kommun:malmo",), None, None, "Malmö")


@pytest.mark.parametrize(("lat", "lon"), [(63.705, 20.355), (63.705, 20.385)], ids=["west-part", "east-part"])
def test_multipolygon_covers_each_part(index: AreaIndex, lat: float, lon: float) -> None:
    assert index.place(report(lat=lat, lon=lon)).area_ids == ("holmsund", "kommun:umea")


def test_multipolygon_does_not_cover_the_gap_between_parts(index: AreaIndex) -> None:
    assert index.place(report(lat=63.705, lon=20.37)).area_ids == ()


def test_index_from_geojson_places_the_same_way() -> None:
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": polygon(square(20.30, 63.81, 20.32, 63.82)),
                "properties": {
                    "kind": "agreement",
                    "agreement_id": "alidhem",
                    "name": "Trygga Alidhem",
                    "municipality": "Umeå",
                    "signed_at": "2024-01-15",
                    "partners": [{"id": "ica-alidhem", "name": "ICA Alidhem", "role": "shop"}],
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [20.31, 63.815]},
                "properties": {
                    "kind": "site",
                    "site_id": "ica-alidhem",
                    "agreement_id": "alidhem",
                    "partner_id": "ica-alidhem",
                    "name": "ICA Alidhem",
                },
            },
        ],
    }
    index = AreaIndex.from_agreements(agreements_from_geojson(document))

    assert index.place(report(site_id="ica-alidhem")) == Placement(("alidhem", "kommun:umea"), 63.815, 20.31, "Umeå")
