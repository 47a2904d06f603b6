"""Use case: a partner reports incidents through their personal link (the report form).

A form becomes one event per reported incident (trygg.domain.intake.report_events); the submission and its
events are committed to the outbox in one transaction before the partner sees a receipt, and a nonce seen
before (a double tap, a resent form) changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from trygg.adapters import database
from schemas.survey import PULSE_QUESTION, QUESTIONS, PulseAnswerEvent
from trygg.adapters.intake import find_link, pin_in_agreement, submission, submit_pulse, submit_report
from trygg.domain.intake import STOCKHOLM, Link, parse_report, report_events, token_sha256
from trygg.settings import Settings

log = logging.getLogger(__name__)
PULSE_NAMESPACE = uuid.UUID("5d6c1f0e-9c1b-4c65-9a55-7c2b1f0e3a12")  # pulse event ids from link and form nonce


@dataclass(frozen=True)
class Submitted:
    """What became of a form: stored (or stored before, same nonce), invalid (field -> error code) or
    forbidden (a site outside the link's)."""

    status: Literal["stored", "invalid", "forbidden"]
    errors: dict[str, str] = field(default_factory=dict)


class ReportIncident:
    """The form's use cases over one connection pool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool = database.pool(settings.database_url, max_size=settings.database_pool_size, name="report-form")

    def close(self) -> None:
        self._pool.close()

    def link(self, token: str) -> Link | None:
        """The link for `token`, revoked or not; None when unknown."""
        with self._pool.connection() as conn:
            return find_link(conn, token)

    def receipt(self, token: str, nonce: str) -> tuple[uuid.UUID, int] | None:
        """(first event id, number of events) of the form sent with this nonce through this link."""
        with self._pool.connection() as conn:
            return submission(conn, nonce, token_sha256(token))

    def submit(self, link: Link, nonce: str, form: dict[str, str]) -> Submitted:
        """Check the form against the rules and the link's sites and area, and store it with its events."""
        with self._pool.connection() as conn:
            if submission(conn, nonce, link.token_sha256) is not None:
                return Submitted("stored")  # sent before: the same receipt
            now = datetime.now(UTC)
            report, errors = parse_report(form, now=now, max_count=self.settings.form_max_count)
            if report is None:
                return Submitted("invalid", errors)
            if report.site_id is not None and report.site_id not in {s.site_id for s in link.sites}:
                log.warning("link %s… refused a report for site %r", link.token_prefix, report.site_id)
                return Submitted("forbidden")
            if report.lat is not None and not pin_in_agreement(conn, link.agreement_id, report.lat, report.lon):
                return Submitted("invalid", {"where": "pin_outside_agreement"})
            submit_report(conn, nonce, link.token_sha256, report, report_events(report, link, now, uuid.uuid4()))
        return Submitted("stored")

    def answer_pulse(self, link: Link, nonce: str, site_id: str, answer: str) -> Literal["stored", "invalid",
                                                                                          "forbidden"]:
        """One tap on the pulse question: an answer 1-5 for one of the link's sites and today, to the outbox.
        The event id comes from the form's nonce, so a double tap or a resent form is one answer."""
        if site_id not in {s.site_id for s in link.sites}:
            log.warning("link %s… refused a pulse answer for site %r", link.token_prefix, site_id)
            return "forbidden"
        if answer not in {str(code) for code in QUESTIONS[PULSE_QUESTION].answers}:
            return "invalid"
        event = PulseAnswerEvent(event_id=uuid.uuid5(PULSE_NAMESPACE, f"{link.token_sha256}:{nonce}"), site_id=site_id,
                                 day=datetime.now(UTC).astimezone(STOCKHOLM).date(), answer=int(answer))
        with self._pool.connection() as conn:
            submit_pulse(conn, event)
        return "stored"
