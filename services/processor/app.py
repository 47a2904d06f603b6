"""The Faust stream processor. Where an event goes:

incidents.reported --(agent `count_incidents`, micro-batches)--> validate + place (batch.py)
    valid   -> one database transaction: event ledger, event row, hourly counts (exactly once)
    invalid -> incidents.rejected (dead letter with reason) + a reason row in the database
Offsets are acknowledged only after the database commit, so a crash means redelivery, never loss, and
the ledger turns redelivery into a no-op.

agreements --(agent `watch_agreements`)--> the area index is rebuilt before the next batch.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from concurrent.futures import ThreadPoolExecutor

import faust
from faust.web import Request, Response, View

from services.processor.batch import BatchWriter, RawMessage
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
    writer = BatchWriter(settings)
    # One thread: the connection is used by one batch at a time, and the event loop stays free for heartbeats.
    database_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trygg-db")
    reported = app.topic(settings.topic_incidents_reported, key_serializer="raw", value_serializer="raw")
    rejected = app.topic(settings.topic_incidents_rejected, key_serializer="raw", value_serializer="raw")
    agreements = app.topic(settings.topic_agreements, key_serializer="raw", value_serializer="raw")
    pending_refresh = asyncio.Event()

    async def in_database_thread(fn, *args):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(database_thread, fn, *args)

    async def settle(stream: faust.StreamT, events: list) -> None:
        """Write one batch, dead-letter its rejections, and only then let Faust commit its offsets."""
        messages = [RawMessage(e.message.partition, e.message.offset, e.message.value or b"") for e in events]
        batch, result = await in_database_thread(writer.write, messages)
        for row in batch.rejected:
            letter = row.rejection.model_copy(
                update={
                    "source_topic": settings.topic_incidents_reported,
                    "source_partition": row.partition,
                    "source_offset": row.offset,
                }
            )
            key = f"{row.partition}:{row.offset}".encode()
            await (await rejected.send(key=key, value=letter.model_dump_json().encode()))
        for event in events:
            await stream.ack(event)
        if result.accepted:
            pending_refresh.set()
        log.info("batch: %d accepted, %d duplicates, %d rejected", result.accepted, result.duplicates,
                 result.rejected)

    @app.agent(reported)
    async def count_incidents(stream: faust.StreamT) -> None:
        # Two batches in flight: the next one is fetched and validated while the database writes this one.
        # Writes stay in order (one database thread); acks may come in any order, Faust commits the gap-free part.
        in_flight: set[asyncio.Task] = set()
        async for events in stream.noack_take(settings.batch_max_events, within=settings.batch_max_seconds):
            while len(in_flight) >= 2:
                done, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    in_flight.discard(task)
                    task.result()  # a failed batch stops the agent; its events stay unacknowledged
            in_flight.add(asyncio.ensure_future(settle(stream, events)))

    @app.agent(agreements)
    async def watch_agreements(stream: faust.StreamT) -> None:
        async for _ in stream:
            writer.mark_index_stale()

    @app.timer(interval=settings.rollup_refresh_seconds)
    async def refresh_rollups() -> None:
        if pending_refresh.is_set():
            pending_refresh.clear()
            await in_database_thread(writer.refresh_rollups)

    @app.timer(interval=3600.0, on_leader=False)
    async def erase_expired() -> None:
        await in_database_thread(writer.maintain)

    @app.page("/")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok", **writer.stats})

    @app.on_before_shutdown.connect
    async def _close(app: faust.App, **kwargs: object) -> None:  # noqa: ARG001
        # A batch stuck retrying an absent database gives up; its events stay unacknowledged.
        writer.stopping = True
        database_thread.shutdown(wait=True)
        writer.close()

    return app


def run_worker(settings: Settings) -> None:
    """Entry point of the service (`trygg worker`): run the processor until SIGINT/SIGTERM."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level of its datadir
    app = create_app(settings)
    # Each batch allocates thousands of short-lived objects that hold no cycles; the default collector
    # threshold (700) would scan the whole heap many times per batch.
    gc.set_threshold(20_000, 10, 10)
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True)
    worker.execute_from_commandline()
