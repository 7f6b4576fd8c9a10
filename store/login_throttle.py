"""Failed sign-ins, counted in the database so every web worker sees the same count.

Two limits, both over a sliding window: a few failures for one user name
from one address, and more for one user name from anywhere (a guesser
spread over many addresses). The name is the *normalised* one
(:func:`store.users.username_key`), so ``"u_x "``, ``"U_X"`` or a
full-width spelling count as the same name. Names and addresses are kept as
SHA-256 hashes only.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from store.models import LoginFailure
from store.types import utcnow
from store.users import username_key


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _keys(username: str, ip: str) -> tuple[str, str]:
    return _hash("name:" + username_key(username)), _hash("ip:" + ip)


def retry_after(
    session: Session,
    username: str,
    ip: str,
    *,
    max_failures: int,
    max_failures_per_name: int,
    window: timedelta,
    now: datetime | None = None,
) -> int:
    """Seconds before ``username`` may try again from ``ip``; 0 when allowed."""
    now = now or utcnow()
    name_hash, ip_hash = _keys(username, ip)
    since = now - window
    recent = session.exec(
        select(LoginFailure.at, LoginFailure.ip_hash)
        .where(LoginFailure.name_hash == name_hash, col(LoginFailure.at) > since)
        .order_by(col(LoginFailure.at))
    ).all()
    from_ip = [at for at, h in recent if h == ip_hash]
    waits = []
    if len(from_ip) >= max_failures:
        waits.append(from_ip[-max_failures] + window - now)
    if len(recent) >= max_failures_per_name:
        waits.append(recent[-max_failures_per_name][0] + window - now)
    if not waits:
        return 0
    return max(1, int(max(waits).total_seconds()))


def record_failure(
    session: Session, username: str, ip: str, *, window: timedelta, now: datetime | None = None
) -> None:
    """Count one failure (and forget failures older than the window, for everyone)."""
    now = now or utcnow()
    name_hash, ip_hash = _keys(username, ip)
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) <= now - window))
    session.add(LoginFailure(name_hash=name_hash, ip_hash=ip_hash, at=now))
    session.flush()


def record_success(session: Session, username: str, ip: str) -> None:
    """A right password from this address clears that address's failures for the name."""
    name_hash, ip_hash = _keys(username, ip)
    session.execute(
        delete(LoginFailure).where(
            col(LoginFailure.name_hash) == name_hash, col(LoginFailure.ip_hash) == ip_hash
        )
    )
