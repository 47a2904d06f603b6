"""Placing an event in areas: every agreement and control area containing its point, and its municipality.

A point on an area's border counts as inside (`covers`): a shop on the boundary street belongs to the
agreement. Events known only to municipality precision are counted at municipality level and never
guessed into an area.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import shapely
from shapely import STRtree
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from schemas import Agreement, AreaKind, IncidentEvent, Precision, Site, municipality_area_id


@dataclass(frozen=True)
class Area:
    """An area an event can be counted in. `agreement_id` is the agreement whose own area it is; a control
    area belongs to no agreement (agreements refer to it, several may)."""

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
    """The agreement area and its control areas as placement areas (a control that is another agreement's
    area comes as a control here; `AreaIndex.from_agreements` keeps one area per id)."""
    main = Area(
        agreement.agreement_id,
        AreaKind.agreement,
        agreement.agreement_id,
        agreement.municipality,
        shape(agreement.geometry.model_dump()),
    )
    controls = [
        Area(c.area_id, AreaKind.control, None, agreement.municipality, shape(c.geometry.model_dump()))
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
        # An area is counted once, however many agreements name it; its own agreement's view of it wins.
        areas: dict[str, Area] = {}
        for area in (area for a in agreements for area in areas_of(a)):
            if area.area_id not in areas or area.kind is AreaKind.agreement:
                areas[area.area_id] = area
        return cls(
            areas.values(),
            (site for a in agreements for site in a.sites),
            revision,
        )

    def _containing_all(self, points: Sequence[tuple[float, float]]) -> list[list[Area]]:
        # One bulk tree query for a whole batch: per-point queries cost more than the rest of the pipeline.
        found: list[list[Area]] = [[] for _ in points]
        if points and self.areas:
            lats, lons = zip(*points)
            inputs, hits = self._tree.query(shapely.points(lons, lats), predicate="covered_by")
            for i, j in zip(inputs.tolist(), hits.tolist()):
                found[i].append(self.areas[j])
        for areas in found:
            areas.sort(key=lambda a: a.area_id)
        return found

    def place(self, event: IncidentEvent) -> Placement:
        """Resolve the event's point (its own, or its site's) and the areas it is counted in."""
        return self.place_all([event])[0]

    def place_all(self, events: Sequence[IncidentEvent]) -> list[Placement]:
        """`place` for a batch of events at once."""
        resolved: list[tuple[float | None, float | None]] = []
        for event in events:
            location = event.location
            if location.site_id is not None and location.lat is None:
                site = self.sites[location.site_id]
                resolved.append((site.lat, site.lon))
            else:
                resolved.append((location.lat, location.lon))
        precise = [
            i for i, (event, (lat, _)) in enumerate(zip(events, resolved))
            if event.location.precision is Precision.point and lat is not None
        ]
        inside_by_event = dict(zip(precise, self._containing_all([resolved[i] for i in precise])))  # type: ignore[misc]
        placements = []
        for i, event in enumerate(events):
            inside = inside_by_event.get(i, [])
            municipality = event.location.municipality
            if municipality is None and inside:
                municipality = inside[0].municipality
            area_ids = [a.area_id for a in inside]
            if municipality is not None:
                area_ids.append(municipality_area_id(municipality))
            lat, lon = resolved[i]
            placements.append(Placement(tuple(area_ids), lat, lon, municipality))
        return placements
