"""PostgreSQL side of the police feed: agency tokens (stored as sha256 only), enqueueing outcomes, imports."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from schemas import FieldError, RejectionReason, SourceKind
from trygg.adapters.outbox import Publish, enqueue
from trygg.domain.police_intake import Agency, Outcome, owner_of, rejected


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_agency(
    conn: psycopg.Connection, agency_id: str, source: str, municipalities: Sequence[str], agreement_ids: Sequence[str],
    reporters: Sequence[str] = (),
) -> str:
    """Create (or re-issue) an agency's bearer token; returns the token, which is shown once and never stored.

    `reporters`: the reporter ids its events may carry besides the agency's own id (e.g. its stations).
    """
    agency = Agency.create(agency_id, source, municipalities, agreement_ids, reporters)
    token = secrets.token_urlsafe(32)
    conn.execute(
        """INSERT INTO agencies (agency_id, source, token_sha256, municipalities, agreement_ids, reporters)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (agency_id) DO UPDATE SET source = EXCLUDED.source, token_sha256 = EXCLUDED.token_sha256,
               municipalities = EXCLUDED.municipalities, agreement_ids = EXCLUDED.agreement_ids,
               reporters = EXCLUDED.reporters, created_at = now(), revoked_at = NULL""",
        (agency.agency_id, agency.source.value, token_digest(token),
         sorted(agency.municipalities), sorted(agency.agreement_ids), sorted(agency.reporters)),
    )
    return token


def revoke_agency(conn: psycopg.Connection, agency_id: str) -> bool:
    row = conn.execute(
        "UPDATE agencies SET revoked_at = now() WHERE agency_id = %s AND revoked_at IS NULL RETURNING agency_id",
        (agency_id,),
    ).fetchone()
    return row is not None


def list_agencies(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        """SELECT agency_id, source, municipalities, agreement_ids, created_at, revoked_at
           FROM agencies ORDER BY agency_id"""
    ).fetchall()


_AGENCY_COLUMNS = "agency_id, source, municipalities, agreement_ids, reporters"


def _agency(row: tuple) -> Agency:
    agency_id, source, municipalities, agreement_ids, reporters = row
    return Agency(agency_id, SourceKind(source), frozenset(municipalities), frozenset(agreement_ids),
                  frozenset(reporters))


def agency_by_token(conn: psycopg.Connection, token: str) -> Agency | None:
    """The active agency holding this token, or None (unknown or revoked)."""
    row = conn.execute(
        f"SELECT {_AGENCY_COLUMNS} FROM agencies WHERE token_sha256 = %s AND revoked_at IS NULL",
        (token_digest(token),),
    ).fetchone()
    return _agency(row) if row else None


def agency_by_id(conn: psycopg.Connection, agency_id: str) -> Agency | None:
    row = conn.execute(
        f"SELECT {_AGENCY_COLUMNS} FROM agencies WHERE agency_id = %s AND revoked_at IS NULL",
        (agency_id,),
    ).fetchone()
    return _agency(row) if row else None


def enqueue_outcomes(
    conn: psycopg.Connection, outcomes: list[Outcome], agency: Agency | None, publish: Publish | None = None
) -> list[Outcome]:
    """Put the accepted outcomes in the outbox (inside the caller's transaction) as `agency`'s; repeats of its
    own events become duplicates, an event id another sender's event holds is rejected (nothing is said of
    that event). `publish`: see outbox.enqueue.
    """
    pending = [i for i, o in enumerate(outcomes) if o.status == "accepted"]
    events = [outcomes[i].event for i in pending]
    owners = [owner_of(e, agency) for e in events]  # type: ignore[arg-type]
    statuses = enqueue(conn, events, owners, publish) if pending else []  # type: ignore[arg-type]
    final = list(outcomes)
    for i, status in zip(pending, statuses):
        if status == "duplicate":
            final[i] = Outcome("duplicate", outcomes[i].event)
        elif status == "taken":
            final[i] = rejected([FieldError(
                field="event_id", reason=RejectionReason.event_id_taken,
                message="another sender's event has this event_id: derive ids from a namespace of your own")])
    return final


# --- Resumable imports ----------------------------------------------------------------------------

@dataclass
class ImportState:
    fingerprint: str
    lines_done: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    finished: bool = False


def start_import(conn: psycopg.Connection, fingerprint: str, path: str, fmt: str) -> ImportState:
    """The progress of this file so far (a new row when it was never imported)."""
    conn.execute(
        "INSERT INTO import_progress (fingerprint, path, format) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (fingerprint, path, fmt),
    )
    row = conn.execute(
        """SELECT lines_done, accepted, duplicates, rejected, finished_at IS NOT NULL FROM import_progress
           WHERE fingerprint = %s""",
        (fingerprint,),
    ).fetchone()
    return ImportState(fingerprint, *row)


def commit_import_batch(
    conn: psycopg.Connection, state: ImportState, lines: Sequence[int], outcomes: list[Outcome], lines_done: int,
    publish: Publish, agency: Agency | None,
) -> list[Outcome]:
    """One transaction: the batch's events published, their outbox rows, its rejected lines and the new
    progress (all or nothing: a failed publish leaves the progress where it was)."""
    with conn.transaction():
        final = enqueue_outcomes(conn, outcomes, agency, publish)
        rejected = [(line, o.errors[0]) for line, o in zip(lines, final) if o.status == "rejected"]
        if rejected:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO import_rejections (fingerprint, line, field, reason, message) VALUES (%s, %s, %s, %s, %s)",
                    [(state.fingerprint, line, e.field, e.reason.value, e.message[:500]) for line, e in rejected],
                )
        state.lines_done = lines_done
        state.accepted += sum(o.status == "accepted" for o in final)
        state.duplicates += sum(o.status == "duplicate" for o in final)
        state.rejected += len(rejected)
        conn.execute(
            """UPDATE import_progress SET lines_done = %s, accepted = %s, duplicates = %s, rejected = %s,
                   updated_at = now() WHERE fingerprint = %s""",
            (state.lines_done, state.accepted, state.duplicates, state.rejected, state.fingerprint),
        )
    return final


def finish_import(conn: psycopg.Connection, state: ImportState) -> None:
    conn.execute("UPDATE import_progress SET finished_at = now() WHERE fingerprint = %s", (state.fingerprint,))
    state.finished = True


def import_rejections(conn: psycopg.Connection, fingerprint: str) -> list[tuple[int, FieldError]]:
    return [
        (line, FieldError(field=field, reason=RejectionReason(reason), message=message))
        for line, field, reason, message in conn.execute(
            "SELECT line, field, reason, message FROM import_rejections WHERE fingerprint = %s ORDER BY line",
            (fingerprint,),
        )
    ]
