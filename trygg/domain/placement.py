"""Placing an event in areas: every agreement and control area containing its point, and its municipality.

A point on an area's border counts as inside (`covers`): a shop on the boundary street belongs to the
agreement. Events known only to municipality precision are counted at municipality level and never
guessed into an area.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from schemas import Agreement, AreaKind, IncidentEvent, Precision, Site, municipality_area_id


@dataclass(frozen=True)
class Area:
    """An area an event can be counted in."""

    area_id: str
    kind: AreaKind
    agreement_id: str | None
    municipality: str
    geometry: BaseGeometry | None


@dataclass(frozen=True)
class Placement:
    """Where one valid event is counted, and the resolved point that is stored with it."""

    area_ids: tuple[str, ...]
    lat: float | None
    lon: float | None
    municipality: str | None


def areas_of(agreement: Agreement) -> list[Area]:
    """The agreement area and its control areas as placement areas."""
    main = Area(
        agreement.agreement_id,
        AreaKind.agreement,
        agreement.agreement_id,
        agreement.municipality,
        shape(agreement.geometry.model_dump()),
    )
    controls = [
        Area(c.area_id, AreaKind.control, agreement.agreement_id, agreement.municipality, shape(c.geometry.model_dump()))
        for c in agreement.control_areas
    ]
    return [main, *controls]


class AreaIndex:
    """A spatial index (STR-tree) over all agreement and control areas, plus the registered sites."""

    def __init__(self, areas: Iterable[Area], sites: Iterable[Site], revision: int = 0) -> None:
        self.areas = [a for a in areas if a.geometry is not None]
        self.sites = {s.site_id: s for s in sites}
        self.revision = revision
        self._tree = STRtree([a.geometry for a in self.areas])

    @classmethod
    def from_agreements(cls, agreements: Iterable[Agreement], revision: int = 0) -> AreaIndex:
        agreements = list(agreements)
        return cls(
            (area for a in agreements for area in areas_of(a)),
            (site for a in agreements for site in a.sites),
            revision,
        )

    def containing(self, lat: float, lon: float) -> list[Area]:
        """Every area whose polygon covers the point (border included), by area id whatever the load order."""
        point = Point(lon, lat)
        hits = self._tree.query(point, predicate="covered_by")
        return sorted((self.areas[i] for i in hits), key=lambda a: a.area_id)

    def place(self, event: IncidentEvent) -> Placement:
        """Resolve the event's point (its own, or its site's) and the areas it is counted in."""
        location = event.location
        lat, lon = location.lat, location.lon
        if location.site_id is not None and lat is None:
            site = self.sites[location.site_id]
            lat, lon = site.lat, site.lon
        municipality = location.municipality
        area_ids: list[str] = []
        if location.precision is Precision.point and lat is not None and lon is not None:
            inside = self.containing(lat, lon)
            area_ids.extend(a.area_id for a in inside)
            if municipality is None and inside:
                municipality = inside[0].municipality
        if municipality is not None:
            area_ids.append(municipality_area_id(municipality))
        return Placement(tuple(area_ids), lat, lon, municipality)
