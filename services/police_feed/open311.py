"""Open311 GeoReport v2 subset (JSON): civic reporting apps file incidents with an agency token as api_key.

`description` is not stored: it is free text about people, and this path has no one to scrub it.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from schemas import Category
from services.police_feed.web import Intake, TooLarge, read_body
from trygg import texts
from trygg.app.accept_agency_batch import AgencyIntake
from trygg.domain.police_intake import Agency

PREFIX = "/open311/v2"
MAX_REQUEST_BYTES = 65536
router = APIRouter(prefix=PREFIX)


def services() -> list[dict]:
    """Our categories as Open311 services (Swedish names; the English name is a keyword)."""
    return [
        {"service_code": c.value, "service_name": texts.category_label(c), "description": texts.category_hint(c),
         "metadata": False, "type": "realtime", "keywords": texts.category_label(c, "en").lower(),
         "group": texts.text(texts.OPEN311, "group")}
        for c in Category
    ]


def _errors(status: int, *descriptions: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": d} for d in descriptions], status_code=status)


async def _authenticated(intake: AgencyIntake, token: object) -> Agency | None:
    return await run_in_threadpool(intake.agency, token) if isinstance(token, str) and token else None


@router.get("/services.json")
def list_services() -> list[dict]:
    return services()


@router.post("/requests.json")
async def create_request(request: Request, intake: Intake) -> JSONResponse:
    # A key in the query string is checked before a byte of the body is read; a key in the body (as
    # GeoReport v2 clients send it) only after reading at most MAX_REQUEST_BYTES of it.
    agency = await _authenticated(intake, request.query_params.get("api_key"))
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
        agency = await _authenticated(intake, fields.get("api_key"))
    if agency is None:
        return _errors(403, "missing, unknown or revoked api_key")
    event_id, outcome = await run_in_threadpool(intake.accept_request, agency, fields)
    if outcome.status == "rejected":
        return _errors(400, *(f"{e.field or 'request'}: {e.reason.value}: {e.message}" for e in outcome.errors))
    notice = texts.text(texts.OPEN311, "received" if outcome.status == "accepted" else "received_before")
    return JSONResponse([{"service_request_id": str(event_id), "service_notice": notice}])


@router.get("/requests/{request_id}.json")
async def get_request(request: Request, request_id: str, intake: Intake) -> JSONResponse:
    # Only the agency that filed a request may look it up: `?api_key=`.
    agency = await _authenticated(intake, request.query_params.get("api_key"))
    if agency is None:
        return _errors(403, "missing, unknown or revoked api_key")
    try:
        event_id = uuid.UUID(request_id)
    except ValueError:
        return _errors(404, "no such service request")
    status = await run_in_threadpool(intake.request_status, agency, event_id)
    if status is None:  # unknown, or another sender's (a form report, another agency's): the same answer
        return _errors(404, "no such service request")
    # No location and no text.
    answer = {"service_request_id": str(event_id), "status": "closed" if status.counted else "open",
              "status_notes": texts.text(texts.OPEN311, "counted" if status.counted else "queued")}
    if status.counted:
        answer |= {"service_code": status.category, "service_name": texts.category_label(status.category),
                   "requested_datetime": status.occurred_at.isoformat()}
    return JSONResponse([answer])
