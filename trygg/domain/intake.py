"""The report form's rules, free of I/O: signed form tokens, receipts, form validation (notes scrubbed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from schemas import NOTE_MAX_LENGTH, Category, IncidentEvent
from trygg.domain.free_text import scrub_free_text
from trygg.domain.sweden import inside_sweden

STOCKHOLM = ZoneInfo("Europe/Stockholm")
EARLIEST = date(2000, 1, 1)
MAX_LOSS_SEK = 10_000_000

@dataclass(frozen=True)
class SiteRef:
    site_id: str
    name: str


@dataclass(frozen=True)
class Link:
    """A partner's personal report link, as the form needs it."""

    token_sha256: str
    token_prefix: str
    agreement_id: str
    agreement_name: str
    partner_id: str
    partner_name: str
    role: str
    sites: tuple[SiteRef, ...]  # the link's sites that still belong to this partner in this agreement
    created_at: datetime
    revoked_at: datetime | None


def token_sha256(token: str) -> str:
    """What is stored of a partner link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign_form(secret: str, link_hash: str, nonce: str, issued: int) -> str:
    """CSRF token of one rendered form: binds the form's nonce to the link and the time it was issued."""
    mac = hmac.new(secret.encode(), f"{link_hash}|{nonce}|{issued}".encode(), hashlib.sha256).hexdigest()
    return f"{issued}.{mac}"


def verify_form(secret: str, link_hash: str, nonce: str, csrf: str, now: int, max_age_s: int) -> bool:
    """True when `csrf` was made by sign_form for this link and nonce, no longer than max_age_s ago."""
    issued_text, _, _ = csrf.partition(".")
    # ASCII only: str.isdigit() also takes "١٢٣" and "²", and compare_digest raises on non-ASCII text.
    if not (csrf.isascii() and issued_text.isdigit()):
        return False
    issued = int(issued_text)
    expected = sign_form(secret, link_hash, nonce, issued)
    return hmac.compare_digest(expected, csrf) and 0 <= now - issued <= max_age_s


def reference_code(event_id: uuid.UUID) -> str:
    """Short receipt reference: the first 8 base32 characters of the event id, as XXXX-XXXX."""
    code = base64.b32encode(event_id.bytes).decode()[:8]
    return f"{code[:4]}-{code[4:]}"


def derived_event_ids(first: uuid.UUID, count: int) -> list[uuid.UUID]:
    """Event ids of a report of `count` incidents: the first, then ids derived from it (stable on resend)."""
    return [first] + [uuid.uuid5(first, f"incident-{i}") for i in range(1, count)]


@dataclass(frozen=True)
class ReportInput:
    """A validated form: what the partner reported, in our terms."""

    category: Category
    occurred_at: datetime
    site_id: str | None
    lat: float | None
    lon: float | None
    count: int
    estimated_loss: int | None
    police_reported: bool | None
    police_reference: str | None
    note: str | None


_POLICE_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /.-]{0,39}$")


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ".").replace(" ", ""))
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def parse_report(
    form: dict[str, str], *, now: datetime, max_count: int
) -> tuple[ReportInput | None, dict[str, str]]:
    """Check a submitted form. Returns the report, or None and error codes per field name.

    Times are entered in Swedish local time; a pin is checked against Sweden's outline here and against
    the agreement area by the caller.
    """
    errors: dict[str, str] = {}

    def get(name: str) -> str:
        return (form.get(name) or "").strip()

    category = None
    try:
        category = Category(get("category"))
    except ValueError:
        errors["category"] = "category_missing" if not get("category") else "category_unknown"

    occurred_at = None
    try:
        day = date.fromisoformat(get("date"))
        clock = time.fromisoformat(get("time"))
        occurred_at = datetime.combine(day, clock.replace(second=0, microsecond=0, tzinfo=None), STOCKHOLM)
    except ValueError:
        errors["when"] = "when_invalid"
    if occurred_at is not None:
        if occurred_at > now:
            errors["when"] = "when_future"
        elif occurred_at.date() < EARLIEST:
            errors["when"] = "when_too_old"

    site_id, lat, lon = None, None, None
    where = get("where")
    if where == "pin":
        lat, lon = _number(get("lat")), _number(get("lon"))
        if lat is None or lon is None:
            errors["where"] = "pin_invalid"
        elif not inside_sweden(lat, lon):
            errors["where"] = "pin_outside_sweden"
    elif where:
        site_id = where  # authorisation (is it this partner's site?) is the caller's: a 403, not a field error
    else:
        errors["where"] = "where_missing"

    count = 1
    if get("count"):
        parsed = _number(get("count"))
        if parsed is None or parsed != int(parsed) or not 1 <= parsed <= max_count:
            errors["count"] = "count_invalid"
        else:
            count = int(parsed)

    loss = None
    if get("loss"):
        parsed = _number(get("loss"))
        if parsed is None or not 0 <= parsed <= MAX_LOSS_SEK:
            errors["loss"] = "loss_invalid"
        else:
            loss = round(parsed)

    police = {"yes": True, "no": False}.get(get("police"))
    reference = get("police_reference") or None
    if reference is not None and police is not True:
        errors["police_reference"] = "reference_without_report"
    elif reference is not None and not _POLICE_REFERENCE.match(reference):
        errors["police_reference"] = "reference_invalid"

    note = scrub_free_text(form.get("note") or "") or None
    if note is not None and len(note) > NOTE_MAX_LENGTH:
        errors["note"] = "note_too_long"
    if errors:
        return None, errors
    assert category is not None and occurred_at is not None
    return ReportInput(category, occurred_at, site_id, lat, lon, count, loss, police, reference, note), errors


def form_defaults(now: datetime) -> dict[str, str]:
    """Initial values of a fresh form: now, in Swedish local time."""
    local = now.astimezone(STOCKHOLM)
    return {"date": local.date().isoformat(), "time": local.strftime("%H:%M"), "count": "1"}


def report_events(report: ReportInput, link: Link, now: datetime, first_id: uuid.UUID) -> list[IncidentEvent]:
    """The events a form becomes: one per reported incident (ids derived from `first_id`); the free text
    travels with the first only."""
    location = {"site_id": report.site_id} if report.site_id else {"lat": report.lat, "lon": report.lon}
    return [
        IncidentEvent(
            event_id=event_id, source=link.role, reporter=link.partner_id, category=report.category,
            occurred_at=report.occurred_at, reported_at=now, location=location,
            note=report.note if i == 0 else None,
        )
        for i, event_id in enumerate(derived_event_ids(first_id, report.count))
    ]
