"""Review and write-back: how a suggestion becomes (and stops being) alumni data.

The alumni office only trusts enrichment it can check and undo, so every
change made here writes an :class:`~store.models.AuditEvent` in the same
transaction as the change itself (the caller's ``session_scope`` commits
both or neither). The audit table is append-only (a database trigger refuses
UPDATE), so an undo is a *new* event that restores the previous value.

Status changes use a conditional UPDATE (``WHERE status IN (...)``) so that
two reviewers clicking "accept" at once cannot both apply the same
suggestion: the second one gets a :class:`ReviewError`.

Field values in audit events are strings; the ``emails`` list is stored as
its JSON text so that undo restores it exactly. A suggestion for ``emails``
carries one address: accepting it makes that address the primary one (first
in the list) and keeps the others.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from store.models import (
    REVIEW_ONLY_FIELDS,
    REVIEWABLE_FIELDS,
    SUGGESTIBLE_FIELDS,
    Alumnus,
    AuditEvent,
    Mention,
    Suggestion,
)
from store.types import utcnow
from veille.errors import VeilleError
from veille.i18n import _, label

log = logging.getLogger(__name__)

#: Confidence bands shown in the inbox, best first: (name, lower bound inclusive).
BANDS: tuple[tuple[str, float], ...] = (("high", 0.95), ("medium", 0.85), ("low", 0.0))
BAND_NAMES = tuple(name for name, _ in BANDS)
OPEN_STATUSES = ("pending", "snoozed")
#: Audit actions that changed a field and may be undone.
UNDOABLE_ACTIONS = ("accept", "self_confirm")
MAX_VALUE_LENGTH = 500
URL_FIELDS = ("linkedin_url",)
SELF_ACTOR = "alumnus-self"
#: NUL and control characters (tab and line breaks aside): never part of a field value.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class ReviewError(VeilleError):
    """A review action cannot be applied (already decided, changed since, invalid)."""

    translated = True


class NotFoundError(ReviewError):
    """The suggestion, audit event or alumnus does not exist."""


def band(confidence: float) -> str:
    """The band a confidence falls in (``high``, ``medium`` or ``low``)."""
    for name, lower in BANDS:
        if confidence >= lower:
            return name
    return BANDS[-1][0]


def _band_range(name: str) -> tuple[float, float]:
    names = [n for n, _ in BANDS]
    if name not in names:
        raise ReviewError(
            _("unknown band %(band)s; choose one of %(bands)s")
            % {"band": repr(name), "bands": ", ".join(names)}
        )
    i = names.index(name)
    upper = BANDS[i - 1][1] if i > 0 else float("inf")
    return BANDS[i][1], upper


# ---------------------------------------------------------------------------
# Values: how a field is read, written and recorded
# ---------------------------------------------------------------------------


def current_value(alumnus: Alumnus, field_name: str) -> str:
    """The field as recorded in audit events (``emails`` as JSON text).

    ``""`` for a field a suggestion cannot change (a producer's bad row must
    not break the page that shows it).
    """
    if field_name not in SUGGESTIBLE_FIELDS:
        return ""
    if field_name == "emails":
        return json.dumps(list(alumnus.emails or []), ensure_ascii=False)
    return str(getattr(alumnus, field_name) or "")


def _restore(alumnus: Alumnus, field_name: str, stored: str | None) -> None:
    """Write back a value as recorded by :func:`current_value`."""
    if field_name == "emails":
        try:
            emails = json.loads(stored or "[]")
        except json.JSONDecodeError as exc:
            raise ReviewError(_("the recorded e-mail list is unreadable; fix it by hand")) from exc
        alumnus.emails = [str(e) for e in emails] if isinstance(emails, list) else []
    else:
        setattr(alumnus, field_name, stored or "")


def normalise_value(field_name: str, value: str) -> str:
    """Validate a suggested or edited value for ``field_name``."""
    value = value.strip()
    if not value:
        raise ReviewError(_("the value is empty; reject the suggestion instead"))
    if len(value) > MAX_VALUE_LENGTH:
        raise ReviewError(_("the value is longer than %(n)s characters") % {"n": MAX_VALUE_LENGTH})
    if _CONTROL.search(value):
        raise ReviewError(_("the value contains control characters; retype it"))
    if field_name == "emails":
        local, _at, domain = value.partition("@")
        if not local or "." not in domain or any(c.isspace() for c in value):
            raise ReviewError(_("%(value)s is not an e-mail address") % {"value": repr(value)})
        return value.lower()
    if field_name in URL_FIELDS and not value.lower().startswith(("https://", "http://")):
        raise ReviewError(_("a profile URL must start with https://"))
    return value


def _apply(alumnus: Alumnus, field_name: str, value: str) -> None:
    if field_name == "emails":
        emails = [e for e in (alumnus.emails or []) if e.lower() != value.lower()]
        alumnus.emails = [value, *emails]
    else:
        setattr(alumnus, field_name, value)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


@dataclass
class InboxGroup:
    """One alumnus and the suggestions waiting for them."""

    alumnus: Alumnus
    suggestions: list[Suggestion] = field(default_factory=list)


def _open_filter(now: datetime) -> Any:
    """Open suggestions on a field a suggestion may change.

    A suggestion on any other field (a producer's bug) would break the inbox
    and could never be accepted: it is left out, with a warning in the log
    (see :func:`unknown_field_count`).
    """
    return or_(
        col(Suggestion.status) == "pending",
        (col(Suggestion.status) == "snoozed") & (col(Suggestion.snoozed_until) <= now),
    ) & col(Suggestion.field).in_(REVIEWABLE_FIELDS)


def unknown_field_count(session: Session) -> int:
    """Open suggestions on fields no suggestion may change (left out of the inbox)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Suggestion)
            .where(
                col(Suggestion.status).in_(OPEN_STATUSES),
                col(Suggestion.field).not_in(REVIEWABLE_FIELDS),
            )
        ).one()
    )


def inbox(
    session: Session,
    *,
    band_name: str | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> list[InboxGroup]:
    """Open suggestions (pending, or snoozed and due) grouped by alumnus.

    Opted-out alumni never appear; groups are ordered by their best confidence.
    """
    now = now or utcnow()
    stmt = (
        select(Suggestion, Alumnus)
        .join(Alumnus, col(Alumnus.id) == col(Suggestion.alumnus_id))
        .where(_open_filter(now), col(Alumnus.opt_out).is_(False))
        .order_by(col(Suggestion.confidence).desc(), col(Suggestion.id))
        .limit(limit)
    )
    if band_name:
        lower, upper = _band_range(band_name)
        stmt = stmt.where(col(Suggestion.confidence) >= lower, col(Suggestion.confidence) < upper)
    skipped = unknown_field_count(session)
    if skipped:
        log.warning(
            "%d open suggestion(s) on a field that cannot be changed are left out of the inbox; "
            "fix the producer or reject them through the API",
            skipped,
        )
    groups: dict[str, InboxGroup] = {}
    for suggestion, alumnus in session.exec(stmt).all():
        groups.setdefault(alumnus.id, InboxGroup(alumnus)).suggestions.append(suggestion)
    return list(groups.values())


def band_counts(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """How many open suggestions each band holds (for the inbox tabs and bulk accept)."""
    now = now or utcnow()
    counts = dict.fromkeys(BAND_NAMES, 0)
    rows = session.exec(
        select(Suggestion.confidence)
        .join(Alumnus, col(Alumnus.id) == col(Suggestion.alumnus_id))
        .where(_open_filter(now), col(Alumnus.opt_out).is_(False))
    ).all()
    for confidence in rows:
        counts[band(confidence)] += 1
    return counts


def get_suggestion(session: Session, suggestion_id: int) -> Suggestion:
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise NotFoundError(_("no suggestion %(id)s") % {"id": suggestion_id})
    return suggestion


def get_alumnus(session: Session, alumnus_id: str) -> Alumnus:
    alumnus = session.get(Alumnus, alumnus_id)
    if alumnus is None:
        raise NotFoundError(_("no alumnus %(id)s") % {"id": repr(alumnus_id)})
    return alumnus


def list_alumni(
    session: Session, *, search: str = "", limit: int = 50, offset: int = 0
) -> tuple[list[Alumnus], int]:
    """A page of alumni (optionally filtered by name or id) and the total count."""
    stmt = select(Alumnus)
    count = select(func.count()).select_from(Alumnus)
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        cond = or_(
            func.lower(Alumnus.last_name).like(pattern),
            func.lower(Alumnus.first_name).like(pattern),
            func.lower(Alumnus.id).like(pattern),
        )
        stmt = stmt.where(cond)
        count = count.where(cond)
    rows = session.exec(
        stmt.order_by(col(Alumnus.last_name), col(Alumnus.id)).limit(limit).offset(offset)
    ).all()
    return list(rows), int(session.exec(count).one())


def list_suggestions(
    session: Session,
    *,
    status: str | None = None,
    alumnus_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Suggestion], int]:
    stmt = select(Suggestion)
    count = select(func.count()).select_from(Suggestion)
    if status:
        stmt = stmt.where(Suggestion.status == status)
        count = count.where(Suggestion.status == status)
    if alumnus_id:
        stmt = stmt.where(Suggestion.alumnus_id == alumnus_id)
        count = count.where(Suggestion.alumnus_id == alumnus_id)
    rows = session.exec(stmt.order_by(col(Suggestion.id)).limit(limit).offset(offset)).all()
    return list(rows), int(session.exec(count).one())


def alumnus_suggestions(session: Session, alumnus_id: str) -> list[Suggestion]:
    return list(
        session.exec(
            select(Suggestion)
            .where(Suggestion.alumnus_id == alumnus_id)
            .order_by(col(Suggestion.created_at).desc(), col(Suggestion.id).desc())
        ).all()
    )


def alumnus_mentions(session: Session, alumnus_id: str, limit: int = 50) -> list[Mention]:
    """The alumnus's public voice: mentions linked to them, newest first."""
    return list(
        session.exec(
            select(Mention)
            .where(Mention.alumnus_id == alumnus_id)
            .order_by(col(Mention.published_at).desc())
            .limit(limit)
        ).all()
    )


@dataclass
class HistoryEntry:
    """An audit event and whether it can still be undone."""

    event: AuditEvent
    undoable: bool


def alumnus_history(session: Session, alumnus_id: str) -> list[HistoryEntry]:
    """Every audit event about the alumnus, newest first, with undo availability.

    An accept is undoable while its suggestion is still ``accepted`` and the
    field still holds the accepted value (a later change must be undone first).
    """
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "alumnus", AuditEvent.entity_id == alumnus_id)
        .order_by(col(AuditEvent.id).desc())
    ).all()
    alumnus = session.get(Alumnus, alumnus_id)
    suggestion_ids = {e.suggestion_id for e in events if e.suggestion_id is not None}
    statuses: dict[int, str] = {}
    if suggestion_ids:
        for sid, status in session.exec(
            select(Suggestion.id, Suggestion.status).where(col(Suggestion.id).in_(suggestion_ids))
        ).all():
            if sid is not None:
                statuses[sid] = status
    entries = []
    for event in events:
        undoable = (
            alumnus is not None
            and event.action in UNDOABLE_ACTIONS
            and event.field in SUGGESTIBLE_FIELDS
            and (event.suggestion_id is None or statuses.get(event.suggestion_id) == "accepted")
            and current_value(alumnus, event.field) == (event.new_value or "")
        )
        entries.append(HistoryEntry(event=event, undoable=bool(undoable)))
    return entries


def accepted_changes(session: Session, *, since_id: int = 0) -> list[AuditEvent]:
    """Field changes in order (accepts, self-confirmations and undos) for CRM export."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(
                col(AuditEvent.action).in_((*UNDOABLE_ACTIONS, "undo")),
                AuditEvent.entity == "alumnus",
                col(AuditEvent.id) > since_id,
            )
            .order_by(col(AuditEvent.id))
        ).all()
    )


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _transition(
    session: Session,
    suggestion_id: int,
    from_statuses: Sequence[str],
    **values: Any,
) -> None:
    """Conditionally change a suggestion's status; refuse if someone else did first."""
    result = session.execute(
        update(Suggestion)
        .where(col(Suggestion.id) == suggestion_id, col(Suggestion.status).in_(from_statuses))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ReviewError(
            _("suggestion %(id)s was already decided; reload the page") % {"id": suggestion_id}
        )


def _locked_alumnus(session: Session, alumnus_id: str) -> Alumnus:
    alumnus = session.exec(
        select(Alumnus).where(Alumnus.id == alumnus_id).with_for_update()
    ).first()
    if alumnus is None:
        raise NotFoundError(_("no alumnus %(id)s") % {"id": repr(alumnus_id)})
    return alumnus


def _audit(session: Session, **values: Any) -> AuditEvent:
    event = AuditEvent(**values)
    session.add(event)
    session.flush()
    return event


def accept_suggestion(
    session: Session,
    suggestion_id: int,
    actor: str,
    edited_value: str | None = None,
    *,
    action: str = "accept",
) -> AuditEvent:
    """Apply a suggestion to its alumnus and record who did it, in one transaction.

    ``edited_value`` replaces the suggested value (edit-then-accept); the
    audit event keeps both. Other open suggestions for the same field are
    marked ``superseded``.
    """
    suggestion = get_suggestion(session, suggestion_id)
    if suggestion.status not in OPEN_STATUSES:
        raise ReviewError(
            _("suggestion %(id)s is already %(status)s")
            % {"id": suggestion_id, "status": label("suggestion_status", suggestion.status)}
        )
    if suggestion.field in REVIEW_ONLY_FIELDS:
        if action == "self_confirm":
            raise ReviewError(_("this suggestion is for the alumni office, not for the alumnus"))
        return _accept_review_only(session, suggestion, actor, action=action)
    if suggestion.field not in SUGGESTIBLE_FIELDS:
        raise ReviewError(
            _("field %(field)s cannot be changed by a suggestion")
            % {"field": repr(suggestion.field)}
        )
    alumnus = _locked_alumnus(session, suggestion.alumnus_id)
    if alumnus.opt_out:
        raise ReviewError(_("this alumnus opted out; their record is no longer enriched"))
    value = normalise_value(
        suggestion.field, edited_value if edited_value is not None else suggestion.new_value
    )
    now = utcnow()
    _transition(
        session, suggestion_id, OPEN_STATUSES, status="accepted", reviewer=actor, decided_at=now
    )
    old = current_value(alumnus, suggestion.field)
    _apply(alumnus, suggestion.field, value)
    alumnus.updated_at = now
    if action == "self_confirm":
        alumnus.verified_at = now
    session.add(alumnus)
    session.execute(
        update(Suggestion)
        .where(
            col(Suggestion.alumnus_id) == alumnus.id,
            col(Suggestion.field) == suggestion.field,
            col(Suggestion.id) != suggestion_id,
            col(Suggestion.status).in_(OPEN_STATUSES),
        )
        .values(status="superseded", decided_at=now, reviewer=actor)
        .execution_options(synchronize_session=False)
    )
    details: dict[str, Any] = {
        "confidence": suggestion.confidence,
        "band": band(suggestion.confidence),
        "provenance": suggestion.provenance,
    }
    if edited_value is not None and value != suggestion.new_value:
        details["suggested_value"] = suggestion.new_value
        details["edited"] = True
    event = _audit(
        session,
        at=now,
        actor=actor,
        action=action,
        entity="alumnus",
        entity_id=alumnus.id,
        field=suggestion.field,
        old_value=old,
        new_value=current_value(alumnus, suggestion.field),
        suggestion_id=suggestion_id,
        details=details,
    )
    session.expire(suggestion)
    return event


def _accept_review_only(
    session: Session, suggestion: Suggestion, actor: str, *, action: str
) -> AuditEvent:
    """Record that a person confirmed a review-only suggestion; no field changes.

    A confirmed "possible duplicate" stays two records: merging them is a
    decision for the alumni office's own tools, never a side effect here.
    """
    now = utcnow()
    sid = int(suggestion.id or 0)
    _transition(session, sid, OPEN_STATUSES, status="accepted", reviewer=actor, decided_at=now)
    event = _audit(
        session,
        at=now,
        actor=actor,
        action=action,
        entity="alumnus",
        entity_id=suggestion.alumnus_id,
        field=suggestion.field,
        old_value="",
        new_value=suggestion.new_value,
        suggestion_id=sid,
        details={
            "confidence": suggestion.confidence,
            "band": band(suggestion.confidence),
            "provenance": suggestion.provenance,
            "record_unchanged": True,
        },
    )
    session.expire(suggestion)
    return event


def reject_suggestion(
    session: Session, suggestion_id: int, actor: str, *, reason: str = ""
) -> AuditEvent:
    """Refuse a suggestion; the alumnus is unchanged, the decision is audited."""
    suggestion = get_suggestion(session, suggestion_id)
    now = utcnow()
    _transition(
        session, suggestion_id, OPEN_STATUSES, status="rejected", reviewer=actor, decided_at=now
    )
    event = _audit(
        session,
        at=now,
        actor=actor,
        action="reject",
        entity="alumnus",
        entity_id=suggestion.alumnus_id,
        field=suggestion.field,
        old_value=suggestion.old_value,
        new_value=suggestion.new_value,
        suggestion_id=suggestion_id,
        details={"reason": reason[:500]} if reason else {},
    )
    session.expire(suggestion)
    return event


def snooze_suggestion(session: Session, suggestion_id: int, actor: str, days: int = 7) -> None:
    """Hide a suggestion from the inbox for ``days`` days (1 to 365)."""
    if not 1 <= days <= 365:
        raise ReviewError(_("snooze between 1 and 365 days"))
    suggestion = get_suggestion(session, suggestion_id)
    _transition(
        session,
        suggestion_id,
        OPEN_STATUSES,
        status="snoozed",
        reviewer=actor,
        snoozed_until=utcnow() + timedelta(days=days),
    )
    session.expire(suggestion)


def undo_event(session: Session, audit_event_id: int, actor: str) -> AuditEvent:
    """Restore the value an accept replaced, with a new audit event saying so."""
    event = session.get(AuditEvent, audit_event_id)
    if event is None:
        raise NotFoundError(_("no audit event %(id)s") % {"id": audit_event_id})
    if event.action not in UNDOABLE_ACTIONS or event.field not in SUGGESTIBLE_FIELDS:
        raise ReviewError(
            _("a %(action)s event cannot be undone")
            % {"action": label("audit_action", event.action)}
        )
    alumnus = _locked_alumnus(session, event.entity_id)
    if current_value(alumnus, event.field) != (event.new_value or ""):
        raise ReviewError(
            _("%(field)s changed since this event; undo the later change first")
            % {"field": label("suggestion_field", event.field)}
        )
    now = utcnow()
    if event.suggestion_id is not None:
        _transition(
            session,
            event.suggestion_id,
            ("accepted",),
            status="reverted",
            reviewer=actor,
            decided_at=now,
        )
    _restore(alumnus, event.field, event.old_value)
    alumnus.updated_at = now
    session.add(alumnus)
    return _audit(
        session,
        at=now,
        actor=actor,
        action="undo",
        entity="alumnus",
        entity_id=alumnus.id,
        field=event.field,
        old_value=event.new_value,
        new_value=current_value(alumnus, event.field),
        suggestion_id=event.suggestion_id,
        details={"undoes": event.id},
    )


def bulk_accept(
    session: Session, band_name: str, actor: str, *, now: datetime | None = None
) -> list[AuditEvent]:
    """Accept every open suggestion of a band (the UI asks for confirmation first).

    Suggestions that fail validation or were superseded meanwhile are left
    for a person; the others are accepted in this one transaction.
    """
    events: list[AuditEvent] = []
    for group in inbox(session, band_name=band_name, now=now, limit=10_000):
        for suggestion in group.suggestions:
            assert suggestion.id is not None
            if suggestion.status not in OPEN_STATUSES:
                continue  # superseded by an earlier accept in this loop
            try:
                with session.begin_nested():
                    events.append(accept_suggestion(session, suggestion.id, actor))
            except ReviewError:
                continue
    return events
