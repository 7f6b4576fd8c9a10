"""`veille person ...`: one person's rights (export, erasure) and the privacy duties.

``export`` and ``erase`` answer Art. 15 and Art. 17 requests; ``register``
prints the Art. 30 record from the settings; ``audit-provenance`` lists rows
that cannot say where they came from; ``retention`` and ``notices`` run the
scheduled privacy jobs now.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path

import typer
from rich.markup import escape

from store.db import ensure_schema, session_scope
from store.person import erase_person, export_person
from store.provenance import missing_provenance
from store.suppression import pseudonym_key
from veille.cli._common import console, ready_db_url, settings, styled
from veille.counts import ROWS, format_counts
from veille.errors import VeilleError
from veille.i18n import gettext as _
from veille.i18n import ngettext
from veille.stages import StageContext, StageResult

person_app = typer.Typer(
    help="Data-protection duties: export, erase, register, provenance, retention, notices.",
    no_args_is_help=True,
)


def _write_private(path: Path, text: str) -> None:
    """Personal data on disk: readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


@person_app.command("export")
def export(
    alumnus: str = typer.Option(..., "--alumnus", help="Alumnus id."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
) -> None:
    """Everything stored about one alumnus, as JSON (Art. 15 access request)."""
    url = ready_db_url()
    with session_scope(url) as session:
        data = export_person(session, alumnus)
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    _write_private(output, text)
    counts = format_counts({k: len(v) for k, v in data.items() if isinstance(v, list)}, kind=ROWS)
    console.print(
        _("Wrote %(path)s (%(counts)s).") % {"path": escape(str(output)), "counts": counts},
        highlight=False,
    )


@person_app.command("erase")
def erase(
    alumnus: str = typer.Option(..., "--alumnus", help="Alumnus id."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Remove one alumnus everywhere (Art. 17); keeps only hashes so they are not re-collected."""
    if not yes and not typer.confirm(
        _("Erase alumnus %(id)s and every row about them? This cannot be undone.") % {"id": alumnus}
    ):
        raise typer.Exit(1)
    url = ready_db_url()
    with session_scope(url) as session:
        summary = erase_person(session, alumnus, pseudonym_key(), actor=f"cli:{getpass.getuser()}")
    deleted = format_counts({k: v for k, v in summary.deleted.items() if v}, kind=ROWS)
    scrubbed = format_counts(summary.scrubbed, kind=ROWS) or _("none")
    console.print(
        styled("green", _("Erased"))
        + " "
        + escape(
            _("(rows deleted: %(deleted)s; rows scrubbed: %(scrubbed)s).")
            % {"deleted": deleted or _("none"), "scrubbed": scrubbed}
        ),
        highlight=False,
    )
    console.print(
        _("Audit reference: %(ref)s") % {"ref": summary.audit_entity_id[:16]}, highlight=False
    )


@person_app.command("register")
def register_(
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
) -> None:
    """The record of processing activities (Art. 30), generated from veille.toml."""
    from veille.privacy import processing_register

    text = processing_register(settings())
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    console.print(_("Wrote %(path)s.") % {"path": escape(str(output))}, highlight=False)


@person_app.command("audit-provenance")
def audit_provenance(
    limit: int = typer.Option(50, help="Stop after this many problems (0: all)."),
) -> None:
    """List stored personal data lacking provenance (url, fetched_at, method, source, version)."""
    url = ready_db_url()
    with session_scope(url) as session:
        problems = missing_provenance(session, limit=limit or None)
    if not problems:
        console.print(
            styled("green", _("Every stored personal datum has its provenance.")),
            highlight=False,
        )
        return
    for line in problems:
        console.print(escape(line), highlight=False)
    raise VeilleError(
        ngettext(
            "%(n)s row without complete provenance (listed above)",
            "%(n)s rows without complete provenance (listed above)",
            len(problems),
        )
        % {"n": len(problems)}
    )


def _run_stage(target: str) -> None:
    from veille.stages import load

    s = settings()
    ensure_schema(s.database_url)
    ctx = StageContext(settings=s, db_url=s.database_url, output_dir=Path(s.output_dir))
    result: StageResult = load(target)(ctx)
    console.print(format_counts(result.counts), highlight=False)
    for note in result.notes:
        console.print(escape(note), highlight=False)


@person_app.command("retention")
def retention() -> None:
    """Purge raw content past its retention now (the scheduler does it daily)."""
    _run_stage("store.retention:retention_stage")


@person_app.command("notices")
def notices() -> None:
    """Send the due Article 14 notices now (the scheduler does it daily)."""
    _run_stage("veille.notices:notices_stage")


def register(app: typer.Typer) -> None:
    app.add_typer(person_app, name="person")
