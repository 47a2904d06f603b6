"""Dead letters: what goes to `incidents.rejected`, with a machine-readable reason per event."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class RejectionReason(str, enum.Enum):
    """Why an event was refused. Stable names: dashboards and partners' integrations key on them."""

    invalid_json = "invalid_json"
    not_an_object = "not_an_object"
    unsupported_schema_version = "unsupported_schema_version"
    missing_field = "missing_field"
    unknown_field = "unknown_field"
    invalid_value = "invalid_value"
    unknown_category = "unknown_category"
    unknown_source = "unknown_source"
    naive_timestamp = "naive_timestamp"
    occurred_in_future = "occurred_in_future"
    reported_in_future = "reported_in_future"
    reported_before_occurred = "reported_before_occurred"
    missing_location = "missing_location"
    incomplete_point = "incomplete_point"
    location_outside_sweden = "location_outside_sweden"
    missing_municipality = "missing_municipality"
    unknown_site = "unknown_site"
    note_too_long = "note_too_long"
    outside_scope = "outside_scope"  # an agency reporting for a place, source or reporter not in its scope
    event_id_taken = "event_id_taken"  # another sender's event has this event_id
    unmapped_police_type = "unmapped_police_type"  # a police event type with no category of ours
    unknown_event_kind = "unknown_event_kind"  # surveys.reported: neither survey_wave nor pulse_answer
    unknown_area = "unknown_area"  # a survey wave for an area that is not registered
    unknown_question = "unknown_question"  # not in the question registry (schemas.survey.QUESTIONS)
    unknown_answer = "unknown_answer"  # an answer code the question does not have
    counts_do_not_add_up = "counts_do_not_add_up"  # answer counts that do not sum to the respondents
    period_reversed = "period_reversed"  # fielded_until before fielded_from
    duplicate_question = "duplicate_question"  # one question twice in one wave
    storage_failed = "storage_failed"  # valid on its face, refused by the database (a bug to look at)


class FieldError(BaseModel):
    """One problem with one field (dotted path, empty for the whole event)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    reason: RejectionReason
    message: str


class Rejection(BaseModel):
    """A dead letter: the original payload untouched, the first reason, and every field error."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: RejectionReason
    message: str
    errors: tuple[FieldError, ...]
    payload: str
    payload_encoding: str = "utf-8"
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    rejected_at: datetime
