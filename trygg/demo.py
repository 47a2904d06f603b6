"""Seeded synthetic incident history for the local demo, and the Umeå sample agreements it runs on.

`demo_events` is pure: the same agreements, `now`, `days` and `seed` always give the same events (ids
included), and nothing is read or written. Each agreement area and control area gets a Poisson number of
incidents a day; agreement areas run about 25 % lower from the day the agreement is signed while control
areas do not, so the boards have an effect to show.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from schemas import Agreement, Category, IncidentEvent, PartnerRole, SourceKind, agreements_from_geojson
from trygg.domain.buckets import STOCKHOLM

SAMPLE_AGREEMENTS = Path(__file__).resolve().parents[1] / "deploy" / "sample" / "umea-agreements.geojson"

POLICE_REPORTER = "polisen-umea"
UMEA_CENTRE = (63.8258, 20.2630)  # lat, lon: where municipality-precision police events are pinned

AGREEMENT_DAILY_RATE = 1.6
CONTROL_DAILY_RATE = 1.1
AFTER_SIGNING = 0.75  # rate multiplier in agreement areas from signed_at on
SITE_SHARE = 0.05  # share of a sited partner's reports that name the site instead of a point
MUNICIPALITY_SHARE = 0.01  # police events known only to municipality precision, relative to all events

CATEGORY_WEIGHTS: dict[Category, float] = {
    Category.shoplifting: 30,
    Category.vandalism: 15,
    Category.graffiti: 12,
    Category.disturbance: 11,
    Category.drug_dealing: 8,
    Category.theft: 7,
    Category.threat: 5,
    Category.harassment: 4,
    Category.other: 3,
    Category.burglary: 2,
    Category.violence: 2,
    Category.robbery: 1,
}

# Who plausibly reports each category. Roles the area has no partner for drop out; police is always there.
REPORTER_WEIGHTS: dict[Category, dict[SourceKind, float]] = {
    Category.shoplifting: {SourceKind.shop: 9, SourceKind.police: 1},
    Category.vandalism: {SourceKind.property_owner: 5, SourceKind.school: 2, SourceKind.municipality: 2,
                         SourceKind.shop: 1, SourceKind.police: 1},
    Category.graffiti: {SourceKind.property_owner: 4, SourceKind.municipality: 3, SourceKind.school: 2,
                        SourceKind.shop: 1},
    Category.disturbance: {SourceKind.property_owner: 4, SourceKind.shop: 2, SourceKind.police: 2,
                           SourceKind.school: 1},
    Category.drug_dealing: {SourceKind.police: 6, SourceKind.property_owner: 2, SourceKind.school: 1},
    Category.theft: {SourceKind.shop: 3, SourceKind.police: 3, SourceKind.property_owner: 2, SourceKind.school: 2},
    Category.threat: {SourceKind.shop: 3, SourceKind.school: 2, SourceKind.police: 2, SourceKind.property_owner: 1},
    Category.harassment: {SourceKind.school: 3, SourceKind.police: 2, SourceKind.shop: 1},
    Category.other: {SourceKind.shop: 1, SourceKind.property_owner: 1, SourceKind.school: 1,
                     SourceKind.municipality: 1, SourceKind.police: 1},
    Category.burglary: {SourceKind.property_owner: 3, SourceKind.police: 2, SourceKind.school: 1},
    Category.violence: {SourceKind.police: 5, SourceKind.school: 1},
    Category.robbery: {SourceKind.police: 4, SourceKind.shop: 1},
}

# Control areas have no shops or schools in the agreement; only city-wide partners report there.
CITY_WIDE_ROLES = (PartnerRole.property_owner, PartnerRole.municipality)

WEEKDAY_FACTOR = (0.9, 0.9, 0.95, 1.0, 1.15, 1.25, 0.85)  # Monday..Sunday, mean 1.0
# Local (Stockholm) hour of day: most incidents fall within shop opening hours, 10-21.
HOUR_WEIGHTS = [0.3] * 7 + [1.0] * 3 + [3.0] * 12 + [1.2] * 2


@dataclass(frozen=True)
class _DemoArea:
    area_id: str
    geometry: BaseGeometry
    daily_rate: float
    signed_at: date | None  # None for control areas: no change at signing
    reporters: dict[SourceKind, list[str]]
    sites: dict[str, str]  # partner id -> site id


def load_sample_agreements() -> list[Agreement]:
    """The Umeå sample agreements from deploy/sample/umea-agreements.geojson."""
    with SAMPLE_AGREEMENTS.open(encoding="utf-8") as f:
        return agreements_from_geojson(json.load(f))


def demo_events(agreements: list[Agreement], *, now: datetime, days: int = 540, seed: int = 7) -> list[IncidentEvent]:
    """A plausible history of `days` Stockholm days ending on `now`'s day, sorted by occurred_at.

    Nothing occurs or is reported after `now`, which must be timezone-aware.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if days < 1:
        raise ValueError("days must be at least 1")
    rng = random.Random(seed)
    areas = [area for agreement in agreements for area in _areas(agreement, rng)]
    municipality_rate = MUNICIPALITY_SHARE * sum(a.daily_rate for a in areas)
    first_day = now.astimezone(STOCKHOLM).date() - timedelta(days=days - 1)

    events: list[IncidentEvent] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        weekday = WEEKDAY_FACTOR[day.weekday()]
        for area in areas:
            rate = area.daily_rate * weekday
            if area.signed_at is not None and day >= area.signed_at:
                rate *= AFTER_SIGNING
            for _ in range(_poisson(rng, rate)):
                events.append(_area_event(rng, area, day, now))
        for _ in range(_poisson(rng, municipality_rate * weekday)):
            events.append(_municipality_event(rng, day, now))
    # Draws for incidents later today than `now` are still made, so the history up to `now` does not shift.
    kept = [e for e in events if e.occurred_at <= now]
    kept.sort(key=lambda e: e.occurred_at)
    return kept


def _areas(agreement: Agreement, rng: random.Random) -> list[_DemoArea]:
    reporters: dict[SourceKind, list[str]] = {}
    city_wide: dict[SourceKind, list[str]] = {}
    for partner in agreement.partners:
        if partner.role is PartnerRole.police:
            continue  # police reports always come from POLICE_REPORTER
        reporters.setdefault(SourceKind(partner.role.value), []).append(partner.id)
        if partner.role in CITY_WIDE_ROLES:
            city_wide.setdefault(SourceKind(partner.role.value), []).append(partner.id)
    sites = {s.partner_id: s.site_id for s in agreement.sites}
    # Areas differ a little in size and trouble; the spread keeps the demo boards from looking uniform.
    areas = [
        _DemoArea(
            agreement.agreement_id,
            _prepared(agreement.geometry.model_dump()),
            AGREEMENT_DAILY_RATE * rng.uniform(0.8, 1.25),
            agreement.signed_at,
            reporters,
            sites,
        )
    ]
    for control in agreement.control_areas:
        areas.append(
            _DemoArea(
                control.area_id,
                _prepared(control.geometry.model_dump()),
                CONTROL_DAILY_RATE * rng.uniform(0.8, 1.25),
                None,
                city_wide,
                {},
            )
        )
    return areas


def _prepared(geometry: dict[str, Any]) -> BaseGeometry:
    polygon = shape(geometry)
    shapely.prepare(polygon)  # thousands of point-in-polygon tests follow
    return polygon


def _poisson(rng: random.Random, rate: float) -> int:
    """Knuth's method; fine for the small daily rates used here."""
    limit, k, p = math.exp(-rate), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _times(rng: random.Random, day: date, now: datetime) -> tuple[datetime, datetime]:
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=STOCKHOLM)
    # The round trip through UTC turns a time in the spring-forward gap into a real wall-clock time.
    occurred = local.astimezone(UTC).astimezone(STOCKHOLM)
    delay = timedelta(minutes=min(2 + rng.expovariate(1 / 90), 24 * 60))
    reported = max(occurred, min(occurred + delay, now))
    return occurred, reported


def _point_in(rng: random.Random, geometry: BaseGeometry) -> tuple[float, float]:
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    while True:
        lat, lon = round(rng.uniform(min_lat, max_lat), 6), round(rng.uniform(min_lon, max_lon), 6)
        if geometry.covers(Point(lon, lat)):  # rounded first, so the stored point is the tested one
            return lat, lon


def _area_event(rng: random.Random, area: _DemoArea, day: date, now: datetime) -> IncidentEvent:
    event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    category = _weighted(rng, CATEGORY_WEIGHTS)
    roles = {s: w for s, w in REPORTER_WEIGHTS[category].items() if s is SourceKind.police or s in area.reporters}
    source = _weighted(rng, roles) if roles else SourceKind.police
    reporter = POLICE_REPORTER if source is SourceKind.police else rng.choice(area.reporters[source])
    occurred, reported = _times(rng, day, now)
    site_id = area.sites.get(reporter)
    location: dict[str, Any]
    if site_id is not None and rng.random() < SITE_SHARE:
        location = {"site_id": site_id}
    else:
        lat, lon = _point_in(rng, area.geometry)
        location = {"lat": lat, "lon": lon}
    return IncidentEvent.model_validate(
        {
            "event_id": event_id,
            "source": source,
            "reporter": reporter,
            "category": category,
            "occurred_at": occurred,
            "reported_at": reported,
            "location": location,
        }
    )


def _municipality_event(rng: random.Random, day: date, now: datetime) -> IncidentEvent:
    event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    police_categories = {c: w[SourceKind.police] for c, w in REPORTER_WEIGHTS.items() if SourceKind.police in w}
    category = _weighted(rng, police_categories)
    occurred, reported = _times(rng, day, now)
    lat, lon = UMEA_CENTRE
    return IncidentEvent.model_validate(
        {
            "event_id": event_id,
            "source": SourceKind.police,
            "reporter": POLICE_REPORTER,
            "category": category,
            "occurred_at": occurred,
            "reported_at": reported,
            "location": {"lat": lat, "lon": lon, "municipality": "Umeå", "precision": "municipality"},
        }
    )


K = TypeVar("K")


def _weighted(rng: random.Random, weights: dict[K, float]) -> K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]
