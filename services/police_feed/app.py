"""The police feed: agencies' batch endpoint and an Open311 GeoReport v2 subset (entry point `trygg police-feed`).

Every accepted event is in the outbox (committed) before the answer leaves; the relay publishes it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from trygg.adapters.agencies import agency_by_token, enqueue_outcomes
from trygg.adapters.database import connect, load_index
from trygg.domain.police_intake import MAX_BATCH_EVENTS, Agency, evaluate, split_json_array, split_ndjson
from trygg.domain.placement import AreaIndex
from trygg.settings import Settings, load_settings

NDJSON = "application/x-ndjson"
RETRY_AFTER_S = 30  # what a refused sender is told to wait while the database is away
log = logging.getLogger(__name__)
T = TypeVar("T")


class Database:
    """A few reused connections (one per worker thread at most) and the area index, reloaded on a redraw."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._idle: queue.LifoQueue[psycopg.Connection] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._index: AreaIndex | None = None

    def run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """`work(conn)` on a reused connection. One that went stale while idle (PostgreSQL restarted) is
        replaced and the work tried once more on a fresh one; a failure on a fresh one is raised."""
        while True:
            try:
                conn, reused = self._idle.get_nowait(), True
            except queue.Empty:
                conn, reused = connect(self.url), False
            try:
                result = work(conn)
            except psycopg.OperationalError:
                conn.close()  # its state is unknown after a failure: never given back
                if reused:
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            self._idle.put(conn)
            return result

    def index(self, conn: psycopg.Connection) -> AreaIndex:
        revision = conn.execute("SELECT revision FROM area_revision").fetchone()[0]
        with self._lock:
            if self._index is None or self._index.revision != revision:
                self._index = load_index(conn)
            return self._index

    def agency(self, token: str) -> Agency | None:
        return self.run(lambda conn: agency_by_token(conn, token))

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().close()


def error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class TooLarge(Exception):
    """The request body passed its limit; nothing more of it is read."""


async def read_body(request: Request, limit: int) -> bytes:
    """The body, read only up to `limit` bytes: a declared or a chunked body beyond it raises TooLarge."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


def batch_items(kind: str, body: bytes) -> list:
    """The items of a batch body (NDJSON lines or JSON array items), each checked on its own later."""
    if kind == NDJSON:
        return list(split_ndjson(body.splitlines()))
    return split_json_array(body)


def ingest(db: Database, settings: Settings, agency: Agency, items: list) -> list:
    """Validate and scope-check a batch, enqueue the accepted ones in one transaction; outcomes in order."""
    def work(conn: psycopg.Connection) -> list:
        index = db.index(conn)
        outcomes = evaluate(
            items, agency=agency, index=index, now=datetime.now(UTC),
            max_clock_skew=timedelta(seconds=settings.max_clock_skew_seconds), known_sites=index.sites,
        )
        with conn.transaction():
            return enqueue_outcomes(conn, outcomes, agency)
    return db.run(work)


def ingest_body(db: Database, settings: Settings, agency: Agency, kind: str, body: bytes) -> list | JSONResponse:
    """Parse (per item) and ingest a batch body; a refusal of the whole request as its answer."""
    try:
        items = batch_items(kind, body)
    except ValueError as exc:
        return error(400, str(exc))
    if len(items) > MAX_BATCH_EVENTS:
        return error(413, f"{len(items)} events in one batch; at most {MAX_BATCH_EVENTS} per request")
    return ingest(db, settings, agency, items)


def create_app(settings: Settings) -> FastAPI:
    from services.police_feed.open311 import open311_router

    db = Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        db.close()

    app = FastAPI(title="trygg police feed", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.db = db

    @app.get("/health")
    def health() -> dict:
        db.run(lambda conn: conn.execute("SELECT 1"))
        return {"status": "ok"}

    @app.exception_handler(psycopg.OperationalError)
    async def database_away(_: Request, exc: psycopg.OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", (str(exc).strip().splitlines() or [type(exc).__name__])[0])
        return error(503, "the database is unavailable; nothing of this request was stored, send it again later",
                     **{"Retry-After": str(RETRY_AFTER_S)})

    @app.post("/v1/incidents")
    async def incidents(request: Request) -> Response:
        token = bearer(request)
        agency = await run_in_threadpool(db.agency, token) if token else None
        if agency is None:
            return error(401, "missing, unknown or revoked bearer token (Authorization: Bearer <token>)",
                         **{"WWW-Authenticate": "Bearer"})
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in (NDJSON, "application/json"):
            return error(415, f"send {NDJSON} (one event per line) or application/json (an array of events)")
        try:
            body = await read_body(request, settings.police_feed_max_body_bytes)
        except TooLarge:
            return error(413, f"body larger than {settings.police_feed_max_body_bytes} bytes; "
                              f"split it into batches of at most {MAX_BATCH_EVENTS} events")
        # Parsing a 32 MB body is CPU work: off the event loop, like validation.
        outcomes = await run_in_threadpool(ingest_body, db, settings, agency, kind, body)
        if isinstance(outcomes, Response):
            return outcomes
        counts = {status: sum(o.status == status for o in outcomes) for status in ("accepted", "duplicate", "rejected")}
        answer = (f'{{"accepted": {counts["accepted"]}, "duplicates": {counts["duplicate"]}, '
                  f'"rejected": {counts["rejected"]}, "results": [' + ",\n".join(
                      o.json_text(i) for i, o in enumerate(outcomes)) + "]}")
        return Response(answer.encode(), media_type="application/json")

    app.include_router(open311_router(db, settings))
    return app


def app_from_environment() -> FastAPI:
    """The app for each uvicorn worker process (they read the same environment as `trygg police-feed`)."""
    return create_app(load_settings())


def run(settings: Settings) -> None:
    import uvicorn

    options = {"host": settings.police_feed_host, "port": settings.police_feed_port,
               "log_level": settings.log_level.lower(), "access_log": False}
    if settings.police_feed_workers > 1:
        # Validation is CPU-bound Python: several processes use several cores.
        uvicorn.run("services.police_feed.app:app_from_environment", factory=True,
                    workers=settings.police_feed_workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
