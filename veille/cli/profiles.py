"""`veille profiles ...`: professional profiles from files alumni officers already have."""

from __future__ import annotations

from pathlib import Path

import typer

from veille.cli._common import console, ready_db_url
from veille.i18n import ngettext

profiles_app = typer.Typer(help="Professional profiles (snapshots).", no_args_is_help=True)


@profiles_app.command("import-linkedin")
def import_linkedin(
    file: Path = typer.Argument(..., help="LinkedIn Connections.csv export."),
) -> None:
    """Import a LinkedIn Connections.csv as profile snapshots (all-or-nothing)."""
    from crawlers.linkedin_export import read_connections
    from store import profiles as store_profiles
    from store.db import session_scope
    from store.suppression import OptOutFilter, pseudonym_key

    snapshots = read_connections(file)
    url = ready_db_url()
    with session_scope(url) as session:
        opt_out = OptOutFilter.load(session, pseudonym_key())
        kept = [
            s
            for s in snapshots
            if not opt_out.blocks(
                name=s.person.get("name") or "",
                email=s.person.get("email") or "",
                url=s.url,
            )
        ]
        added = store_profiles.save_snapshots(session, kept)
    read, opted_out = len(snapshots), len(snapshots) - len(kept)
    parts = (
        ngettext("%(n)s connection read", "%(n)s connections read", read) % {"n": read},
        ngettext("%(n)s opted out", "%(n)s opted out", opted_out) % {"n": opted_out},
        ngettext("%(n)s new snapshot stored", "%(n)s new snapshots stored", added) % {"n": added},
    )
    console.print(", ".join(parts), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(profiles_app, name="profiles")
