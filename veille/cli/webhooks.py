"""`veille webhooks secret [--rotate]`: the secret a CRM checks webhook signatures with.

The secret is derived from ``VEILLE_SECRET_KEY`` for webhooks alone (it
cannot sign a session or a link) and can be rotated; the generation lives
in the database, so every running web worker signs with the new secret at
once. Admins see the same secret on the web UI's *Sécurité* page.
"""

from __future__ import annotations

import getpass

import typer

from veille.cli._common import console, ready_db_url, settings
from veille.errors import ConfigError
from veille.i18n import gettext as _

webhooks_app = typer.Typer(help="Outgoing webhooks (CRM notifications).", no_args_is_help=True)


@webhooks_app.command("secret")
def secret(
    rotate: bool = typer.Option(
        False, "--rotate", help="Start a new secret; the current one stops verifying at once."
    ),
) -> None:
    """Print the current webhook secret (and its generation); --rotate makes a new one."""
    from web.keys import KeyRing, current_webhook_secret, rotate_webhook_secret

    key = settings().secret("web_secret_key")
    if not key:
        raise ConfigError(_("VEILLE_SECRET_KEY is not set: the webhook secret is derived from it"))
    url = ready_db_url()
    ring = KeyRing(key)
    if rotate:
        generation, value = rotate_webhook_secret(url, ring, actor=f"cli:{getpass.getuser()}")
    else:
        generation, value = current_webhook_secret(url, ring)
    console.print(_("Generation %(n)s") % {"n": generation.generation}, highlight=False)
    console.print(value, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")
