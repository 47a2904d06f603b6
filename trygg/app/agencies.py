"""Use case: the agencies (police, municipality) that may post to the police feed, and their tokens."""

from __future__ import annotations

from collections.abc import Sequence

from trygg.adapters import agencies
from trygg.adapters.database import connect
from trygg.settings import Settings


def add_agency(settings: Settings, agency_id: str, source: str, municipalities: Sequence[str],
               agreement_ids: Sequence[str], reporters: Sequence[str] = ()) -> str:
    """Issue (or re-issue) an agency's bearer token; returns the token, shown once and never stored.
    `reporters`: reporter ids its events may carry besides the agency's own id (e.g. a station)."""
    with connect(settings.database_url) as conn:
        return agencies.add_agency(conn, agency_id, source, municipalities, agreement_ids, reporters)


def list_agencies(settings: Settings) -> list[tuple]:
    """(agency id, source, municipalities, agreement ids, created at, revoked at) of every agency."""
    with connect(settings.database_url) as conn:
        return agencies.list_agencies(conn)


def revoke_agency(settings: Settings, agency_id: str) -> bool:
    """Revoke the agency's token; False when it had no active one."""
    with connect(settings.database_url) as conn:
        return agencies.revoke_agency(conn, agency_id)
