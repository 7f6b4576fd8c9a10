"""The FastAPI application: one UI for three roles, the REST API, offline API docs.

Built by :func:`create_app` from the settings and the secret key, so tests
and ``veille serve`` assemble exactly the same thing. The secret key is
never used as is: :class:`web.keys.KeyRing` derives one key per purpose
(sessions, CSRF, links, webhooks).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store.suppression import pseudonym_key as default_pseudonym_key
from veille import __version__
from veille.config import Settings
from veille.i18n import gettext as _
from veille.i18n import is_translated, set_locale
from web.keys import KeyRing, current_webhook_secret
from web.links import DEFAULT_MAX_AGE_DAYS
from web.render import make_templates
from web.security import LoginRequiredError, LoginThrottle, session_account
from web.sessions import ServerSessionMiddleware
from web.webhooks import WebhookDispatcher

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
#: Longest URL (path and query string) accepted, in bytes.
MAX_URL_BYTES = 8192
#: What no URL may carry once percent-decoded: NUL and control characters.
_URL_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
#: Swagger UI's page boots with an inline script; only that page allows it.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


@dataclass
class WebConfig:
    """What the app needs beyond :class:`Settings` (secrets and process-level knobs)."""

    secret_key: str
    pseudonym_key: bytes | None = None
    webhook_urls: list[str] = field(default_factory=list)
    confirm_link_days: int = DEFAULT_MAX_AGE_DAYS
    max_login_failures: int = 5
    #: Failures for one user name from all addresses together before it waits.
    max_login_failures_per_name: int = 20
    #: Absolute session lifetime, from sign-in; nothing extends it.
    session_hours: float = 8.0
    #: A session unused for this long ends.
    session_idle_minutes: float = 30.0


class InputGuard:
    """Refuse, at the door, URLs that carry NUL or control characters or are over-long.

    Every path and query parameter of every route (UI and API) is checked
    here once, before any route or database sees it: 400 (JSON under
    ``/api/``, a French page elsewhere) instead of a database error.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
            query: bytes = scope.get("query_string", b"")
            problem = None
            if len(raw_path) + len(query) > MAX_URL_BYTES:
                problem = (414, "URL too long", "Adresse trop longue.")
            else:
                decoded = unquote_to_bytes(raw_path) + unquote_to_bytes(query.replace(b"+", b" "))
                if _URL_CONTROL.search(decoded):
                    problem = (
                        400,
                        "invalid input: control character in the URL",
                        _("Invalid request: the address contains a control character."),
                    )
            if problem is not None:
                status, english, french = problem
                if scope["path"].startswith("/api/"):
                    response: Response = JSONResponse({"detail": english}, status_code=status)
                else:
                    response = HTMLResponse(
                        f"<!doctype html><html lang=fr><meta charset=utf-8>"
                        f"<title>Erreur {status}</title><h1>Erreur {status}</h1><p>{french}</p>",
                        status_code=status,
                    )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Add CSP and the usual hardening headers to every response (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == "/api/docs" else CSP

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


def create_app(settings: Settings, config: WebConfig) -> FastAPI:
    """Assemble the UI, the self-confirmation pages and the REST API."""
    from web import account, api, confirm, ui

    keys = KeyRing(config.secret_key)
    db_url = settings.database_url
    webhooks = WebhookDispatcher(config.webhook_urls, lambda: _webhook_signing(db_url, keys))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        webhooks.close()

    app = FastAPI(
        lifespan=lifespan,
        title="veille API",
        version=__version__,
        description=(
            "Alumni, suggestions, mentions and alerts for CRM integration. "
            "Authenticate with `Authorization: Bearer <token>` "
            "(create one with `veille users token USERNAME --scope read|review|admin`, "
            "or on the *Mon compte* page). A `read` token may only read; `review` may also "
            "decide suggestions, undo, acknowledge alerts and record opt-outs; `admin` "
            "allows everything its user's role allows."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.db_url = settings.database_url
    app.state.config = config
    app.state.secret_key = config.secret_key
    app.state.keys = keys
    app.state.pseudonym_key = config.pseudonym_key or default_pseudonym_key()
    set_locale(settings.locale)
    app.state.templates = make_templates()
    app.state.throttle = LoginThrottle(
        db_url,
        max_failures=config.max_login_failures,
        max_failures_per_name=config.max_login_failures_per_name,
    )
    app.state.webhooks = webhooks

    app.add_middleware(
        ServerSessionMiddleware,
        db_url=db_url,
        keys=keys,
        lifetime=timedelta(hours=config.session_hours),
        idle=timedelta(minutes=config.session_idle_minutes),
        secure=settings.web.secure_cookies,
    )
    app.add_middleware(InputGuard)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.include_router(ui.router)
    app.include_router(account.router)
    app.include_router(confirm.router)
    app.include_router(api.router)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="veille API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness of the web process itself."""
        return {"status": "ok"}

    @app.get("/health", include_in_schema=False)
    def health(request: Request) -> JSONResponse:
        """``{"status": "ok"|"degraded"|"never_run"}`` for anyone (503 unless ok); admins: details.

        The details (run log: jobs, errors, hosts, counts) are assembled by
        :func:`scheduler.health` alone; here they are only gated: an admin's
        session, or an admin's API token (any scope: this only reads).
        """
        import scheduler

        body = scheduler.health(settings)
        # Honest: "ok" only once jobs ran and none is failing, late or stuck.
        if not body.get("ever_ran", True):
            status = "never_run"
        else:
            status = "ok" if body["ok"] else "degraded"
        status_code = 200 if status == "ok" else 503
        if not _is_admin(request):
            return JSONResponse({"status": status}, status_code=status_code)
        return JSONResponse(jsonable_encoder({"status": status, **body}), status_code=status_code)

    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, _exc: LoginRequiredError) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Unknown routes too (Starlette's 404): a page in the layout, never raw JSON,
        # except under /api/ where clients read JSON.
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            _error_context(
                request, exc.status_code, str(exc.detail), shown=getattr(exc, "shown", False)
            ),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # A bug: logged with its traceback, shown as a page that says what to do.
        log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "internal error"}, status_code=500)
        return app.state.templates.TemplateResponse(
            request, "error.html", _error_context(request, 500, ""), status_code=500
        )

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # The database refused a value that got past the checks at the door:
        # the client sent something unusable, this is not a server fault.
        # Never echo the statement or its parameters (they hold the data).
        log.info("refused invalid input on %s: %s", request.url.path, type(exc.orig).__name__)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "invalid input"}, status_code=400)
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            _error_context(request, 400, _("Invalid request: a value is not acceptable.")),
            status_code=400,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": _jsonable_errors(exc)}, status_code=422)
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            _error_context(request, 400, _("Invalid request.")),
            status_code=400,
        )

    return app


def _webhook_signing(db_url: str, keys: KeyRing) -> tuple[int, bytes]:
    """The webhook secret in force (generation, HMAC key), read at each event."""
    generation, secret = current_webhook_secret(db_url, keys)
    return generation.generation, secret.encode()


def _is_admin(request: Request) -> bool:
    """An admin is asking: by session, or by an admin's API token."""
    account = session_account(request)
    if account is not None:
        return account.role == "admin"
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    from store.db import session_scope
    from store.users import token_grant

    with session_scope(request.app.state.db_url) as session:
        grant = token_grant(session, token.strip())
    return grant is not None and grant.account.role == "admin"


#: What each error status says, whatever the detail (msgids of the catalogue).
ERROR_TITLES = {
    400: "Invalid request",
    401: "Sign-in required",
    403: "Access denied",
    404: "Page not found",
    405: "Action not allowed here",
    409: "Conflict",
    413: "Request too large",
    429: "Too many requests",
    500: "Internal error",
    501: "Not available",
}
ERROR_HINTS = {
    403: "Your role does not give access to this page.",
    404: "This page does not exist, or no longer does.",
    500: "Something went wrong on our side; the error has been logged. Try again later.",
}


def error_text(status: int, detail: str, *, shown: bool = False) -> tuple[str, str]:
    """(title, message) of an error page, in French, from the catalogue.

    A detail the catalogue translates (or a French one, written for the UI)
    is shown; an English internal detail ("Not Found", "no suggestion 5")
    is not: the page says what the status means instead.
    """
    title = _(ERROR_TITLES.get(status, "Error"))
    hint = _(ERROR_HINTS.get(status, ERROR_TITLES.get(status, "Error")))
    if shown and detail:  # written for people in their language (web.messages.RefusedError)
        return title, detail
    if detail and _(detail) != detail:
        return title, _(detail)
    if detail and (is_translated(detail) or _written_in_french(detail)):
        return title, detail
    return title, hint


def _written_in_french(text: str) -> bool:
    """Details written in French for the UI before the catalogue (CSRF, roles, queries)."""
    return any(c in text for c in "éèêàùçôî«»") or text.startswith(("Requête", "Jeton"))


def _error_context(
    request: Request, status: int, message: str, *, shown: bool = False
) -> dict[str, object]:
    from web.security import csrf_token
    from web.ui import nav_for

    account = session_account(request)
    title, text = error_text(status, message, shown=shown)
    return {
        "status": status,
        "title": title,
        "message": text,
        "account": account,
        "csrf": csrf_token(request),
        "flashes": [],
        "nav": nav_for(account),
        "path": request.url.path,
    }


def _jsonable_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    return [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": e.get("type"),
        }
        for e in exc.errors()
    ]
