"""`veille sources status`: health, budget and cursor of every source."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table
from rich.text import Text

from store import crawl_state
from store.db import ensure_schema, session_scope
from store.mentions import count_mentions
from veille.cli._common import console, db_url, settings

sources_app = typer.Typer(help="Crawl sources.", no_args_is_help=True)

_STYLE = {
    "ok": "green",
    "down": "red",
    "blocked": "magenta",
    "rate_limited": "yellow",
    "budget_exhausted": "yellow",
    "never_run": "dim",
}


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else "-"


@sources_app.command("status")
def status() -> None:
    """Last success, last error, items and budget of each source."""
    cfg = settings()
    url = db_url()
    ensure_schema(url)
    with session_scope(url) as session:
        for s in cfg.sources:
            crawl_state.ensure_source(session, s)
        rows = crawl_state.health(session)
        total = count_mentions(session)
    limits = {s.name: s for s in cfg.sources}
    table = Table(title=f"sources ({total} mentions stored)")
    for col in ("source", "kind", "status", "last success", "last error", "items", "today"):
        table.add_column(col)
    for h in rows:
        cfg_source = limits.get(h.name)
        status_text = Text(h.status, style=_STYLE.get(h.status, "white"))
        if not h.enabled:
            status_text.append(" (disabled)", style="dim")
        today = str(h.items_today) + (f" / {cfg_source.max_items_per_day}" if cfg_source else "")
        if h.status == "budget_exhausted":
            status_text.append(" ⚠ budget reached", style="bold yellow")
        error = Text("")
        if h.last_error:
            error = Text(f"{_when(h.last_error_at)} {h.last_error[:80]}")
        table.add_row(
            Text(h.name),
            h.kind,
            status_text,
            _when(h.last_success_at),
            error,
            str(h.items_last_run),
            today,
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")
