"""`veille sources status`: health, budget, failing targets and quarantine of every source."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crawlers.failure_reasons import explain
from store import crawl_state
from store import rejected as rejected_store
from store.db import session_scope
from store.mentions import count_mentions
from veille.cli._common import console, ready_db_url, settings

sources_app = typer.Typer(help="Crawl sources.", no_args_is_help=True)

_STYLE = {
    "ok": "green",
    "degraded": "yellow",
    "down": "red",
    "blocked": "magenta",
    "rate_limited": "yellow",
    "budget_exhausted": "yellow",
    "never_run": "dim",
}

#: What each quarantine reason means, for people.
REASON_TEXT = {
    "null_item": "empty item (null)",
    "not_an_object": "not an object",
    "unreadable": "unreadable item",
    "refused_by_database": "refused by the database",
    "error_body": "error answer instead of results",
}


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else "-"


def _reason(error: str, width: int) -> str:
    """The error as the admin page says it; the raw text, cut, only when no pattern knows it."""
    return explain(error) or error[:width]


@sources_app.command("status")
def status(
    quarantined: int = typer.Option(
        10, "--quarantined", "-q", help="How many quarantined items to list (0: none)."
    ),
) -> None:
    """Status, last success, last error, items, budget, failing targets, quarantined items."""
    cfg = settings()
    url = ready_db_url()
    with session_scope(url) as session:
        for s in cfg.sources:
            crawl_state.ensure_source(session, s)
        rows = crawl_state.health(session)
        total = count_mentions(session)
        recent = rejected_store.recent(session, limit=quarantined) if quarantined else []
    limits = {s.name: s for s in cfg.sources}
    table = Table(title=f"sources ({total} mentions stored)")
    for col in (
        "source",
        "kind",
        "status",
        "last success",
        "last error",
        "items",
        "today",
        "quarantined",
    ):
        table.add_column(col)
    for h in rows:
        cfg_source = limits.get(h.name)
        status_text = Text(h.summary, style=_STYLE.get(h.status, "white"))
        if not h.enabled:
            status_text.append(" (disabled)", style="dim")
        today = str(h.items_today) + (f" / {cfg_source.max_items_per_day}" if cfg_source else "")
        if h.status == "budget_exhausted":
            status_text.append(" ⚠ budget reached", style="bold yellow")
        error = Text("")
        if h.last_error:
            error = Text(f"{_when(h.last_error_at)} {_reason(h.last_error, 80)}")
        table.add_row(
            Text(h.name),
            h.kind,
            status_text,
            _when(h.last_success_at),
            error,
            str(h.items_last_run),
            today,
            str(h.rejected),
        )
    console.print(table)

    failing = [(h.name, t) for h in rows for t in h.failing]
    if failing:
        targets = Table(title="failing targets")
        for col in ("source", "target", "status", "since", "failures in a row", "reason"):
            targets.add_column(col)
        for name, t in failing:
            targets.add_row(
                Text(name),
                Text(t.label[:70]),
                Text(t.status, style=_STYLE.get(t.status, "white")),
                _when(t.last_error_at),
                str(t.consecutive_failures),
                Text(_reason(t.last_error, 100)),
            )
        console.print(targets)

    if recent:
        items = Table(title="quarantined items (most recent)")
        for col in ("source", "target", "reason", "last seen", "times", "excerpt"):
            items.add_column(col)
        for r in recent:
            items.add_row(
                Text(r.source),
                Text(r.target[:50]),
                Text(REASON_TEXT.get(r.reason, r.reason)),
                _when(r.last_seen_at),
                str(r.occurrences),
                Text(r.excerpt[:80]),
            )
        console.print(items)

    if cfg.allow_private_addresses:
        console.print(
            "[yellow]allow_private_addresses = true is deprecated:[/] it lets the crawlers reach "
            "every private address. List the services instead: "
            + escape('allow_private_hosts = ["host:port"]')
        )


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")
