"""PostgreSQL side of the report form: partner links (token hashes only) and idempotent form submissions."""

from __future__ import annotations

import secrets
import uuid

import psycopg
from shapely.geometry import Point, shape

from schemas import IncidentEvent
from schemas.survey import PulseAnswerEvent
from trygg.adapters.outbox import enqueue, enqueue_perceived_safety
from trygg.domain.intake import Link, ReportInput, SiteRef, token_sha256
from trygg.texts import say


class LinkError(ValueError):
    """A link cannot be issued as asked (unknown partner, foreign site)."""


def issue_link(conn: psycopg.Connection, agreement_id: str, partner_id: str, site_ids: list[str]) -> str:
    """Create a link for a partner of an agreement; returns the token (shown once, only its hash is stored).

    Without `site_ids` the link covers all of the partner's sites in that agreement.
    """
    if not conn.execute(
        "SELECT 1 FROM partners WHERE agreement_id = %s AND partner_id = %s", (agreement_id, partner_id)
    ).fetchone():
        raise LinkError(say("not_a_partner", partner=partner_id, agreement=agreement_id))
    own = [r[0] for r in conn.execute(
        "SELECT site_id FROM sites WHERE agreement_id = %s AND partner_id = %s ORDER BY site_id",
        (agreement_id, partner_id),
    )]
    foreign = sorted(set(site_ids) - set(own))
    if foreign:
        raise LinkError(f"{say('foreign_sites', partner=partner_id, agreement=agreement_id)}: {', '.join(foreign)}")
    token = secrets.token_urlsafe(24)
    conn.execute(
        """INSERT INTO partner_links (token_sha256, token_prefix, agreement_id, partner_id, site_ids)
           VALUES (%s, %s, %s, %s, %s)""",
        (token_sha256(token), token[:6], agreement_id, partner_id, site_ids or own),
    )
    return token


_LINK_QUERY = """
    SELECT l.token_sha256, l.token_prefix, l.agreement_id, a.name, l.partner_id, p.name, p.role,
           coalesce((SELECT array_agg(s.site_id || E'\\t' || s.name ORDER BY s.name) FROM sites s
                     WHERE s.site_id = ANY(l.site_ids) AND s.agreement_id = l.agreement_id
                       AND s.partner_id = l.partner_id), '{}'),
           l.created_at, l.revoked_at
    FROM partner_links l
    JOIN agreements a USING (agreement_id)
    JOIN partners p ON p.agreement_id = l.agreement_id AND p.partner_id = l.partner_id"""


def _link(row: tuple) -> Link:
    sites = tuple(SiteRef(*entry.split("\t", 1)) for entry in row[7])
    return Link(*row[:7], sites, row[8], row[9])  # type: ignore[arg-type]


def find_link(conn: psycopg.Connection, token: str) -> Link | None:
    """The link for `token`, revoked or not; None when unknown (or its partner left the agreement)."""
    row = conn.execute(_LINK_QUERY + " WHERE l.token_sha256 = %s", (token_sha256(token),)).fetchone()
    return _link(row) if row else None


def list_links(conn: psycopg.Connection) -> list[Link]:
    return [_link(r) for r in conn.execute(_LINK_QUERY + " ORDER BY l.partner_id, l.created_at")]


def revoke_links(conn: psycopg.Connection, *, token_prefix: str | None = None, partner_id: str | None = None) -> int:
    """Revoke the links whose token starts with `token_prefix`, or all of a partner's; returns how many."""
    if token_prefix is not None:
        if len(token_prefix) < 6:
            raise LinkError(say("prefix_too_short"))
        query, value = "token_prefix = %s", token_prefix[:6]
    else:
        query, value = "partner_id = %s", partner_id
    return conn.execute(
        f"UPDATE partner_links SET revoked_at = now() WHERE {query} AND revoked_at IS NULL",  # noqa: S608 (fixed text)
        (value,),
    ).rowcount


def pin_in_agreement(conn: psycopg.Connection, agreement_id: str, lat: float, lon: float) -> bool:
    """Whether a point lies inside (or on the border of) the agreement's own area."""
    row = conn.execute(
        "SELECT geometry FROM areas WHERE area_id = %s AND kind = 'agreement'", (agreement_id,)
    ).fetchone()
    return bool(row and row[0] and shape(row[0]).covers(Point(lon, lat)))


def submission(conn: psycopg.Connection, nonce: str, link_hash: str) -> tuple[uuid.UUID, int] | None:
    """(first event id, number of events) of a form already submitted with this nonce through this link."""
    row = conn.execute(
        "SELECT first_event_id, events FROM form_submissions WHERE nonce = %s AND token_sha256 = %s",
        (nonce, link_hash),
    ).fetchone()
    return (row[0], row[1]) if row else None


def submit_report(
    conn: psycopg.Connection, nonce: str, link_hash: str, report: ReportInput, events: list[IncidentEvent]
) -> uuid.UUID:
    """Store the form and its events in the outbox in one transaction; returns the first event id.

    A nonce seen before (double tap, resend) changes nothing and returns the first submission's id.
    """
    with conn.transaction():
        inserted = conn.execute(
            """INSERT INTO form_submissions (nonce, token_sha256, first_event_id, events, estimated_loss,
                                             police_reported, police_reference)
               VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (nonce) DO NOTHING RETURNING first_event_id""",
            (nonce, link_hash, events[0].event_id, len(events), report.estimated_loss, report.police_reported,
             report.police_reference),
        ).fetchone()
        if inserted is None:
            row = conn.execute("SELECT first_event_id FROM form_submissions WHERE nonce = %s", (nonce,)).fetchone()
            return row[0]
        enqueue(conn, events)
    return events[0].event_id


def submit_pulse(conn: psycopg.Connection, event: PulseAnswerEvent) -> None:
    """Store one pulse answer in the outbox for `surveys.reported` (an event id seen before changes nothing)."""
    with conn.transaction():
        enqueue_perceived_safety(conn, [event])
