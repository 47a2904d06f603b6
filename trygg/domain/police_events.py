"""The Swedish police's public events format (polisen.se/api/events) turned into our incident documents.

Pure: one police event in, one incident document (to be validated like any other) or field errors out.
The summary, name and url are never copied: they are free text about people.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

from schemas import Category, FieldError, RejectionReason

# Namespace for event ids derived from police event ids: the same police event always gets the same id.
POLICE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://polisen.se/api/events")

# Police event type -> our category. Types not listed here (traffic accidents, fires, summaries...) have no
# category and are rejected with `unmapped_police_type`, never dropped silently.
POLICE_TYPES: dict[str, Category] = {
    "Snatteri": Category.shoplifting,
    "Stöld": Category.theft,
    "Stöld, försök": Category.theft,
    "Stöld/inbrott": Category.burglary,
    "Inbrott": Category.burglary,
    "Inbrott, försök": Category.burglary,
    "Rån": Category.robbery,
    "Rån väpnat": Category.robbery,
    "Rån övrigt": Category.robbery,
    "Rån, försök": Category.robbery,
    "Narkotikabrott": Category.drug_dealing,
    "Skadegörelse": Category.vandalism,
    "Klotter": Category.graffiti,
    "Olaga hot": Category.threat,
    "Hot": Category.threat,
    "Misshandel": Category.violence,
    "Misshandel, grov": Category.violence,
    "Våld/hot mot tjänsteman": Category.violence,
    "Ofredande/förargelse": Category.harassment,
    "Bråk": Category.disturbance,
    "Ordningslagen": Category.disturbance,
    "Fylleri/LOB": Category.disturbance,
}

# "2018-04-13 9:58:49 +02:00": the hour may have one digit, the offset may lack its colon.
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2}):(\d{2}) ([+-])(\d{2}):?(\d{2})$")


def police_event_id(police_id: object) -> uuid.UUID:
    """Deterministic event id for a police event id (re-importing a police event changes nothing)."""
    return uuid.uuid5(POLICE_NAMESPACE, f"police:{police_id}")


def parse_police_datetime(text: str) -> datetime | None:
    """Parse the police format's datetime; None when it is not in that format (or not a real moment)."""
    match = _DATETIME.match(text.strip())
    if not match:
        return None
    y, mo, d, h, mi, s, sign, oh, om = match.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
    try:
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=timezone(offset))
    except ValueError:
        return None


def _error(field: str, reason: RejectionReason, message: str) -> list[FieldError]:
    return [FieldError(field=field, reason=reason, message=message)]


def police_to_incident(doc: object, *, reporter: str = "polisen") -> dict | list[FieldError]:
    """Map one police event to an incident document, or explain (field, reason, message) why it cannot be."""
    if not isinstance(doc, dict):
        return _error("", RejectionReason.not_an_object, "expected a JSON object")
    police_id = doc.get("id")
    if isinstance(police_id, bool) or not isinstance(police_id, (int, str)) or str(police_id).strip() == "":
        return _error("id", RejectionReason.missing_field, "the police event id is missing")
    kind = doc.get("type")
    if not isinstance(kind, str):
        return _error("type", RejectionReason.missing_field, "the police event type is missing")
    category = POLICE_TYPES.get(kind.strip())
    if category is None:
        return _error("type", RejectionReason.unmapped_police_type, f"police event type {kind[:80]!r} has no category")
    raw_time = doc.get("datetime")
    moment = parse_police_datetime(raw_time) if isinstance(raw_time, str) else None
    if moment is None:
        message = "expected a time like '2018-04-13 9:58:49 +02:00'"
        return _error("datetime", RejectionReason.invalid_value, message)
    location = doc.get("location")
    if not isinstance(location, dict):
        return _error("location", RejectionReason.missing_location, "the police event has no location")
    name = location.get("name")
    if not isinstance(name, str) or not name.strip():
        return _error("location.name", RejectionReason.missing_municipality, "location.name (municipality) is missing")
    gps = location.get("gps")
    try:
        lat, lon = (float(part) for part in str(gps).split(","))
    except ValueError:
        return _error("location.gps", RejectionReason.invalid_value, "expected 'lat,lon', e.g. '63.825847,20.263035'")
    stamp = moment.isoformat()
    # The gps point is the municipality's centre, not the place: counted for the municipality only.
    return {
        "event_id": str(police_event_id(police_id)),
        "schema_version": 1,
        "source": "police",
        "reporter": reporter,
        "category": category.value,
        "occurred_at": stamp,
        "reported_at": stamp,
        "location": {"lat": lat, "lon": lon, "municipality": name.strip(), "precision": "municipality"},
        "external_id": str(police_id),
    }
