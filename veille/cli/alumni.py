"""`veille alumni import|export`: the alumni office's own records in and out."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer

from store.alumni import iter_alumni, upsert_alumni
from store.db import session_scope
from store.suppression import OptOutFilter, pseudonym_key
from veille.alumni_csv import COLUMNS, read_alumni_csv, write_alumni_csv
from veille.cli._common import console, ready_db_url

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
    console.print(
        f"{len(rows)} rows read: [green]{summary.created} created[/], "
        f"{summary.updated} updated, {summary.unchanged} unchanged"
    )
    if summary.refused:
        console.print(
            f"[yellow]{summary.refused} row(s) refused: these people asked for erasure "
            "(RGPD Art. 17); remove them from the source file[/]"
        )


@alumni_app.command("export")
def export(
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
    delimiter: str = typer.Option(",", help="',' or ';' (French Excel)."),
) -> None:
    """Export alumni in the import format (spreadsheet-safe)."""
    if delimiter not in (",", ";"):
        raise typer.BadParameter("delimiter must be ',' or ';'")
    url = ready_db_url()
    with session_scope(url) as session:
        if output is None:
            write_alumni_csv(sys.stdout, iter_alumni(session), delimiter=delimiter)
            return
        with output.open("w", encoding="utf-8-sig", newline="") as fh:
            n = write_alumni_csv(fh, iter_alumni(session), delimiter=delimiter)
    console.print(f"wrote {n} alumni to {output}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(alumni_app, name="alumni")
