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
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl

import psycopg
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from schemas.survey import PULSE_QUESTION, QUESTIONS
from trygg import texts
from trygg.app.report_incident import ReportIncident
from trygg.domain.intake import STOCKHOLM, Link, form_defaults, reference_code, sign_form, token_sha256, verify_form
from trygg.settings import Settings
from trygg.texts import LANGUAGES

log = logging.getLogger(__name__)
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


def forms_of(request: Request) -> ReportIncident:
    """The form's use cases (FastAPI `Depends`): one object per app, holding its connection pool."""
    return request.app.state.forms


Forms = Annotated[ReportIncident, Depends(forms_of)]


def create_app(settings: Settings) -> FastAPI:
    """The form application, configured by `settings`."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.forms.close()

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.forms = ReportIncident(settings)
    secret = settings.form_secret or secrets.token_hex(32)
    limiter = RateLimiter()

    def language(request: Request, form: dict[str, str] | None = None) -> str:
        for candidate in (request.query_params.get("lang"), (form or {}).get("lang"), request.cookies.get("lang")):
            if candidate in LANGUAGES:
                return candidate
        return "sv"

    def page(request: Request, name: str, lang: str, status: int = 200, **context: object) -> HTMLResponse:
        response = TEMPLATES.TemplateResponse(
            request, name, {"lang": lang, "t": lambda key, **v: texts.text(texts.FORM, key, lang, **v),
                            "csp_nonce": request.state.csp_nonce, **context}, status_code=status,
        )
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie("lang", lang, max_age=365 * 86400, httponly=True, samesite="lax")
        return response

    def refusal(request: Request, lang: str, status: int, kind: str, back: str | None = None, **values: object):  # noqa: ANN202
        return page(request, "refusal.html", lang, status, heading=texts.text(texts.FORM, f"{kind}_title", lang),
                    body=texts.text(texts.FORM, f"{kind}_body", lang, **values), back=back)

    def render_form(request: Request, token: str, link: Link, lang: str, values: dict[str, str],
                    errors: dict[str, str], nonce: str | None = None, status: int = 200) -> HTMLResponse:
        nonce = nonce or secrets.token_urlsafe(16)
        now = datetime.now(UTC)
        categories = [(c.value, texts.category_label(c, lang), texts.category_hint(c, lang)) for c in texts.CATEGORIES]
        messages = {name: texts.text(texts.FORM, code, lang, max_count=settings.form_max_count)
                    for name, code in errors.items()}
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
    def show_form(request: Request, token: str, forms: Forms) -> HTMLResponse:
        lang = language(request)
        link = forms.link(token)
        return link_refusal(request, link, lang) or render_form(
            request, token, link, lang, form_defaults(datetime.now(UTC)), {}
        )

    @app.get("/r/{token}/kvitto/{nonce}")
    def receipt(request: Request, token: str, nonce: str, forms: Forms) -> HTMLResponse:
        lang = language(request)
        found = forms.receipt(token, nonce)
        if found is None:
            return refusal(request, lang, 404, "unknown")
        first_event_id, events = found
        return page(request, "receipt.html", lang, token=token, reference=reference_code(first_event_id),
                    events=events)

    @app.post("/r/{token}")
    async def submit(request: Request, token: str, forms: Forms) -> Response:
        return await posted(request, token, forms, handle_submit)

    @app.post("/r/{token}/puls")
    async def pulse(request: Request, token: str, forms: Forms) -> Response:
        return await posted(request, token, forms, handle_pulse)

    async def posted(request: Request, token: str, forms: ReportIncident, handle: Callable[..., Response]) -> Response:
        read = await read_form(request, token, forms)
        if isinstance(read, Response):
            return read
        return await run_in_threadpool(handle, request, token, *read, forms)

    async def read_form(request: Request, token: str, forms: ReportIncident) -> tuple[Link, dict[str, str], float] | Response:
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
        link = await run_in_threadpool(forms.link, token)
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

    def handle_pulse(request: Request, token: str, link: Link, form: dict[str, str], now: float,
                     forms: ReportIncident) -> Response:
        """One tap on the pulse question (an answer 1-5 for one of the link's sites, today)."""
        lang = language(request, form)
        nonce = form.get("pulse_nonce", "")
        if not verify_form(secret, token_sha256(token), nonce, form.get("pulse_csrf", ""), int(now), FORM_MAX_AGE_S):
            return refusal(request, lang, 400, "expired", back=f"/r/{token}")
        answered = forms.answer_pulse(link, nonce, form.get("site", ""), form.get("answer", ""))
        if answered == "forbidden":
            return refusal(request, lang, 403, "forbidden", back=f"/r/{token}", partner=link.partner_name,
                           agreement=link.agreement_name)
        if answered == "invalid":
            return refusal(request, lang, 400, "bad_request", back=f"/r/{token}")
        return RedirectResponse(f"/r/{token}?puls=tack&lang={lang}", status_code=303)

    def handle_submit(request: Request, token: str, link: Link, form: dict[str, str], now: float,
                      forms: ReportIncident) -> Response:
        lang = language(request, form)
        link_hash = token_sha256(token)
        nonce = form.get("nonce", "")
        if not verify_form(secret, link_hash, nonce, form.get("csrf", ""), int(now), FORM_MAX_AGE_S):
            return refusal(request, lang, 400, "expired", back=f"/r/{token}")
        submitted = forms.submit(link, nonce, form)
        if submitted.status == "forbidden":
            return refusal(request, lang, 403, "forbidden", back=f"/r/{token}", partner=link.partner_name,
                           agreement=link.agreement_name)
        if submitted.status == "invalid":
            return render_form(request, token, link, lang, form, submitted.errors, nonce=nonce, status=422)
        return RedirectResponse(f"/r/{token}/kvitto/{nonce}", status_code=303)

    return app


def serve(settings: Settings) -> None:
    """Run the form with uvicorn on settings.form_host:form_port."""
    import uvicorn

    # No access log: every path holds a partner's token. Behind a TLS proxy, uvicorn takes the client address
    # from X-Forwarded-For only when the proxy is listed in FORWARDED_ALLOW_IPS (uvicorn's own variable).
    uvicorn.run(create_app(settings), host=settings.form_host, port=settings.form_port,
                log_level=settings.log_level.lower(), access_log=False)
