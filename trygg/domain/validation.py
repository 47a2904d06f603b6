"""Turn raw bytes from Kafka into a valid IncidentEvent or a Rejection with a precise reason."""

from __future__ import annotations

from collections.abc import Container
from datetime import datetime, timedelta

from pydantic import ValidationError

from schemas import FieldError, IncidentEvent, Rejection, RejectionReason
from trygg.domain.free_text import scrub_free_text
from trygg.domain.sweden import inside_sweden

# pydantic's built-in error types that map onto one of our reasons; our own validators raise
# PydanticCustomError whose type already *is* a RejectionReason value.
_PYDANTIC_REASONS = {
    "missing": RejectionReason.missing_field,
    "extra_forbidden": RejectionReason.unknown_field,
    "timezone_aware": RejectionReason.naive_timestamp,
}
_REASON_VALUES = {r.value for r in RejectionReason}
_MESSAGES = {
    RejectionReason.naive_timestamp: "timestamp has no timezone offset; send e.g. 2024-05-01T14:30:00+02:00",
}


def field_error(error: dict) -> FieldError:
    """One pydantic error as a FieldError with our reason."""
    field = ".".join(str(p) for p in error["loc"])
    if error["type"] == "json_invalid":
        return FieldError(field="", reason=RejectionReason.invalid_json, message=error["msg"])
    if error["type"] == "model_type" and not error["loc"]:
        message = "expected a JSON object"
        return FieldError(field="", reason=RejectionReason.not_an_object, message=message)
    reason = _reason_for(error)
    message = _MESSAGES.get(reason, error["msg"])
    return FieldError(field=field, reason=reason, message=message)


def _reason_for(error: dict) -> RejectionReason:
    kind = error["type"]
    loc = tuple(str(p) for p in error["loc"])
    if kind in _REASON_VALUES:
        return RejectionReason(kind)
    if kind in _PYDANTIC_REASONS:
        return _PYDANTIC_REASONS[kind]
    if loc == ("schema_version",):
        return RejectionReason.unsupported_schema_version
    if loc == ("category",):
        return RejectionReason.unknown_category
    if loc == ("source",):
        return RejectionReason.unknown_source
    if loc == ("note",) and kind == "string_too_long":
        return RejectionReason.note_too_long
    return RejectionReason.invalid_value


def _decode_payload(raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.hex(), "hex"


def reject(raw: bytes, errors: list[FieldError], now: datetime) -> Rejection:
    """Build the dead letter for `raw`; the first error is the headline reason."""
    text, encoding = _decode_payload(raw)
    first = errors[0]
    where = f"{first.field}: " if first.field else ""
    return Rejection(
        reason=first.reason,
        message=where + first.message,
        errors=tuple(errors),
        payload=text,
        payload_encoding=encoding,
        rejected_at=now,
    )


def reject_if_not_utf8(raw: bytes, now: datetime) -> Rejection | None:
    """The dead letter for a payload that is not UTF-8 text, else None."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"payload is not UTF-8 text (byte {exc.start})"
        return reject(raw, [FieldError(field="", reason=RejectionReason.invalid_json, message=message)], now)
    return None


def validate_event(
    raw: bytes, *, now: datetime, max_clock_skew: timedelta, known_sites: Container[str]
) -> IncidentEvent | Rejection:
    """Validate one raw message. Never raises: every failure becomes a Rejection."""
    if (not_text := reject_if_not_utf8(raw, now)) is not None:
        return not_text
    try:
        # Strict: a Unix number is not a timestamp, `true` is not a coordinate or a version.
        event = IncidentEvent.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        errors = [field_error(err) for err in exc.errors(include_url=False, include_input=False)]
        return reject(raw, errors, now)
    future = [
        FieldError(field=name, reason=reason, message=f"{moment.isoformat()} lies in the future")
        for name, moment, reason in (
            ("occurred_at", event.occurred_at, RejectionReason.occurred_in_future),
            ("reported_at", event.reported_at, RejectionReason.reported_in_future),
        )
        if moment > now + max_clock_skew
    ]
    if future:
        return reject(raw, future, now)
    location = event.location
    # The schema checks Sweden's bounding box; this is its outline (the box holds Oslo and Copenhagen).
    if location.lat is not None and not inside_sweden(location.lat, location.lon):  # type: ignore[arg-type]
        error = FieldError(field="location", reason=RejectionReason.location_outside_sweden,
                           message=f"point {location.lat},{location.lon} lies outside Sweden")
        return reject(raw, [error], now)
    site_id = event.location.site_id
    if site_id is not None and site_id not in known_sites:
        error = FieldError(
            field="location.site_id", reason=RejectionReason.unknown_site, message=f"no registered site {site_id!r}"
        )
        return reject(raw, [error], now)
    if event.note is not None:
        # Every entry point passes here, so no note is stored with an address or number in it.
        note = scrub_free_text(event.note) or None
        if note != event.note:
            event = event.model_copy(update={"note": note})
    return event
