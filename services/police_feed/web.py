"""What the police feed's two routers share: their use case (FastAPI `Depends`) and bounded body reading."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from trygg.app.accept_agency_batch import AgencyIntake


def intake_of(request: Request) -> AgencyIntake:
    """The one use-case object of this process (it holds the connection pool and the area index)."""
    return request.app.state.intake


Intake = Annotated[AgencyIntake, Depends(intake_of)]


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
