"""``veille report``: weekly report, alert digest, brand reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.markup import escape

from veille.cli._common import console, db_url, settings
from veille.errors import VeilleError
from veille.i18n import gettext as _
from veille.i18n import label, ngettext

report_app = typer.Typer(help="Reports and alert digests.", no_args_is_help=True)


class DateError(VeilleError):
    exit_code = 2


def _date(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise DateError(
            _("%(flag)s %(value)s is not a date: write it like 2026-11-16")
            % {"flag": flag, "value": repr(value)}
        ) from exc


@report_app.command("weekly")
def weekly(
    week: str | None = typer.Option(
        None, "--week", help="ISO week, e.g. 2026-W47 (default: last complete week)."
    ),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write the PDF."),
    send: bool = typer.Option(False, "--send", help="Mail it to every team's recipients."),
    output_dir: Path | None = typer.Option(None, "--output-dir", help="Default: output_dir."),
) -> None:
    """Write the weekly monitoring report (HTML, PDF)."""
    from reports.weekly import parse_week, write_weekly

    cfg = settings()
    paths, context = write_weekly(
        cfg, db_url(), output_dir or Path(cfg.output_dir), parse_week(week), pdf=pdf
    )
    for p in paths:
        console.print(_("Wrote %(path)s.") % {"path": f"[bold]{escape(str(p))}[/]"})
    h = context["h"]
    console.print(
        ngettext(
            "%(week)s: %(n)s mention, %(share)s %% negative, reach %(reach)s",
            "%(week)s: %(n)s mentions, %(share)s %% negative, reach %(reach)s",
            h["total"],
        )
        % {
            "week": context["week"],
            "n": h["total"],
            "share": f"{h['negative_share'] * 100:.1f}",
            "reach": h["reach"],
        },
        highlight=False,
    )
    if send:
        from reports.mail import send_weekly

        teams = send_weekly(cfg, context, paths)
        console.print(
            ngettext("Mailed to %(n)s team.", "Mailed to %(n)s teams.", teams) % {"n": teams}
        )


@report_app.command("digest")
def digest(
    send_empty: bool = typer.Option(False, "--send-empty", help="Mail teams with no alert too."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the digests, send nothing."),
) -> None:
    """Mail each team its pending alerts, grouped and deduplicated."""
    from reports.digest import send_digests

    outcome = send_digests(settings(), db_url(), send_empty=send_empty, dry_run=dry_run)
    if dry_run:
        for d in outcome.digests:
            console.rule(escape(label("team", d.team) + " → " + ", ".join(d.recipients)))
            console.print(d.text, markup=False, highlight=False)
    if not outcome.digests:
        console.print(escape(_("No pending alert: nothing sent.")), highlight=False)
    else:
        n, sent, marked = len(outcome.digests), outcome.sent, outcome.alerts_marked
        parts = (
            ngettext("%(n)s digest", "%(n)s digests", n) % {"n": n},
            ngettext("%(n)s sent", "%(n)s sent", sent) % {"n": sent},
            ngettext("%(n)s alert marked as sent", "%(n)s alerts marked as sent", marked)
            % {"n": marked},
        )
        console.print(", ".join(parts), highlight=False)
    if outcome.unrouted:
        unrouted = ngettext(
            "%(n)s alert kept pending: its team has no recipients "
            "(add recipients to [teams.<name>] or a communications team)",
            "%(n)s alerts kept pending: their team has no recipients "
            "(add recipients to [teams.<name>] or a communications team)",
            outcome.unrouted,
        ) % {"n": outcome.unrouted}
        console.print(f"[yellow]{escape(unrouted)}[/]", highlight=False)


@report_app.command("brand")
def brand(
    query: str = typer.Option(..., "--query", "-q", help="Boolean query (veille syntax)."),
    from_: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (UTC)."),
    to: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD (UTC), included."),
    compare: str | None = typer.Option(None, "--compare", help="'peers' for share of voice."),
    fmt: str = typer.Option("html", "--format", "-f", help="html | pdf | csv"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Default: output_dir."),
) -> None:
    """Brand report for a query: share of voice, sentiment trend, themes."""
    from reports.brand import BrandReportError, brand_report

    if compare not in (None, "peers"):
        raise BrandReportError(
            _("--compare %(value)s: only 'peers' is supported") % {"value": repr(compare)}
        )
    cfg = settings()
    start, end = _date(from_, "--from"), _date(to, "--to")
    data = brand_report(
        cfg, query=query, start=start, end=end, compare_peers=compare == "peers", fmt=fmt
    )
    target = output or Path(cfg.output_dir) / f"brand-{start}-{end}.{fmt}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    console.print(
        _("Wrote %(path)s (%(n)s bytes).")
        % {"path": f"[bold]{escape(str(target))}[/]", "n": len(data)}
    )


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
