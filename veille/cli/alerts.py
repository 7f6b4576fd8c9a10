"""`veille alerts list|ack|assign`: the alert inbox from a terminal, as the web UI has it.

The same store functions as the alert pages (:mod:`store.alert_inbox`): an
assignment names a team and, optionally, a person who may open alerts and a
note; acknowledging keeps the first person who did it.
"""

from __future__ import annotations

import getpass

import typer
from rich.markup import escape

from store.alert_inbox import acknowledge_alert, assign_alert, list_alerts
from store.db import session_scope
from veille.cli._common import console, ready_db_url, settings
from veille.i18n import gettext as _
from veille.i18n import label, ngettext

alerts_app = typer.Typer(help="Alerts: list, acknowledge, assign.", no_args_is_help=True)


@alerts_app.command("list")
def list_(
    status: str = typer.Option("open", help="open, acknowledged, or all."),
    team: str = typer.Option("", help="Only this team's alerts."),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """The newest alerts, one tab-separated line each, with their team, person and note."""
    with session_scope(ready_db_url()) as session:
        rows, total = list_alerts(
            session, status=None if status == "all" else status, team=team or None, limit=limit
        )
        header = (
            "#",
            _("Window"),
            _("Alert type"),
            _("Severity"),
            _("Team"),
            _("Person"),
            _("State"),
            _("Note"),
        )
        lines = ["\t".join(header)]
        for a in rows:
            fields = (
                str(a.id),
                f"{a.window_start:%d/%m/%Y %H:%M} – {a.window_end:%H:%M}",
                label("rule", a.rule),
                label("severity", a.severity),
                label("team", a.team) if a.team else "—",
                a.assignee or "—",
                label("alert_status", a.status),
                " ".join(a.note.split()),  # one line per alert, whatever the note holds
            )
            lines.append("\t".join(fields))
    # One tab-separated line per alert (scripts cut it), not a table that wraps.
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(
        ngettext(
            "%(n)s alert shown out of %(total)s", "%(n)s alerts shown out of %(total)s", len(rows)
        )
        % {"n": len(rows), "total": total},
        highlight=False,
    )


@alerts_app.command("ack")
def ack(alert_id: int = typer.Argument(..., help="Alert id.")) -> None:
    """Acknowledge an alert (a second acknowledge keeps the first)."""
    with session_scope(ready_db_url()) as session:
        alert = acknowledge_alert(session, alert_id, f"cli:{getpass.getuser()}")
        console.print(
            _("Alert %(id)s: acknowledged by %(who)s.")
            % {"id": alert.id, "who": escape(alert.acknowledged_by or "—")},
            highlight=False,
        )


@alerts_app.command("assign")
def assign(
    alert_id: int = typer.Argument(..., help="Alert id."),
    team: str = typer.Option("", help="Team (empty: none)."),
    person: str | None = typer.Option(
        None, "--person", help="Web account that handles it ('' clears; absent keeps)."
    ),
    note: str | None = typer.Option(None, help="Note for them ('' clears; absent keeps)."),
) -> None:
    """Route an alert to a team, and to a person with a note."""
    teams = sorted(settings().teams)
    with session_scope(ready_db_url()) as session:
        alert = assign_alert(
            session,
            alert_id,
            team or None,
            teams,
            assignee=person,
            note=note,
            actor=f"cli:{getpass.getuser()}",
        )
        console.print(
            _("Alert %(id)s: team %(team)s, person %(person)s.")
            % {
                "id": alert.id,
                "team": escape(label("team", alert.team)) if alert.team else "—",
                "person": escape(alert.assignee or "—"),
            },
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
