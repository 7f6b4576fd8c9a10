"""`veille schedule` (the long-lived service) and `veille jobs` (its run log)."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from store.db import session_scope
from store.runs import recent_runs
from veille.cli._common import console, db_url, state

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

    config = state.config_file()
    if once:
        results = scheduler.run_once(config)
        if not results:
            console.print("no job was due")
        for job, status in sorted(results.items()):
            style = _STATUS_STYLE.get(status, "white")
            console.print(f"{job}: [{style}]{status}[/]")
        raise typer.Exit(1 if "error" in results.values() else 0)
    raise typer.Exit(scheduler.serve(config))


def jobs(
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many runs to show."),
    job: str | None = typer.Option(None, "--job", help="Only this job (e.g. crawl:rss-news)."),
) -> None:
    """Show the scheduler's run log, newest first."""
    with session_scope(db_url()) as session:
        runs = recent_runs(session, limit=limit, job=job)
    table = Table(title="veille job runs")
    table.add_column("job", overflow="fold")
    table.add_column("tick (UTC)", no_wrap=True)
    for column in ("took", "status", "counts", "error", "host/pid"):
        table.add_column(column, overflow="fold")
    for run in runs:
        took = (
            f"{(run.finished_at - run.started_at).total_seconds():.1f}s"
            if run.finished_at is not None
            else "…"
        )
        style = _STATUS_STYLE.get(run.status, "white")
        counts = ", ".join(f"{k}={v}" for k, v in run.counts.items() if k != "skipped")
        if run.coalesced:
            counts = ", ".join(filter(None, [f"coalesced={run.coalesced}", counts]))
        tick = _tick_label(run.tick) + (" (re-run)" if run.attempt > 1 else "")
        table.add_row(
            escape(run.job),
            tick,
            took,
            f"[{style}]{run.status}[/]",
            escape(counts),
            escape(run.error),
            escape(f"{run.host}/{run.pid}"),
        )
    if not runs:
        console.print("no job has run yet: start `veille schedule`")
        return
    console.print(table)


def _tick_label(tick: str) -> str:
    """``2026-01-05T07:00:00+00:00`` -> ``2026-01-05 07:00:00`` (ticks are UTC)."""
    return tick.replace("T", " ").removesuffix("+00:00")


def register(app: typer.Typer) -> None:
    app.command("schedule")(schedule)
    app.command("jobs")(jobs)
