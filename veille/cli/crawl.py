"""`veille crawl`: fetch new mentions from every enabled source (or one).

SIGTERM (or Ctrl-C) stops it gracefully: the batch being fetched is stored
with its cursor, no further source starts, and the exit code is 0, so a
scheduler or systemd stopping it loses nothing and the next run resumes.
"""

from __future__ import annotations

import threading

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from crawlers.runner import SourceReport, crawl, selected_sources
from veille.cli._common import console, print_table, ready_db_url, settings, styled, titled_table
from veille.i18n import gettext as _
from veille.i18n import label, ngettext
from veille.process import stop_on_signals

_STYLE = {
    "ok": "green",
    "degraded": "yellow",
    "down": "red",
    "blocked": "magenta",
    "rate_limited": "yellow",
    "budget_exhausted": "yellow",
}


def crawl_command(
    source: list[str] = typer.Option(
        None, "--source", "-s", help="Crawl only this source (repeatable)."
    ),
    worker: bool = typer.Option(
        False,
        "--worker",
        help="Web sources: share a Redis frontier with other workers (scrapy-redis).",
    ),
    crawl_id: str = typer.Option(
        "",
        "--crawl-id",
        envvar="VEILLE_CRAWL_ID",
        help="Shared (Redis) frontier: workers of one crawl pass the same id; the same id "
        "again resumes it (default: a new crawl each run; the scheduler passes its tick).",
    ),
) -> None:
    """Fetch new mentions; one failing source never stops the others."""
    cfg = settings()
    url = ready_db_url()
    chosen = selected_sources(cfg, source or None)
    overrides: dict[str, dict[str, object]] = {}
    for s in chosen:
        opts: dict[str, object] = {"frontier": "redis"} if worker else {}
        if crawl_id and s.kind == "web":
            opts["crawl_id"] = crawl_id
        if opts:
            overrides[s.name] = opts
    stop = threading.Event()

    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks = {
            s.name: progress.add_task(
                escape(s.name), total=None, info=escape(_("waiting")), start=False
            )
            for s in chosen
        }

        def on_progress(event: str, report: SourceReport) -> None:
            task = tasks[report.name]
            if event == "start":
                progress.start_task(task)
            info = escape(_counts(report.fetched, report.stored))
            if event == "done":
                style = _STYLE.get(report.status, "white")
                info = styled(style, label("source_status", report.status)) + " " + info
                progress.update(task, total=1, completed=1, info=info)
            else:
                progress.update(task, info=info)

        with stop_on_signals(stop, "storing the batch being fetched"):
            reports = crawl(
                cfg, url, source or None, progress=on_progress, overrides=overrides, stop=stop
            )

    table = titled_table(
        _("Collection"),
        _("Source"),
        _("State"),
        _("Fetched"),
        _("New"),
        _("Grouped"),
        _("Opted out"),
        _("Off-query"),
        _("Quarantined"),
        _("Note"),
    )
    for r in reports:
        table.add_row(
            escape(r.name),
            styled(_STYLE.get(r.status, "white"), label("source_status", r.status)),
            str(r.fetched),
            str(r.stored + r.snapshots),
            str(r.grouped),
            str(r.dropped_optout),
            str(r.dropped_filter),
            str(r.rejected),
            escape(r.note()[:120]),
            style=None,
        )
    print_table(table)
    if stop.is_set():
        console.print(
            escape(_("Stopped on request: every stored batch is saved with its cursor.")),
            highlight=False,
        )
    if reports and all(r.status in ("down", "blocked") for r in reports):
        raise typer.Exit(1)


def _counts(fetched: int, new: int) -> str:
    """``12 fetched, 3 new`` in the interface's language."""
    return ", ".join(
        (
            ngettext("%(n)s fetched", "%(n)s fetched", fetched) % {"n": fetched},
            ngettext("%(n)s new", "%(n)s new", new) % {"n": new},
        )
    )


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl_command)
