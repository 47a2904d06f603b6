"""Use case: an agency (police, municipality) hands over a batch of events, or one Open311 request.

Every accepted event is in the outbox (committed) before the answer leaves; the relay publishes it.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from trygg.adapters import database, outbox
from trygg.adapters.agencies import agency_by_token, enqueue_outcomes
from trygg.domain.placement import AreaIndex
from trygg.domain.police_intake import Agency, Outcome, batch_items, evaluate, open311_event
from trygg.settings import Settings


@dataclass(frozen=True)
class RequestStatus:
    """What anyone holding a request's id may learn of it: no place, no text."""

    counted: bool
    category: str | None = None
    occurred_at: datetime | None = None


class AgencyIntake:
    """The police feed's use cases, over one connection pool and the area index (reloaded after a redraw)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool = database.pool(settings.database_url, max_size=settings.database_pool_size, name="police-feed")
        self._lock = threading.Lock()
        self._index: AreaIndex | None = None

    def close(self) -> None:
        self._pool.close()

    def check(self) -> None:
        """Raises unless the database answers."""
        with self._pool.connection() as conn:
            database.ping(conn)

    def agency(self, token: str) -> Agency | None:
        """The active agency holding this bearer token (or Open311 api_key), else None."""
        with self._pool.connection() as conn:
            return agency_by_token(conn, token)

    def accept(self, agency: Agency, items: list) -> list[Outcome]:
        """Validate and scope-check a batch, enqueue the accepted ones in one transaction; outcomes in order."""
        with self._pool.connection() as conn:
            index = self._current_index(conn)
            outcomes = evaluate(
                items, agency=agency, index=index, now=datetime.now(UTC),
                max_clock_skew=timedelta(seconds=self.settings.max_clock_skew_seconds), known_sites=index.sites,
            )
            with conn.transaction():
                return enqueue_outcomes(conn, outcomes, agency)

    def accept_body(self, agency: Agency, ndjson: bool, body: bytes) -> list[Outcome]:
        """A batch body (NDJSON lines or a JSON array), each item checked on its own and then accepted.

        Raises TooManyEvents for more than MAX_BATCH_EVENTS items, ValueError for a body that is no batch.
        CPU-bound: call it off the event loop."""
        return self.accept(agency, batch_items(ndjson, body))

    def accept_request(self, agency: Agency, fields: dict) -> tuple[uuid.UUID, Outcome]:
        """One Open311 service request: its event id and what became of it."""
        event = open311_event(agency, fields, datetime.now(UTC))
        [outcome] = self.accept(agency, [event])
        return uuid.UUID(event["event_id"]), outcome

    def request_status(self, agency: Agency, event_id: uuid.UUID) -> RequestStatus | None:
        """Counted (stored by the processor) or only received; None for an id `agency` did not file (unknown,
        or another sender's: the same answer)."""
        with self._pool.connection() as conn:
            if not outbox.is_queued(conn, event_id, agency.owner):
                return None
            stored = database.stored_event(conn, event_id)
            return RequestStatus(True, *stored) if stored is not None else RequestStatus(False)

    def _current_index(self, conn: psycopg.Connection) -> AreaIndex:
        revision = database.area_revision(conn)
        with self._lock:
            if self._index is None or self._index.revision != revision:
                self._index = database.load_index(conn)
            return self._index
