"""Perceived safety without I/O: survey files into wave events (with a reason per bad row), and validation of
what arrives on `surveys.reported`.

Survey files (CSV or JSON, see README "Perceived safety") hold one row per area, wave, question and answer,
in one of three forms, told apart by the header: with a `count` column (respondents giving that answer),
with `share` and `respondents` (the share of the question's respondents giving it), or with neither
(microdata: one row per respondent). Microdata is counted here and never leaves this module row by row.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import TypeAdapter, ValidationError

from schemas import FieldError, Rejection, RejectionReason
from schemas.survey import QUESTIONS, PerceivedSafetyEvent, PulseAnswerEvent, QuestionResult, SurveyWaveEvent
from trygg.domain.validation import field_error, reject, reject_if_not_utf8

KEY_COLUMNS = ("area_id", "wave", "fielded_from", "fielded_until", "question_id", "answer")
COLUMNS = (*KEY_COLUMNS, "count", "share", "respondents")
SHARE_TOLERANCE = 0.01  # shares of one question must add up to 1 within this (rounded percentages)


@dataclass(frozen=True)
class RowError:
    """Why one row of a survey file was refused (row 1 is the first data row; 0 for the file as a whole)."""

    row: int
    field: str
    reason: str
    message: str


@dataclass(frozen=True)
class ParsedFile:
    waves: list[SurveyWaveEvent]
    errors: list[RowError]
    form: str  # 'count', 'share' or 'microdata'
    rows: int


def file_form(columns: Iterable[str]) -> str:
    """'count', 'share' or 'microdata', from the columns a file has."""
    present = set(columns)
    if "count" in present:
        return "count"
    return "share" if "share" in present else "microdata"


def _date(value: str) -> date:
    return date.fromisoformat(value)


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("not a whole number")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError("not a whole number")
    return int(text)


def _share(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("not a number")
    share = float(str(value).replace(",", "."))
    if not math.isfinite(share) or not 0 <= share <= 1:
        raise ValueError("not a share between 0 and 1")
    return share


def counts_from_shares(shares: Mapping[int, float], respondents: int) -> dict[int, int]:
    """Respondents per answer from rounded shares: largest remainders, so the counts add up to `respondents`."""
    exact = {answer: share * respondents / (sum(shares.values()) or 1) for answer, share in shares.items()}
    counts = {answer: math.floor(value) for answer, value in exact.items()}
    missing = respondents - sum(counts.values())
    for answer in sorted(exact, key=lambda a: (counts[a] - exact[a], a))[:missing]:
        counts[answer] += 1
    return counts


def parse_survey_rows(
    rows: list[Mapping[str, object]],
    columns: Iterable[str],
    *,
    known_areas: Container[str],
    imported_at: datetime,
    new_id: Callable[[], uuid.UUID] = uuid.uuid4,
) -> ParsedFile:
    """Turn a survey file's rows into one wave event per (area, wave), or refuse it with a reason per bad row.

    All or nothing: with any error, no waves are returned. Every wave of the file carries `imported_at`,
    so a later import of the same (area, wave) replaces it.
    """
    columns = list(columns)
    form = file_form(columns)
    errors: list[RowError] = []
    unknown = [c for c in columns if c not in COLUMNS]
    required = [*KEY_COLUMNS, *({"count": ["count"], "share": ["share", "respondents"]}.get(form, []))]
    for name in unknown:
        errors.append(RowError(0, name, "unknown_column", f"unknown column {name!r}; the columns are {', '.join(COLUMNS)}"))
    for name in required:
        if name not in columns:
            errors.append(RowError(0, name, "missing_column", f"the file has no {name!r} column"))
    if errors:
        return ParsedFile([], errors, form, len(rows))

    periods: dict[tuple[str, str], tuple[date, date, int]] = {}
    # (area, wave, question) -> answer -> count or share, with the rows that gave them
    values: dict[tuple[str, str, str], dict[int, float]] = defaultdict(dict)
    respondents: dict[tuple[str, str, str], tuple[int, int]] = {}
    first_row: dict[tuple[str, str, str], int] = {}
    for number, row in enumerate(rows, start=1):
        def bad(field: str, reason: str, message: str, number: int = number) -> None:
            errors.append(RowError(number, field, reason, message))

        cells = {name: ("" if row.get(name) is None else str(row.get(name)).strip()) for name in columns}
        missing = [name for name in required if not cells[name]]
        if missing:
            bad(missing[0], "missing_value", f"{missing[0]} is empty")
            continue
        area, wave, question_id = cells["area_id"], cells["wave"], cells["question_id"]
        try:
            start, end = _date(cells["fielded_from"]), _date(cells["fielded_until"])
        except ValueError:
            bad("fielded_from", "invalid_date", "fielded_from and fielded_until must be dates like 2025-03-31")
            continue
        if end < start:
            bad("fielded_until", "period_reversed", f"fielded_until {end} is earlier than fielded_from {start}")
            continue
        if area not in known_areas:
            bad("area_id", "unknown_area", f"no registered area {area!r} (an agreement, control area or kommun:<name>)")
            continue
        question = QUESTIONS.get(question_id)
        if question is None:
            bad("question_id", "unknown_question", f"no registered question {question_id!r}; see README")
            continue
        try:
            answer = _int(cells["answer"])
        except ValueError:
            bad("answer", "unknown_answer", f"answer {cells['answer']!r} is not an answer code of {question_id}")
            continue
        if answer not in question.answers:
            codes = ", ".join(str(c) for c in sorted(question.answers))
            bad("answer", "unknown_answer", f"answer {answer} is not an option of {question_id} (options {codes})")
            continue
        period = periods.setdefault((area, wave), (start, end, number))
        if period[:2] != (start, end):
            bad("fielded_from", "conflicting_period",
                f"wave {wave} of {area} was given the period {period[0]}–{period[1]} in row {period[2]}")
            continue
        key = (area, wave, question_id)
        first_row.setdefault(key, number)
        if form == "microdata":
            values[key][answer] = values[key].get(answer, 0) + 1
            continue
        if answer in values[key]:
            bad("answer", "duplicate_answer", f"answer {answer} of {question_id} in wave {wave} of {area} appears twice")
            continue
        try:
            values[key][answer] = _int(cells["count"]) if form == "count" else _share(cells["share"])
        except ValueError as exc:
            bad(form, "invalid_count" if form == "count" else "invalid_share", f"{form} {cells[form]!r}: {exc}")
            continue
        if cells.get("respondents"):
            try:
                n = _int(cells["respondents"])
            except ValueError:
                bad("respondents", "invalid_count", f"respondents {cells['respondents']!r}: not a whole number")
                continue
            seen = respondents.setdefault(key, (n, number))
            if seen[0] != n:
                bad("respondents", "respondents_mismatch", f"respondents {n} here, {seen[0]} in row {seen[1]}")
                continue

    results: dict[tuple[str, str], list[QuestionResult]] = defaultdict(list)
    for key, by_answer in values.items():
        row = first_row[key]
        if form == "share":
            total = sum(by_answer.values())
            if abs(total - 1) > SHARE_TOLERANCE:
                errors.append(RowError(row, "share", "shares_do_not_add_up",
                                       f"the shares of {key[2]} in wave {key[1]} of {key[0]} add up to {total:.3f}, not 1"))
                continue
            counts = counts_from_shares(by_answer, respondents[key][0])
        else:
            counts = {answer: int(n) for answer, n in by_answer.items()}
        n = respondents.get(key, (sum(counts.values()), row))[0]
        if form == "count" and sum(counts.values()) != n:
            errors.append(RowError(row, "count", "counts_do_not_add_up",
                                   f"the counts of {key[2]} in wave {key[1]} of {key[0]} add up to "
                                   f"{sum(counts.values())}, not to respondents {n}"))
            continue
        if n == 0:
            errors.append(RowError(row, "count", "no_respondents", f"{key[2]} in wave {key[1]} of {key[0]} has no respondents"))
            continue
        results[key[:2]].append(QuestionResult(question_id=key[2], respondents=n, counts=counts))
    if errors:
        return ParsedFile([], sorted(errors, key=lambda e: (e.row, e.field)), form, len(rows))
    waves = [
        SurveyWaveEvent(event_id=new_id(), area_id=area, wave=wave, fielded_from=periods[(area, wave)][0],
                        fielded_until=periods[(area, wave)][1], imported_at=imported_at,
                        results=tuple(sorted(found, key=lambda r: r.question_id)))
        for (area, wave), found in sorted(results.items())
    ]
    return ParsedFile(waves, [], form, len(rows))


_EVENT = TypeAdapter(PerceivedSafetyEvent)


def validate_perceived_safety(
    raw: bytes, *, now: datetime, known_areas: Container[str], known_sites: Container[str]
) -> SurveyWaveEvent | PulseAnswerEvent | Rejection:
    """Validate one message of `surveys.reported`. Never raises: every failure becomes a Rejection."""
    if (not_text := reject_if_not_utf8(raw, now)) is not None:
        return not_text
    try:
        event = _EVENT.validate_json(raw, strict=True)
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False, include_input=False):
            if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
                errors.append(FieldError(field="kind", reason=RejectionReason.unknown_event_kind,
                                         message="kind must be 'survey_wave' or 'pulse_answer'"))
            else:
                # The first location element is the union's tag (e.g. 'survey_wave'), not a field.
                errors.append(field_error({**error, "loc": error["loc"][1:]}))
        return reject(raw, errors, now)
    if isinstance(event, SurveyWaveEvent):
        if event.area_id not in known_areas:
            error = FieldError(field="area_id", reason=RejectionReason.unknown_area,
                               message=f"no registered area {event.area_id!r}")
            return reject(raw, [error], now)
        return event
    if event.site_id not in known_sites:
        return reject(raw, [FieldError(field="site_id", reason=RejectionReason.unknown_site,
                                       message=f"no registered site {event.site_id!r}")], now)
    if event.day > (now + timedelta(days=1)).date():
        return reject(raw, [FieldError(field="day", reason=RejectionReason.occurred_in_future,
                                       message=f"{event.day} lies in the future")], now)
    return event
