"""The Faust stream processor. Where an event goes:

incidents.reported --(agent `count_incidents`, micro-batches)--> writer process (writer_process.py):
    validate + place (batch.py)
    valid   -> one database transaction: event ledger, event row, hourly counts (exactly once)
    invalid -> incidents.rejected (dead letter with reason) + a reason row in the database
Offsets are acknowledged only after the database commit, so a crash means redelivery, never loss, and
the ledger turns redelivery into a no-op.

surveys.reported --(agent `count_perceived_safety`)--> the same writer process: survey waves (a newer import
    replaces its wave) and pulse answers, ledger and dead letters as above.
agreements --(agent `watch_agreements`)--> the area index is rebuilt before the next batch.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os

import faust
import uvloop
from faust.web import Request, Response, View

from services.processor.writer_process import WriterProcess
from trygg.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> faust.App:
    """Build the Faust app with its agents, timers and health page. Nothing runs until a worker starts it."""
    app = faust.App(
        settings.processor_app_id,
        broker=",".join(f"kafka://{h}" for h in settings.kafka_bootstrap_servers.split(",")),
        store="memory://",
        # Faust wants a data directory even with in-memory tables: keep it in the git-ignored state folder.
        datadir=str(settings.state_dir.resolve() / f"{settings.processor_app_id}-data"),
        topic_partitions=settings.incidents_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        broker_rebalance_timeout=settings.kafka_rebalance_timeout_seconds,
        broker_session_timeout=settings.kafka_session_timeout_seconds,
        broker_heartbeat_interval=settings.kafka_heartbeat_interval_seconds,
        consumer_auto_offset_reset="earliest",
        web_enabled=settings.processor_web_port > 0,
        web_port=settings.processor_web_port or 6066,
        web_bind="0.0.0.0",
        web_in_thread=False,
    )
    writer = WriterProcess(settings)
    stats = {"batches": 0, "accepted": 0, "duplicates": 0, "rejected": 0}
    reported = app.topic(settings.topic_incidents_reported, key_serializer="raw", value_serializer="raw")
    rejected = app.topic(settings.topic_incidents_rejected, key_serializer="raw", value_serializer="raw")
    agreements = app.topic(settings.topic_agreements, key_serializer="raw", value_serializer="raw")
    surveys = app.topic(settings.topic_surveys_reported, key_serializer="raw", value_serializer="raw")
    pending_refresh = asyncio.Event()

    async def settle(stream: faust.StreamT, events: list, write=writer.write) -> None:  # type: ignore[no-untyped-def]
        """Write one batch, dead-letter its rejections, and only then let Faust commit its offsets."""
        letters, result = await write(
            [(e.message.partition, e.message.offset, e.message.value or b"") for e in events]
        )
        for key, value in letters:
            await (await rejected.send(key=key, value=value))
        for event in events:
            await stream.ack(event)
        stats["batches"] += 1
        for name in ("accepted", "duplicates", "rejected"):
            stats[name] += getattr(result, name)
        if result.accepted:
            pending_refresh.set()
        log.info("batch: %d accepted, %d duplicates, %d rejected", result.accepted, result.duplicates,
                 result.rejected)

    def stop_hard_on_failure(task: asyncio.Task) -> None:
        if task.cancelled() or task.exception() is None or writer.closing:
            return  # while closing, a batch that gave up waiting for the database simply stays unacknowledged
        # Faust would restart the agent with this batch's offsets unacknowledged, which stalls every later
        # commit. Stopping hard is what the crash tests prove safe: the restarted worker re-reads the batch.
        log.critical("a batch failed; stopping the worker so it restarts from the last commit", exc_info=task.exception())
        logging.shutdown()
        os._exit(70)

    @app.agent(reported)
    async def count_incidents(stream: faust.StreamT) -> None:
        # Up to four batches in flight: the next ones are fetched while the writer process stores this one.
        # Writes stay in order (one writer process); acks may come in any order, Faust commits the gap-free part.
        in_flight: set[asyncio.Task] = set()
        await writer.start()
        async for events in stream.noack_take(settings.batch_max_events, within=settings.batch_max_seconds):
            if len(in_flight) >= 4:
                _, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            task = asyncio.ensure_future(settle(stream, events))
            task.add_done_callback(stop_hard_on_failure)
            in_flight.add(task)

    @app.agent(surveys)
    async def count_perceived_safety(stream: faust.StreamT) -> None:
        # Survey waves and pulse answers are few: one batch at a time, through the same writer process.
        await writer.start()
        async for events in stream.noack_take(settings.batch_max_events, within=settings.batch_max_seconds):
            task = asyncio.ensure_future(settle(stream, events, writer.write_perceived_safety))
            task.add_done_callback(stop_hard_on_failure)
            await asyncio.wait([task])

    @app.agent(agreements)
    async def watch_agreements(stream: faust.StreamT) -> None:
        async for _ in stream:
            writer.mark_index_stale()

    @app.timer(interval=settings.rollup_refresh_seconds)
    async def refresh_rollups() -> None:
        if pending_refresh.is_set():
            pending_refresh.clear()
            await writer.refresh_rollups()

    @app.timer(interval=3600.0, on_leader=False)
    async def erase_expired() -> None:
        await writer.maintain()

    @app.page("/")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok", **stats})

    @app.on_before_shutdown.connect
    async def _close(app: faust.App, **kwargs: object) -> None:  # noqa: ARG001
        # A batch stuck retrying an absent database gives up; its events stay unacknowledged.
        writer.close()

    return app


def run_worker(settings: Settings) -> None:
    """Entry point of the service (`trygg worker`): run the processor until SIGINT/SIGTERM."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level of its datadir
    app = create_app(settings)
    # Each batch allocates thousands of short-lived objects that hold no cycles; the default collector
    # threshold (700) would scan the whole heap many times per batch.
    gc.set_threshold(20_000, 10, 10)
    # Faust spends much of its per-event time in the event loop itself; uvloop's is several times cheaper.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True)
    worker.execute_from_commandline()
