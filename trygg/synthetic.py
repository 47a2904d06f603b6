"""Seeded synthetic incident history with a known truth: the demo data and the ground truth of the effect tests.

Pure: the same agreements and `History` always give the same events (ids included); nothing is read or
written. The model, per agreement area and control area and Europe/Stockholm day d:

    incidents(d) ~ Poisson(rate * season(d) * weekday(d) * shared_shock(week) * area_shock(week) * after(d))

* `rate`: `agreement_daily_rate` or `control_daily_rate`, times a fixed per-area spread (0.8-1.25) when
  `spread` is on, so areas differ in size;
* `season`: 1 + `seasonal_amplitude` * cos(2 pi (day of year - 196) / 365.25), highest in mid-July;
* `weekday`: WEEKDAY_FACTOR (Friday and Saturday high, Sunday low), mean 1;
* `shared_shock`: a weekly gamma factor (mean 1, shape `shared_shock_shape`) common to an agreement area and
  its control areas (weather, holidays, a city-wide wave); `area_shock`: the same per area. Together they
  make counts overdispersed (gamma-Poisson, variance > mean), as real incident counts are;
* `after`: from `signed_at` on, in the agreement area only, each category's rate is multiplied by
  1 + `effects[category]` (e.g. -0.3 = a true 30 % drop); control areas never change.

An incident's category comes from CATEGORY_WEIGHTS, its reporting source from REPORTER_WEIGHTS (restricted to
the roles the area has partners for; control areas only have city-wide partners). With `reporting_rise`,
partners in the agreement area report 1 + rise times as many incidents from signing on (the same incidents
the police would not have seen): the observed all-source ratio rises while the police-only ratio still
shows the true effect. Local hours follow HOUR_WEIGHTS (mostly shop opening hours, 10-21). A small share
(`municipality_share`) of police events is known only to municipality precision.

Every area draws from its own random stream (seeded from `seed` and its id), so changing an effect changes
nothing in control areas and nothing before signing.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
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
SEASON_PEAK_DAY = 196  # mid-July: long light evenings, people out
SITE_SHARE = 0.05  # share of a sited partner's reports that name the site instead of a point


@dataclass(frozen=True)
class History:
    """What to generate: the days [first_day, last_day] and the model's parameters (see the module doc)."""

    first_day: date
    last_day: date
    seed: int = 7
    effects: Mapping[Category, float] = field(default_factory=dict)  # -0.3 = 30 % fewer from signing
    reporting_rise: float = 0.0  # +0.2 = partners report 20 % more in the agreement area from signing
    agreement_daily_rate: float = 1.6
    control_daily_rate: float = 1.1
    spread: bool = True
    seasonal_amplitude: float = 0.2
    shared_shock_shape: float = 40.0
    area_shock_shape: float = 40.0
    municipality_share: float = 0.01  # police events known only to the municipality, relative to all events

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("last_day must not be before first_day")
        if any(e <= -1 for e in self.effects.values()) or self.reporting_rise <= -1:
            raise ValueError("effects and reporting_rise must be greater than -1")


@dataclass(frozen=True)
class _Area:
    area_id: str
    geometry: BaseGeometry
    daily_rate: float
    signed_at: date | None  # None for control areas: no change at signing
    reporters: dict[SourceKind, list[str]]
    sites: dict[str, str]  # partner id -> site id
    cells_before: tuple[list[tuple[Category, SourceKind]], list[float]]
    cells_after: tuple[list[tuple[Category, SourceKind]], list[float]]


def load_sample_agreements(path: Path = SAMPLE_AGREEMENTS) -> list[Agreement]:
    """The agreements of a GeoJSON file, by default the Umeå sample (deploy/sample/umea-agreements.geojson)."""
    with path.open(encoding="utf-8") as f:
        return agreements_from_geojson(json.load(f))


def generate(agreements: Sequence[Agreement], history: History, *, now: datetime | None = None) -> list[IncidentEvent]:
    """The events of `history` for `agreements`, sorted by occurred_at; none after `now` (aware) if given."""
    if now is not None and (now.tzinfo is None or now.utcoffset() is None):
        raise ValueError("now must be timezone-aware")
    end = now or datetime.combine(history.last_day + timedelta(days=1), datetime.min.time(), STOCKHOLM)
    days = [history.first_day + timedelta(days=i) for i in range((history.last_day - history.first_day).days + 1)]
    events: list[IncidentEvent] = []
    total_rate = 0.0
    # An area happens once, however many agreements compare with it (an agreement's own area as itself).
    generated = {a.agreement_id for a in agreements}
    for agreement in agreements:
        shocks = _weekly_shocks(random.Random(f"{history.seed}:shared:{agreement.agreement_id}"), history,
                                history.shared_shock_shape, len(days))
        for area, rng in _areas(agreement, history):
            if area.signed_at is None and area.area_id in generated:
                continue
            generated.add(area.area_id)
            total_rate += area.daily_rate * sum(area.cells_before[1])
            events.extend(_area_events(rng, area, history, days, shocks, end))
    rng = random.Random(f"{history.seed}:municipality")
    for day in days:
        for _ in range(poisson(rng, history.municipality_share * total_rate * WEEKDAY_FACTOR[day.weekday()])):
            events.append(_municipality_event(rng, day, end))
    # Draws for incidents later than `now` are still made, so the history up to `now` does not shift.
    kept = [e for e in events if e.occurred_at <= end]
    kept.sort(key=lambda e: e.occurred_at)
    return kept


def true_effects(agreements: Sequence[Agreement], history: History) -> dict[str, Any]:
    """The true rate ratios (after/before signing, agreement area) per agreement and category, and for all
    categories together; `observed_*` include the rise in partner reporting, `police_*` is police-only."""
    result: dict[str, Any] = {}
    for agreement in agreements:
        reporters = _partner_roles(agreement)
        before = _cells(reporters, history, after=False, agreement_area=True)
        after = _cells(reporters, history, after=True, agreement_area=True)
        police_before = {c: w for (c, s), w in zip(*before, strict=True) if s is SourceKind.police}
        categories = {
            category.value: {
                "rate_ratio": 1 + history.effects.get(category, 0.0),
                "observed_rate_ratio": _ratio(after, before, category),
                "police_rate_ratio": 1 + history.effects.get(category, 0.0) if category in police_before else None,
            }
            for category in Category
        }
        weights = sum(CATEGORY_WEIGHTS.values())
        result[agreement.agreement_id] = {
            "signed_at": agreement.signed_at.isoformat(),
            "control_areas": [c.area_id for c in agreement.control_areas],
            "all": {
                "rate_ratio": sum(w * (1 + history.effects.get(c, 0.0)) for c, w in CATEGORY_WEIGHTS.items())
                / weights,
                "observed_rate_ratio": _ratio(after, before, None),
                "police_rate_ratio": sum(w * (1 + history.effects.get(c, 0.0)) for c, w in police_before.items())
                / sum(police_before.values()),
            },
            "categories": categories,
        }
    return result


def truth_document(agreements: Sequence[Agreement], history: History) -> dict[str, Any]:
    """The truth file written beside a generated history: parameters, seed and true effects."""
    parameters = asdict(history)
    parameters["effects"] = {c.value: e for c, e in history.effects.items()}
    for key in ("first_day", "last_day"):
        parameters[key] = parameters[key].isoformat()
    return {"seed": history.seed, "parameters": parameters, "agreements": true_effects(agreements, history)}


def _ratio(after: tuple[list, list[float]], before: tuple[list, list[float]], category: Category | None) -> float:
    def total(cells: tuple[list, list[float]]) -> float:
        return sum(w for (c, _), w in zip(*cells, strict=True) if category is None or c is category)

    return total(after) / total(before)


def _partner_roles(agreement: Agreement) -> dict[SourceKind, list[str]]:
    reporters: dict[SourceKind, list[str]] = {}
    for partner in agreement.partners:
        if partner.role is not PartnerRole.police:  # police reports always come from POLICE_REPORTER
            reporters.setdefault(SourceKind(partner.role.value), []).append(partner.id)
    return reporters


def _cells(
    reporters: Mapping[SourceKind, list[str]], history: History, *, after: bool, agreement_area: bool
) -> tuple[list[tuple[Category, SourceKind]], list[float]]:
    """(category, source) pairs and their expected share of a day's incidents (not normalised)."""
    cells: list[tuple[Category, SourceKind]] = []
    weights: list[float] = []
    for category, category_weight in CATEGORY_WEIGHTS.items():
        roles = {s: w for s, w in REPORTER_WEIGHTS[category].items() if s is SourceKind.police or s in reporters}
        if not roles:
            roles = {SourceKind.police: 1.0}
        effect = 1 + history.effects.get(category, 0.0) if after and agreement_area else 1.0
        for source, weight in roles.items():
            rise = 1 + history.reporting_rise if after and agreement_area and source is not SourceKind.police else 1.0
            cells.append((category, source))
            weights.append(category_weight * effect * rise * weight / sum(roles.values()))
    return cells, weights


def _areas(agreement: Agreement, history: History) -> Iterator[tuple[_Area, random.Random]]:
    reporters = _partner_roles(agreement)
    city_wide = {s: ids for s, ids in reporters.items() if PartnerRole(s.value) in CITY_WIDE_ROLES}
    total = sum(CATEGORY_WEIGHTS.values())
    areas = [(agreement.agreement_id, agreement.geometry, history.agreement_daily_rate, agreement.signed_at,
              reporters, {s.partner_id: s.site_id for s in agreement.sites})]
    areas += [(c.area_id, c.geometry, history.control_daily_rate, None, city_wide, {})
              for c in agreement.control_areas]
    for area_id, geometry, rate, signed_at, roles, sites in areas:
        rng = random.Random(f"{history.seed}:area:{area_id}")
        # Areas differ a little in size and trouble; the spread keeps the demo boards from looking uniform.
        daily_rate = rate * (rng.uniform(0.8, 1.25) if history.spread else 1.0) / total
        polygon = shape(geometry.model_dump())
        shapely.prepare(polygon)  # thousands of point-in-polygon tests follow
        is_agreement = signed_at is not None
        yield _Area(
            area_id, polygon, daily_rate, signed_at, roles, sites,
            _cells(roles, history, after=False, agreement_area=is_agreement),
            _cells(roles, history, after=True, agreement_area=is_agreement),
        ), rng


def _weekly_shocks(rng: random.Random, history: History, shape_: float, days: int) -> list[float]:
    """One gamma factor (mean 1, variance 1/shape) per 7 days of the history."""
    return [rng.gammavariate(shape_, 1 / shape_) for _ in range(days // 7 + 1)]


def _season(day: date, amplitude: float) -> float:
    return 1 + amplitude * math.cos(2 * math.pi * (day.timetuple().tm_yday - SEASON_PEAK_DAY) / 365.25)


def _area_events(
    rng: random.Random, area: _Area, history: History, days: list[date], shared: list[float], end: datetime
) -> Iterator[IncidentEvent]:
    own = _weekly_shocks(rng, history, history.area_shock_shape, len(days))
    totals = (sum(area.cells_before[1]), sum(area.cells_after[1]))
    for number, day in enumerate(days):
        after = area.signed_at is not None and day >= area.signed_at
        cells, weights = area.cells_after if after else area.cells_before
        rate = (area.daily_rate * totals[after] * _season(day, history.seasonal_amplitude)
                * WEEKDAY_FACTOR[day.weekday()] * shared[number // 7] * own[number // 7])
        for _ in range(poisson(rng, rate)):
            category, source = rng.choices(cells, weights=weights)[0]
            yield _area_event(rng, area, day, category, source, end)


def poisson(rng: random.Random, rate: float) -> int:
    """A Poisson draw by Knuth's method; fine for the small daily rates used here."""
    limit, k, p = math.exp(-rate), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _times(rng: random.Random, day: date, end: datetime) -> tuple[datetime, datetime]:
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=STOCKHOLM)
    # The round trip through UTC turns a time in the spring-forward gap into a real wall-clock time.
    occurred = local.astimezone(UTC).astimezone(STOCKHOLM)
    delay = timedelta(minutes=min(2 + rng.expovariate(1 / 90), 24 * 60))
    reported = max(occurred, min(occurred + delay, end))
    return occurred, reported


def _point_in(rng: random.Random, geometry: BaseGeometry) -> tuple[float, float]:
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    while True:
        lat, lon = round(rng.uniform(min_lat, max_lat), 6), round(rng.uniform(min_lon, max_lon), 6)
        if geometry.covers(Point(lon, lat)):  # rounded first, so the stored point is the tested one
            return lat, lon


def _area_event(
    rng: random.Random, area: _Area, day: date, category: Category, source: SourceKind, end: datetime
) -> IncidentEvent:
    event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    reporter = POLICE_REPORTER if source is SourceKind.police else rng.choice(area.reporters[source])
    occurred, reported = _times(rng, day, end)
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


def _municipality_event(rng: random.Random, day: date, end: datetime) -> IncidentEvent:
    event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    police_categories = {c: w[SourceKind.police] for c, w in REPORTER_WEIGHTS.items() if SourceKind.police in w}
    category = _weighted(rng, police_categories)
    occurred, reported = _times(rng, day, end)
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
