"""Server-side web sessions: a copied cookie dies with the session it came from.

The browser holds only a random id (256 bits); the table holds its SHA-256,
so reading the table gives no usable cookie. A session ends when its row is
deleted (logout, password change or reset, deactivation), when its absolute
lifetime is over (``expires_at``, fixed at sign-in, never moved by a
request), or when it has been idle too long (``last_seen_at``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from store.models import User, WebSession
from store.types import utcnow

#: How often ``last_seen_at`` is written (not on every request: it is only an idle clock).
TOUCH_EVERY = timedelta(seconds=60)


def hash_session_id(raw_id: str) -> str:
    """What the table stores for a cookie id (SHA-256 hex; the id has 256 random bits)."""
    return hashlib.sha256(raw_id.encode()).hexdigest()


@dataclass(frozen=True)
class LiveSession:
    """A session found valid for this request."""

    id_hash: str
    user_id: int
    username: str
    role: str
    csrf: str
    data: dict[str, Any]
    expires_at: datetime


def create_session(
    session: Session,
    user_id: int,
    *,
    lifetime: timedelta,
    csrf: str | None = None,
    now: datetime | None = None,
) -> tuple[str, WebSession]:
    """Open a session for ``user_id``; returns the raw cookie id (never stored) and the row."""
    now = now or utcnow()
    raw_id = secrets.token_urlsafe(32)
    row = WebSession(
        id_hash=hash_session_id(raw_id),
        user_id=user_id,
        csrf=csrf or secrets.token_urlsafe(32),
        data={},
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return raw_id, row


def load_session(
    session: Session, raw_id: str, *, idle: timedelta, now: datetime | None = None
) -> LiveSession | None:
    """The live session behind a cookie id, or None (and the row is deleted if it ran out).

    None as well when the account was deactivated meanwhile.
    """
    now = now or utcnow()
    found = session.exec(
        select(WebSession, User)
        .join(User, col(User.id) == col(WebSession.user_id))
        .where(WebSession.id_hash == hash_session_id(raw_id))
    ).first()
    if found is None:
        return None
    row, user = found
    if now >= row.expires_at or now - row.last_seen_at > idle or not user.active:
        session.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        session.execute(
            update(WebSession)
            .where(col(WebSession.id_hash) == row.id_hash)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    return LiveSession(
        id_hash=row.id_hash,
        user_id=row.user_id,
        username=user.username,
        role=user.role,
        csrf=row.csrf,
        data=dict(row.data or {}),
        expires_at=row.expires_at,
    )


def save_session_data(session: Session, id_hash: str, csrf: str, data: dict[str, Any]) -> None:
    """Store the flash messages and CSRF token; the lifetime is left alone on purpose."""
    session.execute(
        update(WebSession)
        .where(col(WebSession.id_hash) == id_hash)
        .values(csrf=csrf, data=data)
        .execution_options(synchronize_session=False)
    )


def revoke_session(session: Session, id_hash: str) -> None:
    session.execute(delete(WebSession).where(col(WebSession.id_hash) == id_hash))


def revoke_user_sessions(session: Session, user_id: int) -> int:
    """End every session of a user (password change, reset, deactivation); returns how many."""
    ids = session.exec(select(WebSession.id_hash).where(WebSession.user_id == user_id)).all()
    if ids:
        session.execute(delete(WebSession).where(col(WebSession.user_id) == user_id))
    return len(ids)


def purge_expired(session: Session, *, idle: timedelta, now: datetime | None = None) -> int:
    """Delete sessions past their lifetime or idle timeout (run at each sign-in)."""
    now = now or utcnow()
    cond = or_(col(WebSession.expires_at) <= now, col(WebSession.last_seen_at) < now - idle)
    n = int(session.exec(select(func.count()).select_from(WebSession).where(cond)).one())
    if n:
        session.execute(delete(WebSession).where(cond))
    return n


def count_sessions(session: Session, *, now: datetime | None = None) -> dict[int, int]:
    """Unexpired sessions per user id (for ``veille users list`` and the security page)."""
    now = now or utcnow()
    rows = session.exec(
        select(WebSession.user_id, func.count())
        .where(col(WebSession.expires_at) > now)
        .group_by(col(WebSession.user_id))
    ).all()
    return {int(uid): int(n) for uid, n in rows}
