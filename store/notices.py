"""Queries behind Article 14 notices: who has new third-party data, who was told.

Data obtained from a third party (a public profile, an appointment feed, a
post) must be notified to the person within a month (RGPD Art. 14(3)(a)).
"New" means a suggestion or a linked profile snapshot created after the
alumnus's last notice (``Alumnus.notice_sent_at``), or ever when none was sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from store.models import REVIEW_ONLY_FIELDS, Alumnus, AuditEvent, ProfileSnapshot, Suggestion


@dataclass
class CollectedItem:
    """One third-party datum to mention in a notice (field names, never values)."""

    what: str
    source: str
    url: str
    collected_at: datetime
    suggestion_id: int | None = None
    suggestion_status: str = ""


@dataclass
class NoticeDue:
    alumnus_id: str
    first_name: str
    last_name: str
    emails: list[str]
    items: list[CollectedItem] = field(default_factory=list)

    @property
    def first_collected_at(self) -> datetime:
        return min(i.collected_at for i in self.items)

    def link_suggestion_id(self) -> int | None:
        """The newest pending suggestion: its self-confirmation page lets them answer."""
        pending = [i for i in self.items if i.suggestion_id and i.suggestion_status == "pending"]
        anyone = pending or [i for i in self.items if i.suggestion_id]
        return max((i.suggestion_id for i in anyone if i.suggestion_id), default=None)


def _source_of(provenance: dict[str, Any]) -> tuple[str, str]:
    return str(provenance.get("source") or provenance.get("method") or "?"), str(
        provenance.get("url") or ""
    )


def notices_due(session: Session) -> list[NoticeDue]:
    """Alumni (not opted out) with third-party data newer than their last notice."""
    due: dict[str, NoticeDue] = {}

    def entry(a: Alumnus) -> NoticeDue:
        if a.id not in due:
            due[a.id] = NoticeDue(a.id, a.first_name, a.last_name, list(a.emails))
        return due[a.id]

    suggestions = session.exec(
        select(Suggestion, Alumnus)
        .join(Alumnus, col(Alumnus.id) == col(Suggestion.alumnus_id))
        .where(col(Alumnus.opt_out).is_(False))
        # "possible duplicate record" is about the register, not third-party data
        .where(col(Suggestion.field).not_in(REVIEW_ONLY_FIELDS))
        .where(
            or_(
                col(Alumnus.notice_sent_at).is_(None),
                col(Suggestion.created_at) > col(Alumnus.notice_sent_at),
            )
        )
        .order_by(col(Suggestion.id))
    ).all()
    for s, a in suggestions:
        source, url = _source_of(s.provenance)
        entry(a).items.append(CollectedItem(s.field, source, url, s.created_at, s.id, s.status))
    snapshots = session.exec(
        select(ProfileSnapshot, Alumnus)
        .join(Alumnus, col(Alumnus.id) == col(ProfileSnapshot.alumnus_id))
        .where(col(Alumnus.opt_out).is_(False))
        .where(
            or_(
                col(Alumnus.notice_sent_at).is_(None),
                col(ProfileSnapshot.fetched_at) > col(Alumnus.notice_sent_at),
            )
        )
        .order_by(col(ProfileSnapshot.id))
    ).all()
    for snap, a in snapshots:
        entry(a).items.append(
            CollectedItem(
                "profil public / public profile", snap.source_kind, snap.url, snap.fetched_at
            )
        )
    return sorted(due.values(), key=lambda d: d.alumnus_id)


def mark_notice_sent(
    session: Session, alumnus_id: str, at: datetime, *, actor: str, details: dict[str, Any]
) -> None:
    """Record that the Art. 14 notice went out (on the alumnus and in the audit trail)."""
    alumnus = session.get(Alumnus, alumnus_id)
    if alumnus is None:
        return
    old = alumnus.notice_sent_at
    alumnus.notice_sent_at = at
    session.add(alumnus)
    session.add(
        AuditEvent(
            at=at,
            actor=actor,
            action="notice",
            entity="alumnus",
            entity_id=alumnus_id,
            field="notice_sent_at",
            old_value=old.isoformat() if old else None,
            new_value=at.isoformat(),
            details=details,
        )
    )
    session.flush()
