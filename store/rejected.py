"""Quarantine: items a crawl could not use, kept aside with why.

One bad item (a ``null`` post, a row the database refuses, an error body in
place of results) must never cost the rest of its batch: the runner stores
the others and records the bad one here, with a reason code, a one-line
detail and a short excerpt (already capped and cleaned by the runner). The
same item seen on every run is one row whose ``occurrences`` grows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from store.db import insert_ignore
from store.models import RejectedItem, Source
from store.types import utcnow

#: Reason codes (the UI and the CLI show a label for each, never the code).
REASONS = ("null_item", "not_an_object", "unreadable", "refused_by_database", "error_body")


@dataclass(frozen=True)
class Rejection:
    """One quarantined item, before it is stored."""

    target: str
    reason: str
    detail: str
    excerpt: str

    @property
    def fingerprint(self) -> str:
        blob = "\x1f".join((self.target, self.reason, self.excerpt))
        return hashlib.sha256(blob.encode("utf-8", "replace")).hexdigest()


def quarantine(session: Session, source_id: int, items: Sequence[Rejection]) -> int:
    """Record rejected items; returns how many are new (others count one more occurrence)."""
    if not items:
        return 0
    now = utcnow()
    by_print = {r.fingerprint: r for r in items}
    known = set(
        session.exec(
            select(RejectedItem.fingerprint).where(
                RejectedItem.source_id == source_id,
                col(RejectedItem.fingerprint).in_(list(by_print)),
            )
        ).all()
    )
    if known:
        session.execute(
            update(RejectedItem)
            .where(
                col(RejectedItem.source_id) == source_id,
                col(RejectedItem.fingerprint).in_(list(known)),
            )
            .values(last_seen_at=now, occurrences=col(RejectedItem.occurrences) + 1)
        )
    rows = [
        {
            "source_id": source_id,
            "target": r.target,
            "reason": r.reason,
            "detail": r.detail,
            "excerpt": r.excerpt,
            "fingerprint": fp,
            "first_seen_at": now,
            "last_seen_at": now,
            "occurrences": 1,
        }
        for fp, r in by_print.items()
        if fp not in known
    ]
    return insert_ignore(session, RejectedItem, rows, ["source_id", "fingerprint"])


@dataclass(frozen=True)
class RejectedView:
    """A quarantined item with the name of its source, for screens."""

    source: str
    target: str
    reason: str
    detail: str
    excerpt: str
    first_seen_at: datetime
    last_seen_at: datetime
    occurrences: int


def recent(session: Session, limit: int = 50, source: str | None = None) -> list[RejectedView]:
    """The most recently seen quarantined items, newest first."""
    stmt = (
        select(RejectedItem, Source.name)
        .join(Source, col(Source.id) == col(RejectedItem.source_id))
        .order_by(col(RejectedItem.last_seen_at).desc(), col(RejectedItem.id).desc())
        .limit(limit)
    )
    if source:
        stmt = stmt.where(Source.name == source)
    return [
        RejectedView(
            name,
            r.target,
            r.reason,
            r.detail,
            r.excerpt,
            r.first_seen_at,
            r.last_seen_at,
            r.occurrences,
        )
        for r, name in session.exec(stmt).all()
    ]


def purge_before(session: Session, cutoff: datetime) -> int:
    """Retention: drop quarantined items not seen since ``cutoff``."""
    ids = session.exec(select(RejectedItem.id).where(RejectedItem.last_seen_at < cutoff)).all()
    if ids:
        session.execute(delete(RejectedItem).where(col(RejectedItem.id).in_(list(ids))))
    return len(ids)
