"""`veille schedule` (the long-lived service) and `veille jobs` (its run log)."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from store.db import session_scope
from store.runs import recent_runs
from veille.cli._common import console, db_url, log_progress, print_table, state, styled
from veille.counts import format_counts
from veille.i18n import gettext as _
from veille.i18n import label

_STATUS_STYLE = {
    "ok": "green",
    "error": "bold red",
    "skipped": "yellow",
    "running": "cyan",
    "interrupted": "magenta",
    "missed": "yellow",
}


def schedule(
    once: bool = typer.Option(
        False, "--once", help="Run every due job once and exit (cron-only hosts)."
    ),
) -> None:
    """Run crawls, NLP, alerts and reports on time; one active instance per database."""
    import scheduler
    from web.render import job_label

    log_progress()
    config = state.config_file()
    if once:
        results = scheduler.run_once(config)
        if not results:
            console.print(escape(_("No job was due.")), highlight=False)
        for job, status in sorted(results.items()):
            style = _STATUS_STYLE.get(status, "white")
            line = _("%(key)s: %(value)s") % {
                "key": escape(job_label(job)),
                "value": styled(style, label("job_status", status)),
            }
            console.print(line, highlight=False)
        raise typer.Exit(1 if "error" in results.values() else 0)
    raise typer.Exit(scheduler.serve(config))


def jobs(
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many runs to show."),
    job: str | None = typer.Option(None, "--job", help="Only this job (e.g. crawl:rss-news)."),
) -> None:
    """Show the scheduler's run log, newest first."""
    from web.render import job_label

    with session_scope(db_url()) as session:
        runs = recent_runs(session, limit=limit, job=job)
    table = Table(title=_("Latest runs"))
    table.add_column(_("Job"), overflow="fold")
    table.add_column(_("Due (UTC)"), no_wrap=True)
    for column in (_("Took"), _("State"), _("Counts"), _("Error"), _("Host/PID")):
        table.add_column(column, overflow="fold")
    for run in runs:
        took = (
            f"{(run.finished_at - run.started_at).total_seconds():.1f}s"
            if run.finished_at is not None
            else "…"
        )
        style = _STATUS_STYLE.get(run.status, "white")
        counts = format_counts(
            {"coalesced": run.coalesced, **run.counts} if run.coalesced else run.counts
        )
        tick = _tick_label(run.tick) + (" " + _("(re-run)") if run.attempt > 1 else "")
        table.add_row(
            escape(job_label(run.job)),
            escape(tick),
            took,
            styled(style, label("job_status", run.status)),
            escape(counts),
            escape(run.error),
            escape(f"{run.host}/{run.pid}"),
        )
    if not runs:
        console.print(
            escape(_("No job has run yet: start %(command)s.") % {"command": "`veille schedule`"}),
            highlight=False,
        )
        return
    print_table(table)


def _tick_label(tick: str) -> str:
    """``2026-01-05T07:00:00+00:00`` -> ``2026-01-05 07:00:00`` (ticks are UTC)."""
    return tick.replace("T", " ").removesuffix("+00:00")


def register(app: typer.Typer) -> None:
    app.command("schedule")(schedule)
    app.command("jobs")(jobs)
