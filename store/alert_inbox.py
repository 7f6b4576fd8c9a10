"""What community managers act on in the web UI and the API: alerts and mentions.

Alerts are created by the reports/alerting stages; here they are only read,
acknowledged and assigned to a team.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from store.labels import add_alert_team_correction
from store.models import Alert, Mention
from store.types import utcnow
from store.users import Account, list_users
from veille.errors import VeilleError
from veille.i18n import _

ALERT_STATUSES = ("open", "acknowledged")
#: Roles that see the alert pages (web.security.ALERT_ROLES says the same for the routes).
ALERT_HANDLER_ROLES = frozenset({"admin", "community_manager"})
M = TypeVar("M", Alert, Mention)


class AlertError(VeilleError):
    """An alert action cannot be applied."""

    translated = True


def _page(
    session: Session,
    model: type[M],
    where: Sequence[Any],
    order: Sequence[Any],
    limit: int,
    offset: int,
) -> tuple[list[M], int]:
    """One page of ``model`` rows and the total, both under the same filters."""
    rows = session.exec(select(model).where(*where).order_by(*order).limit(limit).offset(offset))
    total = session.exec(select(func.count()).select_from(model).where(*where)).one()
    return list(rows.all()), int(total)


def list_alerts(
    session: Session,
    *,
    status: str | None = None,
    team: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Alert], int]:
    """A page of alerts, newest first, and the total count."""
    where = [
        *([Alert.status == status] if status else []),
        *([Alert.team == team] if team else []),
    ]
    order = (col(Alert.created_at).desc(), col(Alert.id).desc())
    return _page(session, Alert, where, order, limit, offset)


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertError(_("no alert %(id)s") % {"id": alert_id})
    return alert


def acknowledge_alert(session: Session, alert_id: int, actor: str) -> Alert:
    """Mark an alert as handled (idempotent: a second acknowledge keeps the first)."""
    alert = get_alert(session, alert_id)
    session.execute(
        update(Alert)
        .where(col(Alert.id) == alert_id, col(Alert.status) == "open")
        .values(status="acknowledged", acknowledged_by=actor, acknowledged_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(alert)
    return alert


#: Longest note kept on an assignment (the column's size).
NOTE_MAX = 2000


def assign_alert(
    session: Session,
    alert_id: int,
    team: str | None,
    teams: list[str],
    *,
    assignee: str | None = None,
    note: str | None = None,
    actor: str | None = None,
) -> Alert:
    """Route an alert to a team (or none) and, optionally, to a person with a note.

    ``assignee`` and ``note`` left as ``None`` keep what the alert had (the
    alerts list changes the team only); ``""`` clears them. The person must
    be an active web account that may see alerts, so nobody is handed an
    alert they cannot open. Who assigned it and when are kept. Moving the
    alert to another team by hand is a correction: its sample mentions become
    routing examples (:func:`store.labels.add_alert_team_correction`), the same
    from the web UI and the CLI.
    """
    if team and team not in teams:
        raise AlertError(
            _("unknown team %(team)s; configured teams: %(teams)s")
            % {"team": repr(team), "teams": ", ".join(teams) or _("none")}
        )
    if note is not None and len(note) > NOTE_MAX:
        raise AlertError(
            _("the note is %(n)s characters long; at most %(max)s")
            % {"n": len(note), "max": NOTE_MAX}
        )
    alert = get_alert(session, alert_id)
    if assignee:
        handlers = {a.username for a in alert_handlers(session)}
        if assignee not in handlers:
            raise AlertError(
                _("%(name)s is not an active account that handles alerts: %(names)s")
                % {"name": repr(assignee), "names": ", ".join(sorted(handlers)) or _("none")}
            )
    if team and team != alert.team and actor:
        add_alert_team_correction(session, alert, team, actor, teams)
    alert.team = team or None
    if assignee is not None:
        alert.assignee = assignee or None
    if note is not None:
        alert.note = note.strip()
    if assignee is not None or note is not None:
        alert.assigned_by = actor
        alert.assigned_at = utcnow()
    session.add(alert)
    session.flush()
    return alert


def alert_handlers(session: Session) -> list[Account]:
    """Active accounts whose role may open alerts: the people an alert can go to."""
    return [a for a in list_users(session) if a.role in ALERT_HANDLER_ROLES]


def list_mentions(
    session: Session,
    *,
    team: str | None = None,
    sentiment: str | None = None,
    team_status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Mention], int]:
    """A page of original mentions (no duplicates), newest first, and the total."""
    where = [
        col(Mention.duplicate_of_id).is_(None),
        *([Mention.team == team] if team else []),
        *([Mention.team_status == team_status] if team_status else []),
        *([Mention.sentiment_label == sentiment] if sentiment else []),
    ]
    order = (col(Mention.published_at).desc(), col(Mention.id).desc())
    return _page(session, Mention, where, order, limit, offset)
