"""The Umeå sample agreements and the seeded demo history built on them."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from schemas import Agreement, IncidentEvent, PartnerRole, Precision
from trygg.demo import demo_events, load_sample_agreements
from trygg.domain.buckets import STOCKHOLM
from trygg.domain.placement import AreaIndex

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=STOCKHOLM)


@pytest.fixture(scope="module")
def agreements() -> list[Agreement]:
    return load_sample_agreements()


@pytest.fixture(scope="module")
def events(agreements: list[Agreement]) -> list[IncidentEvent]:
    return demo_events(agreements, now=NOW)


def _polygons(agreements: list[Agreement]) -> dict[str, BaseGeometry]:
    polygons: dict[str, BaseGeometry] = {}
    for agreement in agreements:
        polygons[agreement.agreement_id] = shape(agreement.geometry.model_dump())
        for control in agreement.control_areas:
            polygons[control.area_id] = shape(control.geometry.model_dump())
    return polygons


def test_sample_file_parses(agreements: list[Agreement]) -> None:
    assert len(agreements) >= 3
    assert {a.municipality for a in agreements} == {"Umeå"}
    for agreement in agreements:
        assert 3 <= len(agreement.partners) <= 6
        assert 2 <= len(agreement.measures) <= 3
        assert 1 <= len(agreement.control_areas) <= 2
        assert 2 <= len(agreement.sites) <= 4


def test_polygons_are_valid_and_counter_clockwise(agreements: list[Agreement]) -> None:
    for area_id, polygon in _polygons(agreements).items():
        assert polygon.is_valid, area_id
        assert polygon.exterior.is_ccw, area_id


def test_no_areas_overlap(agreements: list[Agreement]) -> None:
    for (a, pa), (b, pb) in itertools.combinations(_polygons(agreements).items(), 2):
        assert not pa.intersects(pb), (a, b)


def test_sites_lie_in_their_agreement_area_and_belong_to_shops_or_schools(agreements: list[Agreement]) -> None:
    for agreement in agreements:
        area = shape(agreement.geometry.model_dump())
        roles = {p.id: p.role for p in agreement.partners}
        for site in agreement.sites:
            assert area.covers(Point(site.lon, site.lat)), site.site_id
            assert roles[site.partner_id] in (PartnerRole.shop, PartnerRole.school), site.site_id


def test_demo_events_are_deterministic(agreements: list[Agreement], events: list[IncidentEvent]) -> None:
    again = demo_events(agreements, now=NOW)
    assert [e.model_dump() for e in again] == [e.model_dump() for e in events]
    other_seed = demo_events(agreements, now=NOW, days=30, seed=8)
    assert {e.event_id for e in other_seed}.isdisjoint(e.event_id for e in events)


def test_demo_events_are_valid_and_in_the_past(agreements: list[Agreement], events: list[IncidentEvent]) -> None:
    assert 4_000 <= len(events) <= 8_000
    assert len({e.event_id for e in events}) == len(events)
    first_day = NOW.date() - timedelta(days=539)
    index = AreaIndex.from_agreements(agreements)
    for event in events:
        assert isinstance(event, IncidentEvent)
        assert event.occurred_at <= event.reported_at <= NOW
        assert event.occurred_at.astimezone(STOCKHOLM).date() >= first_day
        # Placement resolves every site id, and a point event lands in exactly one area plus the municipality.
        placement = index.place(event)
        if event.location.precision is Precision.point:
            assert len(placement.area_ids) == 2, event
    assert any(e.location.site_id is not None and e.location.lat is None for e in events)
    municipality_only = [e for e in events if e.location.precision is Precision.municipality]
    assert 0.005 * len(events) <= len(municipality_only) <= 0.02 * len(events)
    categories = Counter(e.category for e in events)
    assert categories.most_common(1)[0][0].value == "shoplifting"


def _daily_rates(
    events: list[IncidentEvent], index: AreaIndex, area_ids: set[str], split: date, first: date, last: date
) -> tuple[float, float]:
    """Events a day in any of `area_ids` before `split` and from `split` on."""
    before = after = 0
    for event in events:
        if area_ids.intersection(index.place(event).area_ids):
            if event.occurred_at.astimezone(STOCKHOLM).date() < split:
                before += 1
            else:
                after += 1
    return before / (split - first).days, after / ((last - split).days + 1)


def test_agreement_areas_drop_after_signing_and_controls_do_not(agreements: list[Agreement]) -> None:
    # A longer history than the default gives every before-period enough days for a stable rate, and the
    # controls are pooled per agreement (as the comparison uses them) to keep Poisson noise well under 10 %.
    days = 900
    events = demo_events(agreements, now=NOW, days=days)
    index = AreaIndex.from_agreements(agreements)
    first, last = NOW.date() - timedelta(days=days - 1), NOW.date()
    for agreement in agreements:
        split = agreement.signed_at
        assert first < split <= last
        before, after = _daily_rates(events, index, {agreement.agreement_id}, split, first, last)
        assert after < 0.9 * before, agreement.agreement_id
        controls = {c.area_id for c in agreement.control_areas}
        before, after = _daily_rates(events, index, controls, split, first, last)
        assert after >= 0.9 * before, agreement.agreement_id


def test_sample_signings_fall_inside_the_default_demo_history(agreements: list[Agreement]) -> None:
    first = NOW.date() - timedelta(days=539)
    assert all(first < a.signed_at < NOW.date() for a in agreements)


def test_now_must_be_aware(agreements: list[Agreement]) -> None:
    with pytest.raises(ValueError):
        demo_events(agreements, now=datetime(2026, 11, 26))
