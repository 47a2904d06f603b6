"""The police feed: agencies' batch endpoint and an Open311 GeoReport v2 subset (entry point `trygg police-feed`).

Every accepted event is in the outbox (committed) before the answer leaves; the relay publishes it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta

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


class Database:
    """A few reused connections (one per worker thread at most) and the area index, reloaded on a redraw."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._idle: queue.LifoQueue[psycopg.Connection] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._index: AreaIndex | None = None

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = connect(self.url)
        try:
            yield conn
        except BaseException:
            conn.close()  # its state is unknown after a failure: never given back
            raise
        self._idle.put(conn)

    def index(self, conn: psycopg.Connection) -> AreaIndex:
        revision = conn.execute("SELECT revision FROM area_revision").fetchone()[0]
        with self._lock:
            if self._index is None or self._index.revision != revision:
                self._index = load_index(conn)
            return self._index

    def agency(self, token: str) -> Agency | None:
        with self.connection() as conn:
            return agency_by_token(conn, token)

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().close()


def error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def ingest(db: Database, settings: Settings, agency: Agency, items: list) -> list:
    """Validate and scope-check a batch, enqueue the accepted ones in one transaction; outcomes in order."""
    with db.connection() as conn:
        index = db.index(conn)
        outcomes = evaluate(
            items, agency=agency, index=index, now=datetime.now(UTC),
            max_clock_skew=timedelta(seconds=settings.max_clock_skew_seconds), known_sites=index.sites,
        )
        with conn.transaction():
            return enqueue_outcomes(conn, outcomes)


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
        with db.connection() as conn:
            conn.execute("SELECT 1")
        return {"status": "ok"}

    @app.post("/v1/incidents")
    async def incidents(request: Request) -> JSONResponse:
        token = bearer(request)
        agency = await run_in_threadpool(db.agency, token) if token else None
        if agency is None:
            return error(401, "missing, unknown or revoked bearer token (Authorization: Bearer <token>)",
                         **{"WWW-Authenticate": "Bearer"})
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in (NDJSON, "application/json"):
            return error(415, f"send {NDJSON} (one event per line) or application/json (an array of events)")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.police_feed_max_body_bytes:
                return error(413, f"body larger than {settings.police_feed_max_body_bytes} bytes; "
                                  f"split it into batches of at most {MAX_BATCH_EVENTS} events")
        if kind == NDJSON:
            items: list = list(split_ndjson(bytes(body).splitlines()))
        else:
            try:
                items = split_json_array(bytes(body))
            except ValueError as exc:
                return error(400, str(exc))
        if len(items) > MAX_BATCH_EVENTS:
            return error(413, f"{len(items)} events in one batch; at most {MAX_BATCH_EVENTS} per request")
        outcomes = await run_in_threadpool(ingest, db, settings, agency, items)
        counts = {status: sum(o.status == status for o in outcomes) for status in ("accepted", "duplicate", "rejected")}
        body = (f'{{"accepted": {counts["accepted"]}, "duplicates": {counts["duplicate"]}, '
                f'"rejected": {counts["rejected"]}, "results": [' + ",\n".join(
                    o.json_text(i) for i, o in enumerate(outcomes)) + "]}")
        return Response(body.encode(), media_type="application/json")

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
