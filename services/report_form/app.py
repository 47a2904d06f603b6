"""`trygg form`: the report form (FastAPI, server-rendered, works without JavaScript).

A partner opens /r/<token>. Each rendered form carries a fresh nonce and a CSRF token signed over the
link and that nonce; the nonce is also the idempotency key of the submission, so a double tap or a
resent form shows the same receipt. The receipt is shown only after the report is committed to the
outbox; the relay publishes it to Kafka whenever the broker is reachable.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qsl

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from schemas import IncidentEvent
from schemas.survey import PULSE_QUESTION, QUESTIONS, PulseAnswerEvent
from services.report_form.texts import CATEGORY_TEXTS, LANGUAGES, text
from trygg.adapters.database import connect
from trygg.adapters.intake import Link, find_link, pin_in_agreement, submission, submit_pulse, submit_report
from trygg.domain.intake import (
    STOCKHOLM,
    ReportInput,
    derived_event_ids,
    form_defaults,
    parse_report,
    reference_code,
    sign_form,
    token_sha256,
    verify_form,
)
from trygg.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
PULSE_NAMESPACE = uuid.UUID("5d6c1f0e-9c1b-4c65-9a55-7c2b1f0e3a12")  # pulse event ids from link and form nonce
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
RETRY_AFTER_S = 30  # what the page asks the browser to wait while the database is away
FORM_MAX_AGE_S = 12 * 3600  # a form left open on the staff room computer over a shift still works
# Where the error summary links to, per field name.
ANCHORS = {"category": "category-group", "when": "date", "where": "where-group", "count": "count",
           "loss": "loss", "police_reference": "police_reference", "note": "note"}


class RateLimiter:
    """Sliding one-minute windows per key, in this process's memory (each form replica limits on its own)."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str, per_minute: int, now: float) -> bool:
        with self._lock:
            if len(self._hits) > 10_000:  # forget quiet clients, so the table stays small
                self._hits = defaultdict(deque, {k: v for k, v in self._hits.items() if v and v[-1] > now - 60})
            hits = self._hits[key]
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= per_minute:
                return False
            hits.append(now)
            return True


class _Connections(threading.local):
    """One database connection per server thread, reopened after a failure."""

    conn: psycopg.Connection | None = None


def create_app(settings: Settings) -> FastAPI:
    """The form application, configured by `settings`."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    secret = settings.form_secret or secrets.token_hex(32)
    limiter = RateLimiter()
    local = _Connections()

    def db(work: Callable[[psycopg.Connection], T]) -> T:
        """`work(conn)` on this thread's connection. One that went stale while idle (PostgreSQL restarted) is
        replaced and the work tried once more; a failure on a fresh connection is raised (a 503 page)."""
        while True:
            reused = local.conn is not None and not local.conn.closed
            if not reused:
                local.conn = connect(settings.database_url)
            try:
                return work(local.conn)  # type: ignore[arg-type]
            except psycopg.OperationalError:
                local.conn.close()  # type: ignore[union-attr]
                local.conn = None
                if not reused:
                    raise

    def language(request: Request, form: dict[str, str] | None = None) -> str:
        for candidate in (request.query_params.get("lang"), (form or {}).get("lang"), request.cookies.get("lang")):
            if candidate in LANGUAGES:
                return candidate
        return "sv"

    def page(request: Request, name: str, lang: str, status: int = 200, **context: object) -> HTMLResponse:
        response = TEMPLATES.TemplateResponse(
            request, name, {"lang": lang, "t": lambda key, **v: text(key, lang, **v),
                            "csp_nonce": request.state.csp_nonce, **context}, status_code=status,
        )
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie("lang", lang, max_age=365 * 86400, httponly=True, samesite="lax")
        return response

    def refusal(request: Request, lang: str, status: int, kind: str, back: str | None = None, **values: object):  # noqa: ANN202
        return page(request, "refusal.html", lang, status, heading=text(f"{kind}_title", lang),
                    body=text(f"{kind}_body", lang, **values), back=back)

    def render_form(request: Request, token: str, link: Link, lang: str, values: dict[str, str],
                    errors: dict[str, str], nonce: str | None = None, status: int = 200) -> HTMLResponse:
        nonce = nonce or secrets.token_urlsafe(16)
        now = datetime.now(UTC)
        categories = [(c.value, labels[lang == "en"], hints[lang == "en"]) for c, (labels, hints) in CATEGORY_TEXTS.items()]
        messages = {name: text(code, lang, max_count=settings.form_max_count) for name, code in errors.items()}
        pulse_nonce = secrets.token_urlsafe(16)
        pulse_answers = [(code, labels[lang == "en"]) for code, labels in QUESTIONS[PULSE_QUESTION].answers.items()]
        return page(request, "form.html", lang, status, token=token, link=link, values=values, errors=messages,
                    anchors=ANCHORS, nonce=nonce, categories=categories, max_count=settings.form_max_count,
                    csrf=sign_form(secret, link.token_sha256, nonce, int(time.time())),
                    today=now.astimezone(STOCKHOLM).date().isoformat(), pulse_nonce=pulse_nonce,
                    pulse_csrf=sign_form(secret, link.token_sha256, pulse_nonce, int(time.time())),
                    pulse_answers=pulse_answers, pulse_saved=request.query_params.get("puls") == "tack")

    def link_refusal(request: Request, link: Link | None, lang: str) -> HTMLResponse | None:
        if link is None:
            return refusal(request, lang, 404, "unknown")
        if link.revoked_at is not None:
            return refusal(request, lang, 410, "revoked")
        return None

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        request.state.csp_nonce = secrets.token_urlsafe(16)
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > settings.form_max_body_bytes):
            response: Response = refusal(request, language(request), 413, "too_large")
        else:
            response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src 'nonce-{request.state.csp_nonce}'; img-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"  # the URL holds the partner's token
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(psycopg.OperationalError)
    async def database_away(request: Request, exc: psycopg.OperationalError) -> HTMLResponse:
        log.warning("database unavailable: %s", (str(exc).strip().splitlines() or [type(exc).__name__])[0])
        response = refusal(request, language(request), 503, "unavailable")
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/r/{token}")
    def show_form(request: Request, token: str) -> HTMLResponse:
        lang = language(request)
        link = db(lambda conn: find_link(conn, token))
        return link_refusal(request, link, lang) or render_form(
            request, token, link, lang, form_defaults(datetime.now(UTC)), {}
        )

    @app.get("/r/{token}/kvitto/{nonce}")
    def receipt(request: Request, token: str, nonce: str) -> HTMLResponse:
        lang = language(request)
        found = db(lambda conn: submission(conn, nonce, token_sha256(token)))
        if found is None:
            return refusal(request, lang, 404, "unknown")
        first_event_id, events = found
        return page(request, "receipt.html", lang, token=token, reference=reference_code(first_event_id),
                    events=events)

    @app.post("/r/{token}")
    async def submit(request: Request, token: str) -> Response:
        return await posted(request, token, handle_submit)

    @app.post("/r/{token}/puls")
    async def pulse(request: Request, token: str) -> Response:
        return await posted(request, token, handle_pulse)

    async def posted(request: Request, token: str, handle: Callable[..., Response]) -> Response:
        read = await read_form(request, token)
        if isinstance(read, Response):
            return read
        return await run_in_threadpool(handle, request, token, *read)

    async def read_form(request: Request, token: str) -> tuple[Link, dict[str, str], float] | Response:
        """The link and the posted fields, or the refusal page. The link is checked (and the sender
        rate-limited) before a byte of the body is read."""
        lang = language(request)
        now = time.time()
        client = request.client.host if request.client else "unknown"
        if not (limiter.allow(f"token:{token_sha256(token)}", settings.form_rate_per_token, now)
                and limiter.allow(f"address:{client}", settings.form_rate_per_address, now)):
            response = refusal(request, lang, 429, "too_many", back=f"/r/{token}")
            response.headers["Retry-After"] = "60"
            return response
        link = await run_in_threadpool(db, lambda conn: find_link(conn, token))
        refused = link_refusal(request, link, lang)
        if refused is not None:
            return refused
        body = bytearray()
        async for chunk in request.stream():  # also bounds bodies sent without a Content-Length
            body += chunk
            if len(body) > settings.form_max_body_bytes:
                return refusal(request, lang, 413, "too_large", back=f"/r/{token}")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            return refusal(request, lang, 400, "bad_request", back=f"/r/{token}")
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=40))
        except (UnicodeDecodeError, ValueError):
            return refusal(request, lang, 400, "bad_request", back=f"/r/{token}")
        return link, form, now  # type: ignore[return-value]

    def handle_pulse(request: Request, token: str, link: Link, form: dict[str, str], now: float) -> Response:
        """One tap on the pulse question: an answer 1-5 for one of the link's sites and today, to the outbox.
        The event id comes from the form's nonce, so a double tap or a resent form is one answer."""
        lang = language(request, form)
        link_hash = token_sha256(token)
        nonce = form.get("pulse_nonce", "")
        if not verify_form(secret, link_hash, nonce, form.get("pulse_csrf", ""), int(now), FORM_MAX_AGE_S):
            return refusal(request, lang, 400, "expired", back=f"/r/{token}")
        site = form.get("site", "")
        if site not in {s.site_id for s in link.sites}:
            log.warning("link %s… refused a pulse answer for site %r", link.token_prefix, site)
            return refusal(request, lang, 403, "forbidden", back=f"/r/{token}", partner=link.partner_name,
                           agreement=link.agreement_name)
        answer = form.get("answer", "")
        if answer not in {str(code) for code in QUESTIONS[PULSE_QUESTION].answers}:
            return refusal(request, lang, 400, "bad_request", back=f"/r/{token}")
        event = PulseAnswerEvent(event_id=uuid.uuid5(PULSE_NAMESPACE, f"{link_hash}:{nonce}"), site_id=site,
                                 day=datetime.now(UTC).astimezone(STOCKHOLM).date(), answer=int(answer))
        db(lambda conn: submit_pulse(conn, event))
        return RedirectResponse(f"/r/{token}?puls=tack&lang={lang}", status_code=303)

    def handle_submit(request: Request, token: str, link: Link, form: dict[str, str], now: float) -> Response:
        lang = language(request, form)
        link_hash = token_sha256(token)
        nonce = form.get("nonce", "")
        if not verify_form(secret, link_hash, nonce, form.get("csrf", ""), int(now), FORM_MAX_AGE_S):
            return refusal(request, lang, 400, "expired", back=f"/r/{token}")
        receipt_url = f"/r/{token}/kvitto/{nonce}"
        if db(lambda conn: submission(conn, nonce, link_hash)) is not None:
            return RedirectResponse(receipt_url, status_code=303)  # sent before: the same receipt
        report, errors = parse_report(form, now=datetime.now(UTC), max_count=settings.form_max_count)
        if report is not None and report.site_id is not None and report.site_id not in {s.site_id for s in link.sites}:
            log.warning("link %s… refused a report for site %r", link.token_prefix, report.site_id)
            return refusal(request, lang, 403, "forbidden", back=f"/r/{token}", partner=link.partner_name,
                           agreement=link.agreement_name)
        if report is not None and report.lat is not None and not db(
            lambda conn: pin_in_agreement(conn, link.agreement_id, report.lat, report.lon)
        ):
            report, errors = None, {"where": "pin_outside_agreement"}
        if report is None:
            return render_form(request, token, link, lang, form, errors, nonce=nonce, status=422)
        events = report_events(report, link, datetime.now(UTC))
        db(lambda conn: submit_report(conn, nonce, link_hash, report, events))
        return RedirectResponse(receipt_url, status_code=303)

    return app


def report_events(report: ReportInput, link: Link, now: datetime) -> list[IncidentEvent]:
    """The events a form becomes: one per reported incident; the free text travels with the first only."""
    location = {"site_id": report.site_id} if report.site_id else {"lat": report.lat, "lon": report.lon}
    ids = derived_event_ids(uuid.uuid4(), report.count)
    return [
        IncidentEvent(
            event_id=event_id, source=link.role, reporter=link.partner_id, category=report.category,
            occurred_at=report.occurred_at, reported_at=now, location=location,
            note=report.note if i == 0 else None,
        )
        for i, event_id in enumerate(ids)
    ]


def serve(settings: Settings) -> None:
    """Run the form with uvicorn on settings.form_host:form_port."""
    import uvicorn

    # No access log: every path holds a partner's token. Behind a TLS proxy, uvicorn takes the client address
    # from X-Forwarded-For only when the proxy is listed in FORWARDED_ALLOW_IPS (uvicorn's own variable).
    uvicorn.run(create_app(settings), host=settings.form_host, port=settings.form_port,
                log_level=settings.log_level.lower(), access_log=False)
