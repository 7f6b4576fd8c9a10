"""`veille init` and `veille db upgrade`: get a working installation."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer
from rich.markup import escape

from store import db as store_db
from veille.cli._common import console, db_url, state
from veille.errors import ConfigError
from veille.i18n import gettext as _


def example_config() -> str:
    """The commented example configuration shipped with veille."""
    return resources.files("veille").joinpath("veille.example.toml").read_text(encoding="utf-8")


def init(
    path: Path | None = typer.Argument(None, help="Where to write the file (default veille.toml)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a commented veille.toml to edit."""
    target = path or state.config_file()
    if target.exists() and not force:
        raise ConfigError(_("%(path)s exists; pass --force to overwrite it") % {"path": target})
    target.write_text(example_config(), encoding="utf-8")
    console.print(
        _("Wrote %(path)s; edit it, then run %(command)s.")
        % {"path": f"[bold]{escape(str(target))}[/]", "command": "[bold]veille db upgrade[/]"}
    )


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply schema migrations (safe to run at every start)."""
    url = db_url()
    store_db.upgrade(url, revision)
    console.print(
        _("Schema at revision %(revision)s on %(url)s.")
        % {
            "revision": f"[bold]{escape(str(store_db.current_revision(url)))}[/]",
            "url": escape(_redact(url)),
        }
    )


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(store_db.normalise_url(url)).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(db_app, name="db")
