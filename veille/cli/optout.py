"""`veille optout add|list`: people who must never be collected again (RGPD Art. 21).

``--alumnus`` runs :func:`store.person.opt_out`, the same objection the
self-service link and ``POST /api/v1/alumni/{id}/opt-out`` record.
"""

from __future__ import annotations

import getpass

import typer
from rich.table import Table

from store.db import session_scope
from store.person import blank_authored, opt_out
from store.suppression import add, counts_by_kind, pseudonym_key
from store.types import utcnow
from veille.cli._common import console, print_table, ready_db_url, styled
from veille.errors import VeilleError
from veille.i18n import gettext as _
from veille.i18n import label, ngettext

optout_app = typer.Typer(
    help="Opt-out list, checked by every crawl before anything is stored.", no_args_is_help=True
)


@optout_app.command("add")
def add_(
    handle: list[str] = typer.Option([], "--handle", help="Social handle (repeatable)."),
    email: list[str] = typer.Option([], "--email", help="Email address (repeatable)."),
    name: list[str] = typer.Option([], "--name", help="Full name (repeatable)."),
    url: list[str] = typer.Option([], "--url", help="Profile or page URL (repeatable)."),
    alumnus: str = typer.Option(
        "", "--alumnus", help="Alumnus id: opts out the record and all its identifiers."
    ),
    reason: str = typer.Option("", help="Why (kept with the hashes, no personal data)."),
) -> None:
    """Add people to the opt-out list; only keyed hashes are stored."""
    if not (handle or email or name or url or alumnus):
        raise VeilleError(_("nothing to add: give --handle, --email, --name, --url or --alumnus"))
    key = pseudonym_key()
    url_db = ready_db_url()
    actor = f"cli:{getpass.getuser()}"
    new = 0
    withdrawn = 0
    with session_scope(url_db) as session:
        for kind, values in (("handle", handle), ("email", email), ("name", name), ("url", url)):
            new += add(session, kind, values, key, reason or "opt-out")
        blanked = blank_authored(session, handle, utcnow())
        if alumnus:
            summary = opt_out(session, alumnus, key, actor=actor, reason=reason)
            new += summary.suppressed
            withdrawn = summary.withdrawn_suggestions
            blanked += summary.mentions_blanked
    console.print(
        ngettext("%(n)s new opt-out entry", "%(n)s new opt-out entries", new) % {"n": new},
        highlight=False,
    )
    if blanked:
        console.print(
            ngettext(
                "%(n)s stored mention from these handles blanked (figures kept)",
                "%(n)s stored mentions from these handles blanked (figures kept)",
                blanked,
            )
            % {"n": blanked},
            highlight=False,
        )
    if alumnus:
        console.print(
            ngettext(
                "Alumnus opted out; %(n)s pending suggestion withdrawn",
                "Alumnus opted out; %(n)s pending suggestions withdrawn",
                withdrawn,
            )
            % {"n": withdrawn},
            highlight=False,
        )


@optout_app.command("list")
def list_() -> None:
    """How many entries of each kind (the list holds hashes only, nothing to read)."""
    url_db = ready_db_url()
    with session_scope(url_db) as session:
        counts = counts_by_kind(session)
    table = Table(title=_("Opt-out list"))
    table.add_column(_("Type"))
    table.add_column(_("Entries"), justify="right")
    for kind, n in counts.items():
        table.add_row(label("optout_kind", kind), str(n))
    table.add_row(styled("bold", _("Total")), styled("bold", sum(counts.values())))
    print_table(table)


def register(app: typer.Typer) -> None:
    app.add_typer(optout_app, name="optout")
