"""One micro-batch, start to finish: validate, place, write once. Called by the thin Faust agent in app.py."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

import psycopg
from psycopg_pool import ConnectionPool

from schemas import FieldError, IncidentEvent, Rejection, RejectionReason
from schemas.survey import PulseAnswerEvent, SurveyWaveEvent
from trygg.adapters import database
from trygg.adapters.database import StaleIndex
from trygg.adapters.retrying import database_away, outage
from trygg.adapters.surveys import known_areas_and_sites, store_perceived_safety
from trygg.domain.batches import BatchResult, RejectedRow
from trygg.domain.placement import AreaIndex, Placement
from trygg.domain.surveys import validate_perceived_safety
from trygg.domain.validation import reject, validate_event
from trygg.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawMessage:
    partition: int
    offset: int
    value: bytes


@dataclass
class Sorted:
    """A batch split into placed valid events and rejections (with their Kafka position)."""

    placed: list[tuple[IncidentEvent, Placement]] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


def sort_batch(messages: Sequence[RawMessage], index: AreaIndex, settings: Settings, now: datetime) -> Sorted:
    """Validate and place every message; nothing here raises for bad input."""
    result = Sorted()
    skew = timedelta(seconds=settings.max_clock_skew_seconds)
    valid: list[IncidentEvent] = []
    for message in messages:
        outcome = validate_event(message.value, now=now, max_clock_skew=skew, known_sites=index.sites)
        if isinstance(outcome, Rejection):
            result.rejected.append(RejectedRow(message.partition, message.offset, outcome))
        else:
            valid.append(outcome)
    result.placed = list(zip(valid, index.place_all(valid)))
    return result


class BatchWriter:
    """Keeps the area index and a database connection (a pool of one); writes batches exactly once, waiting out
    outages of the database (trygg.adapters.retrying).

    `stop` (a threading or multiprocessing Event) ends the wait for an absent database: the batch then fails
    and its events stay unacknowledged.
    """

    def __init__(self, settings: Settings, stop: threading.Event | None = None) -> None:
        self.settings = settings
        self._pool: ConnectionPool | None = None
        self._index: AreaIndex | None = None
        self.stop = stop or threading.Event()

    def mark_index_stale(self) -> None:
        self._index = None

    def index(self) -> AreaIndex:
        if self._index is None:
            self._index = self._run(database.load_index)
        return self._index

    def _run(self, work):  # type: ignore[no-untyped-def]
        """Run `work(conn)`, waiting with backoff while the database is away (blocking); gives up once `stop`
        is set. A connection that failed is discarded by the pool, so the next attempt gets a fresh one."""
        if self._pool is None:
            self._pool = database.pool(self.settings.database_url, max_size=1, name="processor", timeout_s=5)
        connections = self._pool

        def attempt():  # type: ignore[no-untyped-def]
            with connections.connection() as conn:
                return work(conn)

        return outage(database_away, "database", first_wait=0.2, max_wait=5.0, stop=self.stop)(attempt)

    def write(self, messages: Sequence[RawMessage], once=None) -> tuple[Sorted, BatchResult]:  # type: ignore[no-untyped-def]
        """Validate, place and store one batch (with `once`, default an incident batch). Blocking: the agent
        runs it in the writer process.

        A batch the database refuses for its content (not for being away) is split until the one event
        to blame is found; that event is dead-lettered, the others are stored, and the stream goes on.
        """
        once = once or self._write_once
        try:
            return once(messages)
        except psycopg.Error as exc:
            if len(messages) == 1:
                return self._unstorable(messages[0], exc)
            half = len(messages) // 2
            first, first_result = self.write(messages[:half], once)
            second, second_result = self.write(messages[half:], once)
            return Sorted(first.placed + second.placed, first.rejected + second.rejected), first_result + second_result

    def _unstorable(self, message: RawMessage, exc: psycopg.Error) -> tuple[Sorted, BatchResult]:
        log.error("event at %d:%d cannot be stored: %s", message.partition, message.offset, exc)
        error = FieldError(field="", reason=RejectionReason.storage_failed, message=f"the database refused it: {exc}")
        rejection = reject(message.value, [error], datetime.now(UTC))
        return Sorted(rejected=[RejectedRow(message.partition, message.offset, rejection)]), BatchResult(0, 0, 1)

    def _write_once(self, messages: Sequence[RawMessage]) -> tuple[Sorted, BatchResult]:
        while True:
            index = self.index()
            now = datetime.now(UTC)
            batch = sort_batch(messages, index, self.settings, now)
            try:
                result = self._run(
                    partial(
                        database.store_batch,
                        placed=batch.placed,
                        rejected=batch.rejected,
                        index_revision=index.revision,
                        now=now,
                        note_retention=timedelta(days=self.settings.note_retention_days),
                    )
                )
            except StaleIndex as stale:
                log.info("agreements changed (%s); reloading areas", stale)
                self.mark_index_stale()
                continue
            return batch, result

    def write_perceived_safety(self, messages: Sequence[RawMessage]) -> tuple[list[RejectedRow], BatchResult]:
        """Validate and store one batch of `surveys.reported` (survey waves, pulse answers) exactly once."""
        batch, result = self.write(messages, self._write_perceived_safety_once)
        return batch.rejected, result

    def _write_perceived_safety_once(self, messages: Sequence[RawMessage]) -> tuple[Sorted, BatchResult]:
        def work(conn: psycopg.Connection) -> tuple[Sorted, BatchResult]:
            areas, sites = known_areas_and_sites(conn)
            now = datetime.now(UTC)
            valid: list[SurveyWaveEvent | PulseAnswerEvent] = []
            rejected: list[RejectedRow] = []
            for m in messages:
                outcome = validate_perceived_safety(m.value, now=now, known_areas=areas, known_sites=sites)
                if isinstance(outcome, Rejection):
                    rejected.append(RejectedRow(m.partition, m.offset, outcome))
                else:
                    valid.append(outcome)
            return Sorted(rejected=rejected), store_perceived_safety(conn, valid, rejected)

        return self._run(work)

    def maintain(self) -> None:
        """Erase expired free text and old rejection records."""
        now = datetime.now(UTC)
        retention = timedelta(days=self.settings.rejection_retention_days)
        self._run(lambda conn: database.purge_expired(conn, now, retention))

    def refresh_rollups(self) -> None:
        """TimescaleDB: fold late-arriving counts into the continuous aggregates."""
        self._run(database.refresh_rollups)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        self._pool = None
