"""Agreements, their areas, partners, measures and registered sites, and the GeoJSON file they come from.

File format (`trygg agreements load PATH`): a GeoJSON FeatureCollection whose features carry
`properties.kind`:

* `agreement`    - Polygon/MultiPolygon of the agreement area; properties `agreement_id`, `name`,
                   `municipality`, `signed_at` (date), `partners` [{id, name, role}],
                   `measures` [{description, starts_on}].
* `control_area` - Polygon/MultiPolygon of a comparison area; properties `area_id`, `agreement_id`, `name`.
                   One area may be the control of several agreements (one feature per agreement) or another
                   agreement's own area: each `area_id` has one polygon, given once (features repeating it
                   may leave out geometry and name, or must give the same polygon).
* `site`         - Point of a registered site (a shop, a school); properties `site_id`, `agreement_id`,
                   `partner_id`, `name`.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.incident import SWEDEN_LAT, SWEDEN_LON, SourceKind

# Starts with a letter or digit: "." and ".." are no ids (agreement ids name folders, e.g. `trygg report`'s).
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)]

# A partner reports as the kind of source it is: one vocabulary for both.
PartnerRole = SourceKind


class AreaKind(str, enum.Enum):
    agreement = "agreement"
    control = "control"
    municipality = "municipality"


def municipality_area_id(municipality: str) -> str:
    """The area id under which events known only to a municipality are counted ("Umeå" -> "kommun:umea")."""
    folded = unicodedata.normalize("NFKD", municipality.strip().casefold())
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c))
    return "kommun:" + re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


class Polygon(BaseModel):
    """A GeoJSON Polygon or MultiPolygon in WGS84 inside Sweden."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["Polygon", "MultiPolygon"]
    coordinates: Any

    @model_validator(mode="after")
    def _rings(self) -> Polygon:
        polygons = [self.coordinates] if self.type == "Polygon" else self.coordinates
        if not isinstance(polygons, list) or not polygons:
            raise ValueError("coordinates must be a non-empty list")
        for rings in polygons:
            if not isinstance(rings, list) or not rings:
                raise ValueError("each polygon needs at least an outer ring")
            for ring in rings:
                if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
                    raise ValueError("each ring needs >= 4 positions and must be closed (first == last)")
                for pos in ring:
                    lon, lat = pos[0], pos[1]
                    if not (SWEDEN_LAT[0] <= lat <= SWEDEN_LAT[1] and SWEDEN_LON[0] <= lon <= SWEDEN_LON[1]):
                        raise ValueError(f"position {lon},{lat} (lon,lat) lies outside Sweden")
        return self


class Partner(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    role: PartnerRole


class Measure(BaseModel):
    """Something the partners committed to do, from a date (shown as an annotation on the boards)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = Field(min_length=1, max_length=300)
    starts_on: date


class ControlArea(BaseModel):
    """A comparable area without the agreement, used to separate the agreement's effect from general trends."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    area_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    geometry: Polygon


class Site(BaseModel):
    """A registered place with a fixed point, so a report can say "at my shop"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    site_id: Identifier
    agreement_id: Identifier
    partner_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    lat: float = Field(ge=SWEDEN_LAT[0], le=SWEDEN_LAT[1])
    lon: float = Field(ge=SWEDEN_LON[0], le=SWEDEN_LON[1])


class Agreement(BaseModel):
    """A local safety agreement: its area, signing date, partners, measures and control areas."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agreement_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    municipality: str = Field(min_length=1, max_length=64)
    signed_at: date
    geometry: Polygon
    partners: tuple[Partner, ...] = ()
    measures: tuple[Measure, ...] = ()
    control_areas: tuple[ControlArea, ...] = ()
    sites: tuple[Site, ...] = ()

    @field_validator("partners")
    @classmethod
    def _unique_partners(cls, partners: tuple[Partner, ...]) -> tuple[Partner, ...]:
        ids = [p.id for p in partners]
        if len(ids) != len(set(ids)):
            raise ValueError("partner ids must be unique within an agreement")
        return partners

    @model_validator(mode="after")
    def _consistent(self) -> Agreement:
        area_ids = [self.agreement_id, *(c.area_id for c in self.control_areas)]
        if len(area_ids) != len(set(area_ids)):
            raise ValueError("control area ids must be unique and differ from the agreement id")
        partner_ids = {p.id for p in self.partners}
        for site in self.sites:
            if site.partner_id not in partner_ids:
                raise ValueError(f"site {site.site_id} names partner {site.partner_id}, who is not a partner")
        return self


class _FeatureCollection(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]


def agreements_from_geojson(document: Any) -> list[Agreement]:
    """Parse an agreements FeatureCollection (see module docstring) into validated agreements.

    Raises ValueError naming the feature (its number, from 1, and its ids) for anything that cannot be loaded
    as a whole: nothing of a refused file is loaded.
    """
    collection = _FeatureCollection.model_validate(document)
    heads: dict[str, dict[str, Any]] = {}
    controls: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    sites: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    # area id -> (feature number, polygon, name) of the feature that drew it first
    drawn: dict[str, tuple[int, Any, Any]] = {}

    def draw(number: int, area_id: Any, geometry: Any, name: Any) -> None:
        if geometry is None:
            return
        first = drawn.setdefault(area_id, (number, geometry, name))
        if first[1] != geometry:
            raise ValueError(f"feature {number}: area {area_id} has a different polygon than in feature {first[0]}; "
                             "an area is counted once and has one polygon (give it once, or use another area_id)")

    for number, feature in enumerate(collection.features, start=1):
        props = dict(feature.get("properties") or {})
        kind = props.pop("kind", None)
        geometry = feature.get("geometry")
        agreement_id = props.get("agreement_id")
        if not isinstance(agreement_id, str):
            raise ValueError(f"feature {number}: properties.agreement_id is missing")
        if kind == "agreement":
            if agreement_id in heads:
                raise ValueError(f"feature {number}: agreement {agreement_id} appears twice")
            heads[agreement_id] = {**props, "geometry": geometry}
            draw(number, agreement_id, geometry, props.get("name"))
        elif kind == "control_area":
            props.pop("agreement_id")
            area_id = props.get("area_id")
            if area_id == agreement_id:
                raise ValueError(f"feature {number}: agreement {agreement_id} cannot be its own control area "
                                 "(it would compare the area with itself)")
            controls.setdefault(agreement_id, []).append((number, {**props, "geometry": geometry}))
            draw(number, area_id, geometry, props.get("name"))
        elif kind == "site":
            if not geometry or geometry.get("type") != "Point":
                raise ValueError(f"feature {number}: a site needs a Point geometry")
            lon, lat = geometry["coordinates"][:2]
            sites.setdefault(agreement_id, []).append((number, {**props, "lat": lat, "lon": lon}))
        else:
            raise ValueError(f"feature {number}: properties.kind must be agreement, control_area or site, not {kind!r}")
    for agreement_id, features in (*controls.items(), *sites.items()):
        if agreement_id not in heads:
            number, props = features[0]
            what = f"control area {props.get('area_id')}" if "area_id" in props else f"site {props.get('site_id')}"
            raise ValueError(f"feature {number}: {what} refers to agreement {agreement_id}, "
                             "which is not in the file")

    def control(number: int, props: dict[str, Any]) -> dict[str, Any]:
        first = drawn.get(props.get("area_id"))
        if first is None:
            raise ValueError(f"feature {number}: control area {props.get('area_id')} has no polygon "
                             "(give its geometry here or in another feature of the same area)")
        return {**props, "geometry": first[1], "name": props.get("name") or first[2]}

    agreements = [
        Agreement.model_validate({
            **head,
            "control_areas": [control(n, props) for n, props in controls.get(agreement_id, [])],
            "sites": [props for _, props in sites.get(agreement_id, [])],
        })
        for agreement_id, head in heads.items()
    ]
    _one_municipality_per_control(agreements)
    return agreements


def _one_municipality_per_control(agreements: list[Agreement]) -> None:
    """A shared control area lies in one municipality: the one of every agreement that names it (and of the
    agreement it is the area of)."""
    municipality = {a.agreement_id: a.municipality for a in agreements}
    for agreement in agreements:
        for c in agreement.control_areas:
            other = municipality.setdefault(c.area_id, agreement.municipality)
            if other != agreement.municipality:
                raise ValueError(f"control area {c.area_id} of agreement {agreement.agreement_id} "
                                 f"({agreement.municipality}) is also used in {other}: an area lies in one "
                                 "municipality (use another area_id for a control in another municipality)")
