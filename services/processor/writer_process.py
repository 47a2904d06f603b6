"""The processor's second process: validation, placement and the database write of every batch.

Faust's per-event work (fetching, offset tracking, heartbeats) fills one core on its own; running our
per-event work in the same interpreter would share that core through the GIL. So the agent hands each
batch as plain (partition, offset, value) tuples to this one process and gets back the batch's counts and
the dead letters ready to send. One process, one call at a time, in submission order: writes stay ordered.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from services.processor.batch import BatchWriter, RawMessage
from trygg.domain.batches import BatchResult, RejectedRow
from trygg.settings import Settings, configure_logging

log = logging.getLogger(__name__)

DeadLetter = tuple[bytes, bytes]  # Kafka key and value for incidents.rejected

_PR_SET_PDEATHSIG = 1

# State of the writer process (module globals: the executor calls plain functions).
_writer: BatchWriter | None = None
_index_generation = 0


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the worker dies, SIGKILL included, so no orphan keeps writing."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the worker died before prctl took effect
            os._exit(1)


def _start(settings: Settings, stop: multiprocessing.synchronize.Event) -> None:
    _die_with_parent()
    # Ctrl-C and SIGTERM reach the whole process group; the worker decides when this process stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    configure_logging(settings)
    gc.set_threshold(20_000, 10, 10)  # see run_worker: batches make many short-lived, cycle-free objects
    global _writer
    _writer = BatchWriter(settings, stop)


def _write(messages: Sequence[tuple[int, int, bytes]], index_generation: int) -> tuple[list[DeadLetter], BatchResult]:
    global _index_generation
    assert _writer is not None
    if index_generation != _index_generation:
        _writer.mark_index_stale()
        _index_generation = index_generation
    batch, result = _writer.write([RawMessage(*m) for m in messages])
    return _dead_letters(batch.rejected, _writer.settings.topic_incidents_reported), result


def _dead_letters(rejected: Sequence[RejectedRow], topic: str) -> list[DeadLetter]:
    return [row.dead_letter(topic) for row in rejected]


def _write_perceived_safety(messages: Sequence[tuple[int, int, bytes]]) -> tuple[list[DeadLetter], BatchResult]:
    assert _writer is not None
    rejected, result = _writer.write_perceived_safety([RawMessage(*m) for m in messages])
    return _dead_letters(rejected, _writer.settings.topic_surveys_reported), result


def _load_index() -> None:
    assert _writer is not None
    _writer.index()


def _refresh_rollups() -> None:
    assert _writer is not None
    _writer.refresh_rollups()


def _maintain() -> None:
    assert _writer is not None
    _writer.maintain()


def _close() -> None:
    if _writer is not None:
        _writer.close()


class WriterProcess:
    """The worker's handle on the writer process; every method awaits the call's completion."""

    def __init__(self, settings: Settings) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a process running an event loop and threads
        self._stop = context.Event()
        self._pool = ProcessPoolExecutor(1, mp_context=context, initializer=_start, initargs=(settings, self._stop))
        self._index_generation = 0
        self._used = False
        self.closing = False

    async def _call(self, fn, *args):  # type: ignore[no-untyped-def]
        self._used = True
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def start(self) -> None:
        """Start the process and build its area index before the first batch arrives."""
        await self._call(_load_index)

    def mark_index_stale(self) -> None:
        """Agreements changed: the next batch reloads the areas first."""
        self._index_generation += 1

    async def write(self, messages: Sequence[tuple[int, int, bytes]]) -> tuple[list[DeadLetter], BatchResult]:
        """Validate, place and store one batch; returns its dead letters and counts."""
        return await self._call(_write, messages, self._index_generation)

    async def write_perceived_safety(
        self, messages: Sequence[tuple[int, int, bytes]]
    ) -> tuple[list[DeadLetter], BatchResult]:
        """Validate and store one batch of survey waves and pulse answers; returns its dead letters and counts."""
        return await self._call(_write_perceived_safety, messages)

    async def refresh_rollups(self) -> None:
        await self._call(_refresh_rollups)

    async def maintain(self) -> None:
        await self._call(_maintain)

    def close(self) -> None:
        """Stop retrying an absent database, let the running call end, close the connection."""
        self.closing = True
        self._stop.set()
        if not self._used:  # never started: nothing to close
            return
        try:
            self._pool.submit(_close).result(timeout=30)
        except Exception as exc:  # noqa: BLE001 - shutting down: a broken pool has nothing left to close
            log.warning("writer process did not close cleanly: %s", exc)
        self._pool.shutdown(wait=True, cancel_futures=True)
