"""`veille sources status`: health, budget, failing targets and quarantine of every source."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.markup import escape
from rich.text import Text

from crawlers.failure_reasons import explain
from store import crawl_state
from store import rejected as rejected_store
from store.db import session_scope
from store.mentions import count_mentions
from veille.cli._common import console, print_table, ready_db_url, settings, styled, titled_table
from veille.i18n import gettext as _
from veille.i18n import label, ngettext

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


def _when(value: object) -> str:
    """Day first, as the admin page writes it (times are UTC)."""
    return value.strftime("%d/%m/%Y %H:%M") if isinstance(value, datetime) else "—"


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
    # the words of the admin page (web/templates/sources.html), from the same catalogue
    from web.render import target_label

    title = ngettext("Sources (%(n)s mention stored)", "Sources (%(n)s mentions stored)", total) % {
        "n": total
    }
    # the state reads as one phrase ("Dégradée · 1 cible en échec sur 8"): never broken
    table = titled_table(
        title,
        _("Source"),
        _("Type"),
        _("State"),
        _("Latest success"),
        _("Last error"),
        _("Items read"),
        _("Today"),
        _("Quarantined"),
        no_wrap=(_("State"),),
    )
    for h in rows:
        cfg_source = limits.get(h.name)
        status_text = Text(label("source_status", h.status), style=_STYLE.get(h.status, "white"))
        if h.status == "degraded" and h.targets:
            failing_count = ngettext(
                "%(num)s target failing out of %(total)s",
                "%(num)s targets failing out of %(total)s",
                len(h.failing),
            ) % {"num": len(h.failing), "total": h.targets}
            status_text.append(f" · {failing_count}")
        if not h.enabled:
            status_text.append(" " + _("(disabled)"), style="dim")
        today = str(h.items_today) + (f" / {cfg_source.max_items_per_day}" if cfg_source else "")
        if h.status == "budget_exhausted":
            status_text.append(" ⚠ " + _("daily budget reached"), style="bold yellow")
        error = Text("")
        if h.last_error:
            error = Text(f"{_when(h.last_error_at)} {_reason(h.last_error, 80)}")
        table.add_row(
            Text(h.name),
            label("source_kind", h.kind),
            status_text,
            _when(h.last_success_at),
            error,
            str(h.items_last_run),
            today,
            str(h.rejected),
        )
    print_table(table)

    failing = [(h.name, t) for h in rows for t in h.failing]
    if failing:
        targets = titled_table(
            _("Failing targets"),
            _("Source"),
            _("Target"),
            _("State"),
            _("Since"),
            _("Consecutive failures"),
            _("Reason"),
        )
        for name, t in failing:
            targets.add_row(
                Text(name),
                Text(target_label(t.label)[:70]),
                Text(label("source_status", t.status), style=_STYLE.get(t.status, "white")),
                _when(t.last_error_at),
                str(t.consecutive_failures),
                Text(_reason(t.last_error, 100)),
            )
        print_table(targets)

    if recent:
        items = titled_table(
            _("Quarantined items (most recent)"),
            _("Source"),
            _("Target"),
            _("Reason"),
            _("Last seen"),
            _("Times"),
            _("Excerpt"),
        )
        for r in recent:
            items.add_row(
                Text(r.source),
                Text(target_label(r.target)[:50]),
                Text(label("reject_reason", r.reason)),
                _when(r.last_seen_at),
                str(r.occurrences),
                Text(r.excerpt[:80]),
            )
        print_table(items)

    if cfg.allow_private_addresses:
        console.print(
            styled("yellow", _("allow_private_addresses = true is deprecated:"))
            + " "
            + escape(
                _(
                    "it lets the crawlers reach every private address. "
                    "List the services instead: %(setting)s"
                )
                % {"setting": 'allow_private_hosts = ["host:port"]'}
            )
        )


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")
