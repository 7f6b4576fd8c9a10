"""`veille serve`: the web UI and REST API.

The master secret key comes from ``VEILLE_SECRET_KEY``; one key per purpose
(sessions, CSRF, links, webhooks) is derived from it (:mod:`web.keys`).
Without it the server refuses to start, unless ``--dev`` (then a random
per-process key: sessions, links and the webhook secret die with the
process). Outgoing webhooks: ``VEILLE_WEBHOOK_URLS`` (comma-separated);
self-confirmation link lifetime: ``VEILLE_CONFIRM_LINK_DAYS`` (default 30).
"""

from __future__ import annotations

import logging
import os
import secrets

import typer
from rich.markup import escape

from store import db as store_db
from veille.cli._common import console, err_console, log_progress, settings, styled
from veille.errors import ConfigError
from veille.i18n import gettext as _

log = logging.getLogger(__name__)

CONFIRM_DAYS_ENV = "VEILLE_CONFIRM_LINK_DAYS"


def _confirm_days() -> int:
    raw = os.environ.get(CONFIRM_DAYS_ENV, "").strip()
    if not raw:
        return 30
    if not raw.isdigit() or not 1 <= int(raw) <= 365:
        raise ConfigError(
            _("%(name)s must be a number of days between 1 and 365") % {"name": CONFIRM_DAYS_ENV}
        )
    return int(raw)


def serve(
    host: str | None = typer.Option(None, help="Listen address (default: web.host)."),
    port: int | None = typer.Option(None, help="Port (default: web.port)."),
    dev: bool = typer.Option(
        False, "--dev", help="Allow a random secret key and plain-HTTP cookies (development only)."
    ),
) -> None:
    """Run the web UI and the REST API."""
    import uvicorn

    from web.app import WebConfig, create_app
    from web.webhooks import WEBHOOK_ENV, parse_urls

    log_progress()
    cfg = settings()
    key = cfg.secret("web_secret_key")
    if not key:
        if not dev:
            raise ConfigError(
                _(
                    "VEILLE_SECRET_KEY is not set: export a long random value "
                    '(e.g. python -c "import secrets; print(secrets.token_urlsafe(48))") '
                    "or pass --dev for a throwaway key"
                )
            )
        key = secrets.token_urlsafe(48)
        err_console.print(
            styled("yellow", _("warning:"))
            + " "
            + escape(
                _(
                    "--dev: random secret key; sessions and confirmation links "
                    "stop working when the server stops"
                )
            ),
            highlight=False,
        )
    elif len(key) < 32:
        raise ConfigError(_("VEILLE_SECRET_KEY is too short: use at least 32 random characters"))
    if dev and cfg.web.secure_cookies:
        cfg = cfg.model_copy(update={"web": cfg.web.model_copy(update={"secure_cookies": False})})
    store_db.ensure_schema(cfg.database_url)
    config = WebConfig(
        secret_key=key,
        webhook_urls=parse_urls(os.environ.get(WEBHOOK_ENV)),
        confirm_link_days=_confirm_days(),
    )
    app = create_app(cfg, config)
    bind_host = host or cfg.web.host
    bind_port = port or cfg.web.port
    console.print(
        _("veille web on %(url)s (API documentation at %(docs)s)")
        % {"url": f"[bold]http://{escape(bind_host)}:{bind_port}[/]", "docs": "/api/docs"}
    )
    uvicorn.run(app, host=bind_host, port=bind_port, proxy_headers=True, log_level="info")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
