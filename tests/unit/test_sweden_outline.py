"""Attack (issue 16, item 9): "inside Sweden" was a rectangle, so events placed in Oslo, Copenhagen, Åland
and Tornio were accepted as Swedish. Now the outline decides, on every entry point (validation) and the form."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from schemas import IncidentEvent, Rejection, RejectionReason
from trygg.domain.intake import parse_report
from trygg.domain.validation import validate_event

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

ABROAD = {
    "Oslo": (59.9139, 10.7522),
    "Copenhagen": (55.6761, 12.5683),
    "Mariehamn (Åland)": (60.0973, 19.9348),
    "Tornio": (65.8486, 24.1472),
    "Helsingør": (56.0361, 12.6136),
}
SWEDEN = {
    "Haparanda": (65.8355, 24.1368),
    "Smygehuk": (55.3375, 13.3592),
    "Treriksröset": (69.0600, 20.5489),
    "Visby (Gotland)": (57.6348, 18.2948),
    "Borgholm (Öland)": (56.8792, 16.6560),
    "Landsort (outer skerry)": (58.7418, 17.8689),
    "Ålidhem": (63.8155, 20.2955),
}


def validated(lat: float, lon: float) -> IncidentEvent | Rejection:
    doc = {"event_id": "3f2b8c1e-2d4a-4b7e-9a51-0c6f1d2e3a4b", "source": "police", "reporter": "polisen",
           "category": "theft", "occurred_at": "2024-05-01T13:00:00+02:00",
           "reported_at": "2024-05-01T13:05:00+02:00", "location": {"lat": lat, "lon": lon}}
    return validate_event(json.dumps(doc).encode(), now=NOW, max_clock_skew=timedelta(minutes=5), known_sites=())


def pin(lat: float, lon: float) -> dict[str, str]:
    form = {"category": "theft", "date": "2024-05-01", "time": "13:00", "where": "pin", "lat": str(lat), "lon": str(lon)}
    return parse_report(form, now=NOW, max_count=20)[1]


@pytest.mark.parametrize("place", ABROAD)
def test_points_abroad_inside_the_old_rectangle_are_refused(place: str) -> None:
    result = validated(*ABROAD[place])
    assert isinstance(result, Rejection)
    assert result.reason is RejectionReason.location_outside_sweden
    assert pin(*ABROAD[place]) == {"where": "pin_outside_sweden"}


@pytest.mark.parametrize("place", SWEDEN)
def test_points_at_sweden_s_edges_and_islands_are_accepted(place: str) -> None:
    assert isinstance(validated(*SWEDEN[place]), IncidentEvent)
    assert pin(*SWEDEN[place]) == {}
