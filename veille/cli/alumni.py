"""`veille alumni import|export`: the alumni office's own records in and out."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer
from rich.markup import escape

from store.alumni import iter_alumni, upsert_alumni
from store.db import session_scope
from store.suppression import OptOutFilter, pseudonym_key
from veille.alumni_csv import COLUMNS, read_alumni_csv, write_alumni_csv
from veille.cli._common import console, ready_db_url
from veille.errors import OptionError
from veille.i18n import gettext as _
from veille.i18n import ngettext

alumni_app = typer.Typer(
    help=f"Alumni records (CSV columns: {', '.join(COLUMNS)}).", no_args_is_help=True
)


@alumni_app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file (, or ;)."),
    actor: str = typer.Option("", help="Who imports (audit trail); default: the OS user."),
) -> None:
    """Import alumni, all or nothing: one bad row aborts with its line number."""
    rows = read_alumni_csv(file)
    url = ready_db_url()
    with session_scope(url) as session:
        optouts = OptOutFilter.load(session, pseudonym_key())
        summary = upsert_alumni(
            session,
            (r.values for r in rows),
            actor=actor or f"cli:{getpass.getuser()}",
            is_erased=optouts.blocks_alumnus_id,
        )
    n = len(rows)
    console.print(
        _("%(read)s: %(created)s, %(updated)s, %(unchanged)s.")
        % {
            "read": ngettext("%(n)s row read", "%(n)s rows read", n) % {"n": n},
            "created": "[green]"
            + ngettext("%(n)s record created", "%(n)s records created", summary.created)
            % {"n": summary.created}
            + "[/]",
            "updated": ngettext("%(n)s updated", "%(n)s updated", summary.updated)
            % {"n": summary.updated},
            "unchanged": ngettext("%(n)s unchanged", "%(n)s unchanged", summary.unchanged)
            % {"n": summary.unchanged},
        },
        highlight=False,
    )
    if summary.refused:
        refused = ngettext(
            "%(n)s row refused: this person asked for erasure (RGPD Art. 17); "
            "remove them from the source file",
            "%(n)s rows refused: these people asked for erasure (RGPD Art. 17); "
            "remove them from the source file",
            summary.refused,
        ) % {"n": summary.refused}
        console.print(f"[yellow]{escape(refused)}[/]", highlight=False)


@alumni_app.command("export")
def export(
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
    delimiter: str = typer.Option(",", help="',' or ';' (French Excel)."),
) -> None:
    """Export alumni in the import format (spreadsheet-safe)."""
    if delimiter not in (",", ";"):
        raise OptionError(_("the delimiter must be ',' or ';'"))
    url = ready_db_url()
    with session_scope(url) as session:
        if output is None:
            write_alumni_csv(sys.stdout, iter_alumni(session), delimiter=delimiter)
            return
        with output.open("w", encoding="utf-8-sig", newline="") as fh:
            n = write_alumni_csv(fh, iter_alumni(session), delimiter=delimiter)
    console.print(
        ngettext(
            "%(n)s alumni record written to %(path)s", "%(n)s alumni records written to %(path)s", n
        )
        % {"n": n, "path": escape(str(output))},
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(alumni_app, name="alumni")
