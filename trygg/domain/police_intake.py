"""Intake of batches (police feed, imports): parse, validate, check an agency's scope, find repeats. No I/O.

Every item gets exactly one outcome, in order: an event to enqueue, a duplicate of an earlier item, or a
rejection with its field errors. Nothing is dropped silently.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

import orjson

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
    """Who may send batches: its source kind, the municipalities (area ids) and agreements it reports for, and
    the reporter ids its events may carry besides its own id."""

    agency_id: str
    source: SourceKind
    municipalities: frozenset[str] = frozenset()
    agreement_ids: frozenset[str] = frozenset()
    reporters: frozenset[str] = frozenset()

    @classmethod
    def create(cls, agency_id: str, source: str, municipalities: Iterable[str], agreement_ids: Iterable[str],
               reporters: Iterable[str] = ()) -> Agency:
        """Build an agency from names as typed ("Umeå" -> "kommun:umea")."""
        return cls(
            agency_id, SourceKind(source),
            frozenset(municipality_area_id(m) for m in municipalities), frozenset(agreement_ids),
            frozenset(reporters),
        )

    @property
    def owner(self) -> str:
        """Whose external ids its events carry: repeats are found per owner."""
        return f"agency:{self.agency_id}"

    def may_name(self, reporter: str) -> bool:
        return reporter == self.agency_id or reporter in self.reporters


def owner_of(event: IncidentEvent, agency: Agency | None) -> str:
    """The owner of an event's external id: its agency, or (form, imports without an agency) its source kind."""
    return agency.owner if agency is not None else f"source:{event.source.value}"


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
    """Per event, why the agency may not report it (or None).

    Decided by where the event is placed, never by the names it carries. A point that lies in agreement or
    control areas must lie in one of the agency's: an agreement area of one of its agreements or in one of its
    municipalities, or a control area in one of its municipalities (other areas at the same spot count it
    too: that is geography). The municipality it is counted for must be one of the agency's, or the
    municipality of such an area of its. So a point in Ålidhem labelled "Vindeln" is refused to an agency for
    Vindeln (the point is Umeå's) and to one for Ålidhem (it would count for Vindeln).
    """
    errors: list[FieldError | None] = [None] * len(events)
    # A control area is the agreement's comparison, not its area: only its municipality brings it in scope.
    agreement_of = {a.area_id: a.agreement_id if a.kind is AreaKind.agreement else None for a in index.areas}
    municipality_of = {a.area_id: _municipality_area_id(a.municipality) for a in index.areas}
    for i, (event, placement) in enumerate(zip(events, index.place_all(events))):
        if event.source is not agency.source:
            errors[i] = FieldError(
                field="source", reason=RejectionReason.outside_scope,
                message=f"agency {agency.agency_id} reports as {agency.source.value}, not {event.source.value}")
            continue
        if not agency.may_name(event.reporter):
            errors[i] = FieldError(
                field="reporter", reason=RejectionReason.outside_scope,
                message=f"agency {agency.agency_id} may report as itself or its registered reporters, "
                        f"not {event.reporter!r}")
            continue
        local = [a for a in placement.area_ids if a in municipality_of]
        own_local = [a for a in local if agreement_of[a] in agency.agreement_ids
                     or municipality_of[a] in agency.municipalities]
        own_municipalities = agency.municipalities.union(municipality_of[a] for a in own_local)
        municipalities = [a for a in placement.area_ids if a not in municipality_of]
        if not placement.area_ids or (local and not own_local) or not own_municipalities.issuperset(municipalities):
            errors[i] = FieldError(
                field="location", reason=RejectionReason.outside_scope,
                message=f"agency {agency.agency_id} may not report for this place (where it lies is outside its "
                        "municipalities and agreements)")
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
        external = (owner_of(event, agency), event.external_id) if event.external_id is not None else None
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


# Tokens that give a JSON text its structure: strings whole (so brackets and commas inside them do not count),
# brackets and commas. Enough to find an array's items without parsing them.
_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.DOTALL)


def _array_items(body: bytes) -> list[bytes] | None:
    """The raw items of a top-level JSON array, found by its structure alone; None when it is not one."""
    items: list[bytes] = []
    depth, start, end = 0, 0, -1
    for token in _STRUCTURE.finditer(body):
        text = token.group()
        if text in (b"[", b"{"):
            if depth == 0:
                if text != b"[" or body[:token.start()].strip():
                    return None
                start = token.end()
            depth += 1
        elif text in (b"]", b"}"):
            depth -= 1
            if depth == 0:
                items.append(body[start:token.start()])
                end = token.end()
                break
        elif text == b"," and depth == 1:
            items.append(body[start:token.start()])
            start = token.end()
    if end < 0 or body[end:].strip():
        return None
    items = [item.strip() for item in items]
    return [] if items == [b""] else items


def _array_item(raw: bytes) -> bytes | FieldError:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return bad_json(f"not valid JSON: {exc}")
    return raw


class TooManyEvents(ValueError):
    """A batch with more than MAX_BATCH_EVENTS items."""


def batch_items(ndjson: bool, body: bytes) -> list:
    """The items of a batch body (NDJSON lines or JSON array items), each checked on its own later.

    Raises TooManyEvents above MAX_BATCH_EVENTS, ValueError when a JSON body is no array."""
    items = list(split_ndjson(body.splitlines())) if ndjson else split_json_array(body)
    if len(items) > MAX_BATCH_EVENTS:
        raise TooManyEvents(f"{len(items)} events in one batch; at most {MAX_BATCH_EVENTS} per request")
    return items


def split_json_array(body: bytes) -> list[bytes | FieldError]:
    """Items of a JSON array body, each to be validated on its own: an item that is well-formed JSON but not
    acceptable to the strict parser (a lone surrogate, a number beyond 64 bits, bytes that are not UTF-8 inside
    a string) is that item's invalid_json, not the batch's.

    Raises ValueError when the body is not an array at all, or not well-formed JSON: then where one item ends
    and the next begins is a guess (a stray comma would split one item in two), so no answer per item is given.
    CPU-bound: call it off the event loop. A well-formed body is parsed once and each item encoded again for
    the one validator (JSON semantics, as the processor reads it): on 5,000 events (1.3 MB) that took 35 ms,
    against 147 ms for cutting the raw items out by structure as the fallback below does.
    """
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        _check_well_formed(body)
        items = _array_items(body)
        if items is None:
            raise ValueError("the body is not a JSON array of events") from None
        return [_array_item(item) for item in items]
    if not isinstance(parsed, list):
        raise ValueError("a JSON body must be an array of events")
    return [orjson.dumps(item) for item in parsed]


def _check_well_formed(body: bytes) -> None:
    """Raise ValueError naming the place where the body stops being JSON; the standard library's parser takes
    what orjson refuses item by item (surrogates, long integers, and, decoded with surrogateescape, non-UTF-8
    bytes inside strings) and so checks only the structure."""
    try:
        json.loads(body.decode("utf-8", errors="surrogateescape"), parse_int=len, parse_float=len)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not well-formed JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                         "send NDJSON for an answer per line even when lines are broken") from None
    except RecursionError:
        raise ValueError("the body is nested too deeply to be a JSON array of events") from None


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


def open311_event(agency: Agency, fields: dict, now: datetime) -> dict:
    """The incident document for one Open311 request (validated like every other event afterwards)."""
    requested = fields.get("requested_datetime") or now.isoformat()
    if fields.get("requested_datetime"):
        # The same request re-sent (same place, service and time) is one event.
        key = "|".join(str(fields.get(k, "")) for k in ("service_code", "lat", "long", "requested_datetime"))
        event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"open311:{agency.agency_id}:{key}")
    else:
        event_id = uuid.uuid4()
    return {
        "event_id": str(event_id), "schema_version": 1, "source": agency.source.value, "reporter": agency.agency_id,
        "category": fields.get("service_code"), "occurred_at": requested, "reported_at": now.isoformat(),
        "location": {"lat": number_or_text(fields.get("lat")), "lon": number_or_text(fields.get("long"))},
    }
