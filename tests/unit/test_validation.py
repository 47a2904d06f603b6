"""validate_event: raw Kafka bytes -> a valid IncidentEvent, or a Rejection with a precise, stable reason."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from schemas import NOTE_MAX_LENGTH, Category, IncidentEvent, Precision, Rejection, RejectionReason, SourceKind
from trygg.domain.validation import validate_event

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SKEW = timedelta(minutes=5)
KNOWN_SITES = {"ica-alidhem"}
EVENT_ID = "3f2b8c1e-2d4a-4b7e-9a51-0c6f1d2e3a4b"


def event(**overrides: Any) -> dict[str, Any]:
    """A valid shoplifting report in Umeå (14:00 local = 12:00 UTC is NOW; this one is an hour earlier)."""
    doc: dict[str, Any] = {
        "event_id": EVENT_ID,
        "schema_version": 1,
        "source": "shop",
        "reporter": "ica-alidhem-1",
        "category": "shoplifting",
        "occurred_at": "2024-05-01T13:00:00+02:00",
        "reported_at": "2024-05-01T13:05:00+02:00",
        "location": {"lat": 63.8167, "lon": 20.3083},
    }
    doc.update(overrides)
    return doc


def without(field: str) -> dict[str, Any]:
    doc = event()
    del doc[field]
    return doc


def encode(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def validate(raw: bytes) -> IncidentEvent | Rejection:
    return validate_event(raw, now=NOW, max_clock_skew=SKEW, known_sites=KNOWN_SITES)


# --- valid events --------------------------------------------------------------------------------------------


def test_valid_event_with_point_passes() -> None:
    result = validate(encode(event()))

    assert isinstance(result, IncidentEvent)
    assert result.event_id == uuid.UUID(EVENT_ID)
    assert result.category is Category.shoplifting
    assert result.source is SourceKind.shop
    assert result.occurred_at == datetime(2024, 5, 1, 11, 0, tzinfo=UTC)
    assert (result.location.lat, result.location.lon) == (63.8167, 20.3083)
    assert result.location.precision is Precision.point


def test_valid_event_with_registered_site_only_passes() -> None:
    result = validate(encode(event(location={"site_id": "ica-alidhem"})))

    assert isinstance(result, IncidentEvent)
    assert result.location.site_id == "ica-alidhem"
    assert result.location.lat is None and result.location.lon is None


@pytest.mark.parametrize(
    "location",
    [
        {"municipality": "Umeå", "precision": "municipality"},
        {"lat": 63.8258, "lon": 20.2630, "municipality": "Umeå", "precision": "municipality"},
    ],
    ids=["name-only", "with-town-centre-point"],
)
def test_valid_event_with_municipality_precision_passes(location: dict[str, Any]) -> None:
    result = validate(encode(event(source="police", reporter="polisen-nord", location=location)))

    assert isinstance(result, IncidentEvent)
    assert result.location.precision is Precision.municipality
    assert result.location.municipality == "Umeå"


def test_schema_version_may_be_omitted() -> None:
    doc = without("schema_version")
    assert isinstance(validate(encode(doc)), IncidentEvent)


# --- one example per rejection reason ---------------------------------------------------------------------------

REJECTION_CASES = [
    pytest.param(RejectionReason.invalid_json, b'{"event_id": ', "", id="invalid_json-truncated"),
    pytest.param(RejectionReason.invalid_json, b"", "", id="invalid_json-empty"),
    pytest.param(RejectionReason.not_an_object, encode([event()]), "", id="not_an_object-list"),
    pytest.param(RejectionReason.not_an_object, b'"shoplifting"', "", id="not_an_object-string"),
    pytest.param(
        RejectionReason.unsupported_schema_version, encode(event(schema_version=2)), "schema_version", id="v2"
    ),
    pytest.param(RejectionReason.missing_field, encode(without("occurred_at")), "occurred_at", id="missing_field"),
    pytest.param(RejectionReason.unknown_field, encode(event(priority="high")), "priority", id="unknown_field"),
    pytest.param(RejectionReason.invalid_value, encode(event(event_id="not-a-uuid")), "event_id", id="bad-uuid"),
    pytest.param(
        RejectionReason.invalid_value,
        encode(event(location={"lat": "abc", "lon": 20.3})),
        "location.lat",
        id="lat-not-a-number",
    ),
    pytest.param(RejectionReason.unknown_category, encode(event(category="arson")), "category", id="unknown_category"),
    pytest.param(RejectionReason.unknown_source, encode(event(source="bank")), "source", id="unknown_source"),
    pytest.param(
        RejectionReason.naive_timestamp,
        encode(event(occurred_at="2024-05-01T13:00:00")),
        "occurred_at",
        id="naive_timestamp",
    ),
    pytest.param(
        RejectionReason.occurred_in_future,
        encode(event(occurred_at="2024-05-01T15:00:00+02:00", reported_at="2024-05-01T15:00:00+02:00")),
        "occurred_at",
        id="occurred_in_future",
    ),
    pytest.param(
        RejectionReason.reported_in_future,
        encode(event(reported_at="2099-05-01T15:00:00+02:00")),
        "reported_at",
        id="reported_in_future",
    ),
    pytest.param(
        RejectionReason.invalid_value,
        encode(event(occurred_at=1714560000)),
        "occurred_at",
        id="unix-number-is-not-a-timestamp",
    ),
    pytest.param(
        RejectionReason.invalid_value,
        encode(event(occurred_at="1899-05-01T15:00:00+02:00", reported_at="1899-05-01T15:00:00+02:00")),
        "occurred_at",
        id="before-2000-is-a-typo",
    ),
    pytest.param(
        RejectionReason.invalid_value, encode(event(note="a\u0000b")), "note", id="nul-in-text-postgres-refuses"
    ),
    pytest.param(
        RejectionReason.reported_before_occurred,
        encode(event(reported_at="2024-05-01T12:59:00+02:00")),
        "",  # a whole-event check: neither timestamp alone is wrong
        id="reported_before_occurred",
    ),
    pytest.param(RejectionReason.missing_location, encode(event(location={})), "location", id="missing_location"),
    pytest.param(
        RejectionReason.incomplete_point, encode(event(location={"lat": 63.82})), "location", id="incomplete_point"
    ),
    pytest.param(
        RejectionReason.location_outside_sweden,
        encode(event(location={"lat": 56.5, "lon": 3.0})),
        "location",
        id="north-sea",
    ),
    pytest.param(
        RejectionReason.location_outside_sweden,
        encode(event(location={"lat": 20.3083, "lon": 63.8167})),
        "location",
        id="swapped-lat-lon",
    ),
    pytest.param(
        RejectionReason.missing_municipality,
        encode(event(location={"lat": 63.82, "lon": 20.26, "precision": "municipality"})),
        "location",
        id="missing_municipality",
    ),
    pytest.param(
        RejectionReason.unknown_site,
        encode(event(location={"site_id": "coop-nowhere"})),
        "location.site_id",
        id="unknown_site",
    ),
    pytest.param(
        RejectionReason.note_too_long,
        encode(event(note="x" * (NOTE_MAX_LENGTH + 1))),
        "note",
        id="note_too_long",
    ),
]


def test_every_rejection_reason_has_an_example() -> None:
    from tests.unit.test_surveys import SURVEY_CASES

    covered = {case.values[0] for case in REJECTION_CASES} | {case[0] for case in SURVEY_CASES}
    # Survey reasons have their examples in tests/unit/test_surveys.py. storage_failed is decided by the database, not by validation: tests/integration/test_faults.py covers it.
    # outside_scope and unmapped_police_type are the police feed's (tests/unit/test_police_intake.py),
    # event_id_taken the outbox's (tests/integration/test_tenant_rules.py).
    missing = set(RejectionReason) - covered - {
        RejectionReason.storage_failed, RejectionReason.outside_scope, RejectionReason.unmapped_police_type,
        RejectionReason.event_id_taken,
    }
    assert not missing, f"add an example payload to REJECTION_CASES for: {sorted(r.value for r in missing)}"


@pytest.mark.parametrize(("reason", "raw", "field"), REJECTION_CASES)
def test_rejection_names_reason_field_and_keeps_payload(reason: RejectionReason, raw: bytes, field: str) -> None:
    result = validate(raw)

    assert isinstance(result, Rejection), f"expected a rejection, got {result!r}"
    assert result.reason is reason
    assert result.errors[0].reason is reason
    assert result.errors[0].field == field
    # a person reading the dead letter sees which field and why, in words
    assert result.errors[0].message.strip()
    assert result.message.strip()
    assert result.message != reason.value
    if field:
        assert result.message.startswith(f"{field}: ")
    # the original message is kept untouched for replay
    assert result.payload == raw.decode("utf-8")
    assert result.payload_encoding == "utf-8"
    assert result.rejected_at == NOW


def test_note_of_exactly_max_length_passes() -> None:
    assert isinstance(validate(encode(event(note="x" * NOTE_MAX_LENGTH))), IncidentEvent)


def test_reported_at_naive_is_named_by_its_own_field() -> None:
    result = validate(encode(event(reported_at="2024-05-01T13:05:00")))

    assert isinstance(result, Rejection)
    assert (result.reason, result.errors[0].field) == (RejectionReason.naive_timestamp, "reported_at")


@pytest.mark.parametrize(
    "raw",
    [b'{"note": "caf\xe9"}', b"\xc3\x28", b"\xff\xfe\x00{"],
    ids=["latin1-in-json", "broken-sequence", "stray-bom"],
)
def test_bad_utf8_is_invalid_json_and_payload_kept_as_hex(raw: bytes) -> None:
    result = validate(raw)

    assert isinstance(result, Rejection)
    assert result.reason is RejectionReason.invalid_json
    assert result.message.strip()
    assert result.payload_encoding == "hex"
    assert result.payload == raw.hex()
    assert bytes.fromhex(result.payload) == raw


def test_non_ascii_payload_is_kept_verbatim() -> None:
    raw = encode(event(category="rån", note="Väktare på plats"))

    result = validate(raw)

    assert isinstance(result, Rejection)
    assert result.reason is RejectionReason.unknown_category
    assert result.payload == raw.decode("utf-8")
    assert "Väktare på plats" in result.payload


def test_all_errors_of_one_event_are_listed() -> None:
    doc = event(category="arson", source="bank", priority="high", location={"lat": 63.82})
    del doc["reporter"]

    result = validate(encode(doc))

    assert isinstance(result, Rejection)
    found = {(e.field, e.reason) for e in result.errors}
    assert found == {
        ("reporter", RejectionReason.missing_field),
        ("category", RejectionReason.unknown_category),
        ("source", RejectionReason.unknown_source),
        ("priority", RejectionReason.unknown_field),
        ("location", RejectionReason.incomplete_point),
    }
    assert result.reason is result.errors[0].reason
    assert all(e.message.strip() for e in result.errors)


def test_event_exactly_at_the_clock_skew_limit_passes() -> None:
    limit = (NOW + SKEW).isoformat()
    assert isinstance(validate(encode(event(occurred_at=limit, reported_at=limit))), IncidentEvent)


def test_event_one_second_past_the_clock_skew_limit_is_rejected() -> None:
    late = (NOW + SKEW + timedelta(seconds=1)).isoformat()

    result = validate(encode(event(occurred_at=late, reported_at=late)))

    assert isinstance(result, Rejection)
    assert result.reason is RejectionReason.occurred_in_future
    assert result.errors[0].field == "occurred_at"


def test_clock_skew_limit_holds_in_any_offset() -> None:
    """The same instant written in Stockholm summer time is judged the same as in UTC."""
    cest = timezone(timedelta(hours=2))
    limit_local = (NOW + SKEW).astimezone(cest).isoformat()
    late_local = (NOW + SKEW + timedelta(seconds=1)).astimezone(cest).isoformat()

    assert isinstance(validate(encode(event(occurred_at=limit_local, reported_at=limit_local))), IncidentEvent)
    assert validate(encode(event(occurred_at=late_local, reported_at=late_local))).reason is (
        RejectionReason.occurred_in_future
    )


@pytest.mark.parametrize(
    "raw",
    [b"null", b"42", b"true", b"{}", b'{"location": null}', b'{"event_id": []}', b"\x00", b"{" * 50, b"[]"],
)
def test_never_raises_on_junk(raw: bytes) -> None:
    result = validate(raw)
    assert isinstance(result, Rejection)
    assert result.errors and result.message.strip()


@pytest.mark.parametrize("raw, claims", [
    (b'{"event_id": "7f6e2c7e-9a43-4d0b-9a1e-0c3c1b1f2a10", "category": "x"}', True),
    (b'{"event_id": "not-a-uuid"}', False),
    (b'{"event_id": 7}', False),
    (b'["7f6e2c7e-9a43-4d0b-9a1e-0c3c1b1f2a10"]', False),
    (b'{broken', False),
    (b'\xff\xfe', False),  # not UTF-8: kept as hex, cannot be an outbox message
])
def test_a_rejected_message_names_the_event_id_it_claims_and_its_exact_bytes(raw: bytes, claims: bool) -> None:
    from trygg.domain.batches import RejectedRow

    outcome = validate_event(raw, now=NOW, max_clock_skew=timedelta(minutes=5), known_sites=set())
    assert isinstance(outcome, Rejection)
    claimed = RejectedRow(0, 0, outcome).claimed_event()
    assert claimed == ((uuid.UUID("7f6e2c7e-9a43-4d0b-9a1e-0c3c1b1f2a10"), raw) if claims else None)
