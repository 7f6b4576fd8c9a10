"""The FastAPI application: one UI for three roles, the REST API, offline API docs.

Built by :func:`create_app` from the settings and the secret key, so tests
and ``veille serve`` assemble exactly the same thing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store.suppression import pseudonym_key as default_pseudonym_key
from veille import __version__
from veille.config import Settings
from web.links import DEFAULT_MAX_AGE_DAYS
from web.render import make_templates
from web.security import LoginRequiredError, LoginThrottle
from web.webhooks import WebhookDispatcher

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "veille_session"
SESSION_MAX_AGE_S = 8 * 3600

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
    from web import api, confirm, ui

    webhooks = WebhookDispatcher(config.webhook_urls, config.secret_key)

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
            "(create one with `veille users token USERNAME`)."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.db_url = settings.database_url
    app.state.config = config
    app.state.secret_key = config.secret_key
    app.state.pseudonym_key = config.pseudonym_key or default_pseudonym_key()
    app.state.templates = make_templates()
    app.state.throttle = LoginThrottle(max_failures=config.max_login_failures)
    app.state.webhooks = webhooks

    app.add_middleware(
        SessionMiddleware,
        secret_key=config.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=settings.web.secure_cookies,
    )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.include_router(ui.router)
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
    def health() -> JSONResponse:
        """The scheduler's health (last run per job, failing, stale): 503 when not ok."""
        import scheduler

        body = scheduler.health(settings)
        return JSONResponse(jsonable_encoder(body), status_code=200 if body["ok"] else 503)

    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, _exc: LoginRequiredError) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            _error_context(request, exc.status_code, str(exc.detail)),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # The database refused a value (e.g. a NUL byte in a query string):
        # the client sent something unusable, this is not a server fault.
        log.info("refused invalid input on %s: %s", request.url.path, type(exc.orig).__name__)
        return JSONResponse({"detail": "invalid input"}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": _jsonable_errors(exc)}, status_code=422)
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            _error_context(request, 400, "Requête invalide."),
            status_code=400,
        )

    return app


def _error_context(request: Request, status: int, message: str) -> dict[str, object]:
    from web.security import csrf_token

    return {
        "status": status,
        "message": message,
        "account": None,
        "csrf": csrf_token(request),
        "flashes": [],
        "nav": [],
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
