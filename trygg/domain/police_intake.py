"""Intake of batches (police feed, imports): parse, validate, check an agency's scope, find repeats. No I/O.

Every item gets exactly one outcome, in order: an event to enqueue, a duplicate of an earlier item, or a
rejection with its field errors. Nothing is dropped silently.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from schemas import AreaKind, FieldError, IncidentEvent, Rejection, RejectionReason, SourceKind, municipality_area_id
from trygg.domain.placement import AreaIndex
from trygg.domain.police_events import police_to_incident
from trygg.domain.validation import validate_event

MAX_BATCH_EVENTS = 10_000

# `trygg import` CSV: one event per row, header required, empty cell = absent. No free text column:
# historical exports are not a place for notes about people.
CSV_COLUMNS = (
    "event_id", "source", "reporter", "category", "occurred_at", "reported_at",
    "lat", "lon", "site_id", "municipality", "precision", "external_id",
)


@dataclass(frozen=True)
class Agency:
    """Who may send batches: its source kind and the municipalities (area ids) and agreements it reports for."""

    agency_id: str
    source: SourceKind
    municipalities: frozenset[str] = frozenset()
    agreement_ids: frozenset[str] = frozenset()

    @classmethod
    def create(cls, agency_id: str, source: str, municipalities: Iterable[str], agreement_ids: Iterable[str]) -> Agency:
        """Build an agency from names as typed ("Umeå" -> "kommun:umea")."""
        return cls(
            agency_id, SourceKind(source),
            frozenset(municipality_area_id(m) for m in municipalities), frozenset(agreement_ids),
        )


@dataclass(frozen=True)
class Outcome:
    """The answer for one item of a batch."""

    status: str  # accepted | duplicate | rejected
    event: IncidentEvent | None = None
    errors: tuple[FieldError, ...] = field(default=())

    def json_text(self, index: int) -> str:
        """The answer for item `index` as JSON text (written by hand: a batch has 10,000 of them)."""
        if self.errors:
            errors = json.dumps([e.model_dump(mode="json") for e in self.errors], ensure_ascii=False)
            return f'{{"index": {index}, "status": "{self.status}", "errors": {errors}}}'
        return f'{{"index": {index}, "status": "{self.status}", "event_id": "{self.event.event_id}"}}'


def rejected(errors: Iterable[FieldError]) -> Outcome:
    return Outcome("rejected", errors=tuple(errors))


# Batches name the same few municipalities thousands of times; the name folding is the costly part.
_municipality_area_id = lru_cache(maxsize=4096)(municipality_area_id)


def scope_errors(events: list[IncidentEvent], agency: Agency, index: AreaIndex) -> list[FieldError | None]:
    """Per event, why the agency may not report it (or None). In scope: one of its municipalities or agreements."""
    errors: list[FieldError | None] = [None] * len(events)
    unsettled = []  # events whose own municipality does not settle it: placed in the areas
    for i, event in enumerate(events):
        municipality = event.location.municipality
        if event.source is not agency.source:
            errors[i] = FieldError(
                field="source", reason=RejectionReason.outside_scope,
                message=f"agency {agency.agency_id} reports as {agency.source.value}, not {event.source.value}")
        elif municipality is None or _municipality_area_id(municipality) not in agency.municipalities:
            unsettled.append(i)
    agreement_of = {a.area_id: a.agreement_id for a in index.areas if a.kind is AreaKind.agreement}
    for i, placement in zip(unsettled, index.place_all([events[i] for i in unsettled])):
        if not (agency.municipalities.intersection(placement.area_ids) or agency.agreement_ids.intersection(
            agreement_of[a] for a in placement.area_ids if a in agreement_of
        )):
            errors[i] = FieldError(
                field="location", reason=RejectionReason.outside_scope,
                message=f"agency {agency.agency_id} may not report for this place (outside its municipalities "
                        "and agreements)")
    return errors


def evaluate(
    raws: Iterable[bytes | FieldError | dict],
    *,
    agency: Agency | None,
    index: AreaIndex,
    now: datetime,
    max_clock_skew: timedelta,
    known_sites: Container[str],
) -> list[Outcome]:
    """Validate each item like the processor does, check scope, and mark repeats inside the batch.

    An item is the raw JSON bytes of an event, an already-mapped document (police format, CSV), or a
    FieldError when it could not even be read.
    """
    outcomes: list[Outcome] = []
    for raw in raws:
        if isinstance(raw, FieldError):
            outcomes.append(rejected([raw]))
            continue
        payload = json.dumps(raw).encode() if isinstance(raw, dict) else raw
        checked = validate_event(payload, now=now, max_clock_skew=max_clock_skew, known_sites=known_sites)
        outcomes.append(rejected(checked.errors) if isinstance(checked, Rejection) else Outcome("accepted", checked))
    if agency is not None:
        valid = [i for i, o in enumerate(outcomes) if o.event is not None]
        for i, error in zip(valid, scope_errors([outcomes[i].event for i in valid], agency, index)):  # type: ignore[misc]
            if error is not None:
                outcomes[i] = rejected([error])
    seen_ids: set = set()
    seen_external: set[tuple[str, str]] = set()
    for i, outcome in enumerate(outcomes):
        event = outcome.event
        if event is None:
            continue
        external = (event.source.value, event.external_id) if event.external_id is not None else None
        if event.event_id in seen_ids or external in seen_external:
            outcomes[i] = Outcome("duplicate", event)
            continue
        seen_ids.add(event.event_id)
        if external is not None:
            seen_external.add(external)
    return outcomes


# --- Reading bodies and files ------------------------------------------------------------------------

def bad_json(message: str) -> FieldError:
    return FieldError(field="", reason=RejectionReason.invalid_json, message=message)


def split_ndjson(lines: Iterable[bytes]) -> Iterator[bytes]:
    """One item per non-empty line; the JSON itself is checked by validation (so errors stay per line)."""
    for line in lines:
        stripped = line.strip()
        if stripped:
            yield stripped


def split_json_array(body: bytes) -> list[bytes]:
    """Items of a JSON array body, each re-encoded for validation. Raises ValueError when the body is not one."""
    try:
        items = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(items, list):
        raise ValueError("a JSON body must be an array of events")
    return [json.dumps(item, ensure_ascii=False).encode() for item in items]


def police_item(raw: bytes, reporter: str) -> dict | FieldError:
    """A police public event (raw JSON) mapped to an incident document, or the reason it cannot be."""
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return bad_json(f"not valid JSON: {exc}")
    mapped = police_to_incident(doc, reporter=reporter)
    return mapped[0] if isinstance(mapped, list) else mapped


def number_or_text(value: object) -> object:
    """A coordinate typed as text becomes a number; anything else is left for validation to explain."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return value


def csv_row_item(header: list[str], row: list[str]) -> dict | FieldError:
    """One CSV row (with the file's header) as an incident document."""
    if len(row) != len(header):
        return FieldError(field="", reason=RejectionReason.invalid_value,
                          message=f"expected {len(header)} cells, found {len(row)}")
    doc: dict = {"schema_version": 1}
    location: dict = {}
    for name, cell in zip(header, row):
        if cell == "":
            continue
        if name in ("lat", "lon"):
            location[name] = number_or_text(cell)
        elif name in ("site_id", "municipality", "precision"):
            location[name] = cell
        else:
            doc[name] = cell
    doc["location"] = location
    return doc


def csv_rows(lines: Iterable[str]) -> Iterator[list[str]]:
    """Parse CSV line by line (a quoted newline inside a cell is not supported: one event per line)."""
    return csv.reader(lines)
