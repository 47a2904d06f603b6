"""Open311 GeoReport v2 subset (JSON): civic reporting apps file incidents with an agency token as api_key.

`description` is not stored: it is free text about people, and this path has no one to scrub it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import orjson

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from schemas import CATEGORY_LABELS, Category
from trygg.domain.police_intake import Agency, number_or_text
from trygg.settings import Settings

PREFIX = "/open311/v2"
MAX_REQUEST_BYTES = 65536

_HINTS = {
    Category.shoplifting: "Stöld av varor ur en butik",
    Category.theft: "Stöld av något annat än butiksvaror",
    Category.burglary: "Någon har tagit sig in i en byggnad, bil eller förråd",
    Category.robbery: "Stöld med våld eller hot",
    Category.drug_dealing: "Försäljning eller överlämning av narkotika",
    Category.vandalism: "Något har förstörts eller skadats",
    Category.graffiti: "Klotter eller tags",
    Category.threat: "Någon har hotats",
    Category.violence: "Någon har utsatts för våld",
    Category.harassment: "Någon har ofredats eller trakasserats",
    Category.disturbance: "Bråk, fylla eller annan ordningsstörning",
    Category.other: "Annan händelse som påverkar tryggheten",
}


def services() -> list[dict]:
    """Our categories as Open311 services (Swedish names; the English name is a keyword)."""
    return [
        {"service_code": c.value, "service_name": CATEGORY_LABELS[c][0], "description": _HINTS[c],
         "metadata": False, "type": "realtime", "keywords": CATEGORY_LABELS[c][1].lower(), "group": "trygghet"}
        for c in Category
    ]


def _errors(status: int, *descriptions: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": d} for d in descriptions], status_code=status)


def request_event(agency: Agency, fields: dict, now: datetime) -> dict:
    """The incident document for one Open311 request (validated like every other event afterwards)."""
    requested = fields.get("requested_datetime") or now.isoformat()
    if fields.get("requested_datetime"):
        # The same request re-sent (same place, service and time) is one event.
        key = "|".join(str(fields.get(k, "")) for k in ("service_code", "lat", "long", "requested_datetime"))
        event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"open311:{agency.agency_id}:{key}")
    else:
        event_id = uuid.uuid4()
    return {
        "event_id": str(event_id), "schema_version": 1, "source": agency.source.value, "reporter": agency.agency_id,
        "category": fields.get("service_code"), "occurred_at": requested, "reported_at": now.isoformat(),
        "location": {"lat": number_or_text(fields.get("lat")), "lon": number_or_text(fields.get("long"))},
    }


def open311_router(db, settings: Settings) -> APIRouter:  # type: ignore[no-untyped-def]
    from services.police_feed.app import TooLarge, ingest, read_body

    router = APIRouter(prefix=PREFIX)

    async def authenticated(token: object) -> Agency | None:
        return await run_in_threadpool(db.agency, token) if isinstance(token, str) and token else None

    @router.get("/services.json")
    def list_services() -> list[dict]:
        return services()

    @router.post("/requests.json")
    async def create_request(request: Request) -> JSONResponse:
        # A key in the query string is checked before a byte of the body is read; a key in the body (as
        # GeoReport v2 clients send it) only after reading at most MAX_REQUEST_BYTES of it.
        agency = await authenticated(request.query_params.get("api_key"))
        if agency is None and "api_key" in request.query_params:
            return _errors(403, "missing, unknown or revoked api_key")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in ("application/json", "application/x-www-form-urlencoded"):
            return _errors(415, "send application/x-www-form-urlencoded or application/json")
        try:
            body = await read_body(request, MAX_REQUEST_BYTES)
        except TooLarge:
            return _errors(413, f"request larger than {MAX_REQUEST_BYTES} bytes")
        try:
            if kind == "application/json":
                fields = orjson.loads(body)
                if not isinstance(fields, dict):
                    return _errors(400, "expected a JSON object")
            else:
                fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=40))
        except (ValueError, UnicodeDecodeError):
            return _errors(400, "the body could not be read")
        if agency is None:
            agency = await authenticated(fields.get("api_key"))
        if agency is None:
            return _errors(403, "missing, unknown or revoked api_key")
        event = request_event(agency, fields, datetime.now(UTC))
        [outcome] = await run_in_threadpool(ingest, db, settings, agency, [event])
        if outcome.status == "rejected":
            return _errors(400, *(f"{e.field or 'request'}: {e.reason.value}: {e.message}" for e in outcome.errors))
        notice = "Tack, rapporten är mottagen." if outcome.status == "accepted" else "Rapporten var redan mottagen."
        return JSONResponse([{"service_request_id": event["event_id"], "service_notice": notice}])

    @router.get("/requests/{request_id}.json")
    async def get_request(request: Request, request_id: str) -> JSONResponse:
        # Only the agency that filed a request may look it up: `?api_key=`.
        agency = await authenticated(request.query_params.get("api_key"))
        if agency is None:
            return _errors(403, "missing, unknown or revoked api_key")
        try:
            event_id = uuid.UUID(request_id)
        except ValueError:
            return _errors(404, "no such service request")

        def look_up(conn):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
            queued = conn.execute("SELECT created_at FROM outbox WHERE event_id = %s AND owner = %s",
                                  (event_id, agency.owner)).fetchone()
            counted = conn.execute(
                "SELECT category, occurred_at FROM incident_events WHERE event_id = %s", (event_id,)
            ).fetchone() if queued else None
            return queued, counted

        queued, counted = await run_in_threadpool(db.run, look_up)
        if queued is None:  # unknown, or another sender's (a form report, another agency's): the same answer
            return _errors(404, "no such service request")
        # No location and no text.
        answer = {"service_request_id": str(event_id), "status": "closed" if counted else "open",
                  "status_notes": "registrerad i statistiken" if counted else "mottagen"}
        if counted:
            answer |= {"service_code": counted[0], "service_name": CATEGORY_LABELS[Category(counted[0])][0],
                       "requested_datetime": counted[1].isoformat()}
        return JSONResponse([answer])

    return router
