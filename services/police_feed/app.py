"""The police feed: agencies' batch endpoint and an Open311 GeoReport v2 subset (entry point `trygg police-feed`).

The routes translate HTTP into one call of the use case (trygg/app/accept_agency_batch.py); every accepted
event is in the outbox (committed) before the answer leaves, and the relay publishes it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from services.police_feed.open311 import router as open311_router
from services.police_feed.web import Intake, TooLarge, read_body
from trygg.app.accept_agency_batch import AgencyIntake
from trygg.domain.police_intake import MAX_BATCH_EVENTS, TooManyEvents
from trygg.settings import Settings, load_settings

NDJSON = "application/x-ndjson"
RETRY_AFTER_S = 30  # what a refused sender is told to wait while the database is away
log = logging.getLogger(__name__)
router = APIRouter()


def error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@router.get("/health")
def health(intake: Intake) -> dict:
    intake.check()
    return {"status": "ok"}


@router.post("/v1/incidents")
async def incidents(request: Request, intake: Intake) -> Response:
    token = bearer(request)
    agency = await run_in_threadpool(intake.agency, token) if token else None
    if agency is None:
        return error(401, "missing, unknown or revoked bearer token (Authorization: Bearer <token>)",
                     **{"WWW-Authenticate": "Bearer"})
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in (NDJSON, "application/json"):
        return error(415, f"send {NDJSON} (one event per line) or application/json (an array of events)")
    limit = intake.settings.police_feed_max_body_bytes
    try:
        body = await read_body(request, limit)
    except TooLarge:
        return error(413, f"body larger than {limit} bytes; split it into batches of at most {MAX_BATCH_EVENTS} events")
    try:
        # Parsing a 32 MB body is CPU work: off the event loop, like validation.
        outcomes = await run_in_threadpool(intake.accept_body, agency, kind == NDJSON, body)
    except TooManyEvents as exc:
        return error(413, str(exc))
    except ValueError as exc:
        return error(400, str(exc))
    counts = {status: sum(o.status == status for o in outcomes) for status in ("accepted", "duplicate", "rejected")}
    answer = (f'{{"accepted": {counts["accepted"]}, "duplicates": {counts["duplicate"]}, '
              f'"rejected": {counts["rejected"]}, "results": [' + ",\n".join(
                  o.json_text(i) for i, o in enumerate(outcomes)) + "]}")
    return Response(answer.encode(), media_type="application/json")


def create_app(settings: Settings) -> FastAPI:
    """The police feed over one AgencyIntake (its connection pool closes with the app)."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.intake.close()

    app = FastAPI(title="trygg police feed", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.intake = AgencyIntake(settings)

    @app.exception_handler(psycopg.OperationalError)
    async def database_away(_: Request, exc: psycopg.OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", (str(exc).strip().splitlines() or [type(exc).__name__])[0])
        return error(503, "the database is unavailable; nothing of this request was stored, send it again later",
                     **{"Retry-After": str(RETRY_AFTER_S)})

    app.include_router(router)
    app.include_router(open311_router)
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
