"""UTC hour buckets, Europe/Stockholm days across daylight saving, and hourly count increments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import IncidentEvent
from trygg.domain.aggregation import CountKey, count_increments, first_of_each
from trygg.domain.buckets import STOCKHOLM, day_bucket, day_length, hour_bucket
from trygg.domain.placement import Placement

HOUR = timedelta(hours=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local_day(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=STOCKHOLM)


# --- day length ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        ((2024, 3, 31), 23),  # clocks forward 02:00 -> 03:00
        ((2024, 10, 27), 25),  # clocks back 03:00 -> 02:00
        ((2025, 3, 30), 23),
        ((2025, 10, 26), 25),
        ((2024, 3, 30), 24),
        ((2024, 4, 1), 24),
        ((2024, 10, 26), 24),
        ((2024, 10, 28), 24),
        ((2024, 7, 1), 24),
        ((2024, 12, 31), 24),
        ((2024, 2, 29), 24),
    ],
)
def test_day_length(day: tuple[int, int, int], hours: int) -> None:
    assert day_length(local_day(*day)) == timedelta(hours=hours)


def test_day_length_of_a_bucket_computed_from_an_event() -> None:
    assert day_length(day_bucket(utc("2024-10-27T12:00:00+00:00"))) == timedelta(hours=25)


def test_a_year_of_stockholm_days_is_exactly_a_year() -> None:
    day = local_day(2024, 1, 1)
    total = timedelta()
    for _ in range(366):
        total += day_length(day)
        day = day_bucket(day + timedelta(hours=25))  # into the next local day, then back to its midnight
    assert day == local_day(2025, 1, 1)
    assert total == timedelta(days=366)


# --- day and hour buckets around the switches ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        ("2024-03-31T01:30:00+00:00", (2024, 3, 31)),  # 03:30 local, just after clocks go forward
        ("2024-03-30T22:59:59+00:00", (2024, 3, 30)),  # 23:59:59 local (+01:00)
        ("2024-03-30T23:00:00+00:00", (2024, 3, 31)),  # local midnight (+01:00)
        ("2024-10-26T22:30:00+00:00", (2024, 10, 27)),  # 00:30 local (+02:00) on 27 Oct
        ("2024-10-26T21:59:59+00:00", (2024, 10, 26)),  # 23:59:59 local (+02:00)
        ("2024-10-27T22:59:59+00:00", (2024, 10, 27)),  # 23:59:59 local (+01:00), last second of the long day
        ("2024-10-27T23:00:00+00:00", (2024, 10, 28)),
        ("2024-06-30T23:30:00+02:00", (2024, 6, 30)),  # given in local offset already
    ],
)
def test_day_bucket_is_the_stockholm_calendar_day(moment: str, day: tuple[int, int, int]) -> None:
    bucket = day_bucket(datetime.fromisoformat(moment))

    assert bucket == local_day(*day)
    assert (bucket.year, bucket.month, bucket.day, bucket.hour, bucket.minute) == (*day, 0, 0)
    assert bucket.utcoffset() is not None


def test_repeated_hour_on_the_long_day_is_two_buckets_but_one_day() -> None:
    first = utc("2024-10-27T00:30:00+00:00")  # 02:30 local, summer time
    second = utc("2024-10-27T01:30:00+00:00")  # 02:30 local again, winter time

    assert first.astimezone(STOCKHOLM).strftime("%H:%M") == second.astimezone(STOCKHOLM).strftime("%H:%M")
    assert hour_bucket(first) == datetime(2024, 10, 27, 0, tzinfo=UTC)
    assert hour_bucket(second) == datetime(2024, 10, 27, 1, tzinfo=UTC)
    assert day_bucket(first) == day_bucket(second) == local_day(2024, 10, 27)


@pytest.mark.parametrize(
    ("moment", "hour"),
    [
        ("2024-05-01T14:59:59.999999+02:00", "2024-05-01T12:00:00+00:00"),
        ("2024-05-01T15:00:00+02:00", "2024-05-01T13:00:00+00:00"),
        ("2024-01-01T10:45:00+05:30", "2024-01-01T05:00:00+00:00"),  # half-hour offsets land in a UTC hour
        ("2024-03-31T03:10:00+02:00", "2024-03-31T01:00:00+00:00"),
    ],
)
def test_hour_bucket_is_the_start_of_the_utc_hour(moment: str, hour: str) -> None:
    bucket = hour_bucket(datetime.fromisoformat(moment))

    assert bucket == datetime.fromisoformat(hour)
    assert bucket.tzinfo is UTC


# --- properties over many instants -------------------------------------------------------------------------------

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
aware = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2035, 12, 31, 23, 59, 59),
    timezones=st.one_of(st.just(UTC), st.just(STOCKHOLM), offsets, st.timezones()),
)


@given(aware)
def test_every_stockholm_day_is_a_union_of_whole_utc_hours(moment: datetime) -> None:
    assert day_bucket(hour_bucket(moment)) == day_bucket(moment)
    start = day_bucket(moment).astimezone(UTC)
    assert (start.minute, start.second, start.microsecond) == (0, 0, 0)
    assert start <= hour_bucket(moment) <= moment
    assert moment - start < day_length(day_bucket(moment))


@given(aware)
def test_hour_bucket_contains_the_moment(moment: datetime) -> None:
    bucket = hour_bucket(moment)
    assert bucket <= moment < bucket + HOUR
    assert hour_bucket(bucket) == bucket


@given(st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2035, 12, 30).date()))
def test_day_length_is_the_gap_to_the_next_local_midnight(day) -> None:
    start = local_day(day.year, day.month, day.day)
    nxt = day + timedelta(days=1)
    length = day_length(start)

    assert length in {timedelta(hours=23), timedelta(hours=24), timedelta(hours=25)}
    assert start.astimezone(UTC) + length == local_day(nxt.year, nxt.month, nxt.day).astimezone(UTC)


# --- aggregation ---------------------------------------------------------------------------------------------------


def report(event_id: str, occurred_at: str, category: str = "shoplifting", source: str = "shop") -> IncidentEvent:
    return IncidentEvent.model_validate(
        {
            "event_id": event_id,
            "source": source,
            "reporter": "ica-alidhem-1",
            "category": category,
            "occurred_at": occurred_at,
            "reported_at": occurred_at,
            "location": {"lat": 63.812, "lon": 20.302},
        }
    )


IN_ALIDHEM = Placement(("alidhem", "kommun:umea"), 63.812, 20.302, "Umeå")
IDS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(10)]


def test_count_increments_per_area_category_source_and_utc_hour() -> None:
    placed = [
        (report(IDS[0], "2024-05-01T13:05:00+02:00"), IN_ALIDHEM),
        (report(IDS[1], "2024-05-01T13:55:00+02:00"), IN_ALIDHEM),  # same hour
        (report(IDS[2], "2024-05-01T14:00:00+02:00"), IN_ALIDHEM),  # next hour
        (report(IDS[3], "2024-05-01T13:10:00+02:00", category="graffiti"), IN_ALIDHEM),
        (report(IDS[4], "2024-05-01T13:20:00+02:00", source="police"), Placement(("kommun:umea",), None, None, "Umeå")),
        (report(IDS[5], "2024-05-01T13:30:00+02:00"), Placement((), 63.9, 20.1, None)),  # counted nowhere
    ]
    h11 = datetime(2024, 5, 1, 11, tzinfo=UTC)
    h12 = datetime(2024, 5, 1, 12, tzinfo=UTC)

    assert count_increments(placed) == {
        CountKey("alidhem", "shoplifting", "shop", h11): 2,
        CountKey("kommun:umea", "shoplifting", "shop", h11): 2,
        CountKey("alidhem", "shoplifting", "shop", h12): 1,
        CountKey("kommun:umea", "shoplifting", "shop", h12): 1,
        CountKey("alidhem", "graffiti", "shop", h11): 1,
        CountKey("kommun:umea", "graffiti", "shop", h11): 1,
        CountKey("kommun:umea", "shoplifting", "police", h11): 1,
    }


def test_count_increments_of_nothing_is_empty() -> None:
    assert not count_increments([])


def test_repeated_local_hour_is_counted_in_two_hours_of_one_day() -> None:
    placed = [
        (report(IDS[0], "2024-10-27T02:30:00+02:00"), IN_ALIDHEM),
        (report(IDS[1], "2024-10-27T02:30:00+01:00"), IN_ALIDHEM),
    ]

    increments = count_increments(placed)
    hours = sorted({key.hour for key in increments})

    assert hours == [datetime(2024, 10, 27, 0, tzinfo=UTC), datetime(2024, 10, 27, 1, tzinfo=UTC)]
    assert {day_bucket(h) for h in hours} == {local_day(2024, 10, 27)}
    assert sum(n for key, n in increments.items() if key.area_id == "alidhem") == 2


def test_first_of_each_keeps_the_first_of_a_repeated_event_id() -> None:
    first = report(IDS[0], "2024-05-01T13:05:00+02:00", category="theft")
    other = report(IDS[1], "2024-05-01T13:06:00+02:00")
    repeat = report(IDS[0], "2024-05-01T13:07:00+02:00", category="robbery")

    unique = first_of_each([first, other, repeat, other])

    assert unique == [first, other]
    assert unique[0] is first
