"""Who is asking and what they may do: sessions, roles, CSRF, login throttling.

* Sessions are Starlette's itsdangerous-signed cookie (HttpOnly,
  SameSite=Lax, Secure when ``web.secure_cookies``). The cookie holds only
  the user id and the CSRF token; the account is re-read on every request,
  so deactivating a user ends their sessions at once.
* CSRF: one random token per session, sent back in a hidden ``csrf_token``
  field or the ``X-CSRF-Token`` header; every POST through the UI routers is
  refused with 403 without it. The REST API takes bearer tokens only (never
  cookies), so it cannot be driven cross-site and needs no CSRF token.
* Roles: each route names the roles it admits (:data:`ALUMNI_ROLES`...).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from fastapi import HTTPException, Request

from store.users import Account, get_account

#: Who sees personal data of alumni (records, suggestions, history).
ALUMNI_ROLES = frozenset({"admin", "alumni_officer"})
#: Who handles alerts.
ALERT_ROLES = frozenset({"admin", "community_manager"})
#: Who reads collected mentions.
MENTION_ROLES = frozenset({"admin", "community_manager", "communications"})
#: Who runs brand reports.
REPORT_ROLES = frozenset({"admin", "communications"})

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequiredError(Exception):
    """Raised by UI dependencies when nobody is signed in (turned into a redirect)."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = token
    return token


async def csrf_protect(request: Request) -> None:
    """Router-wide dependency: refuse any state-changing request without the token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(CSRF_SESSION_KEY)
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise HTTPException(
            status_code=403, detail="CSRF token missing or invalid; reload the page"
        )


def session_account(request: Request) -> Account | None:
    """The signed-in account, or None (also None once the account is deactivated)."""
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        return None
    from store.db import session_scope

    with session_scope(request.app.state.db_url) as session:
        account = get_account(session, user_id)
    if account is None:
        request.session.pop("uid", None)
    return account


def require(roles: frozenset[str]) -> object:
    """A dependency admitting only signed-in users with one of ``roles``."""

    def dependency(request: Request) -> Account:
        account = session_account(request)
        if account is None:
            raise LoginRequiredError
        if account.role not in roles:
            raise HTTPException(
                status_code=403, detail="your role does not give access to this page"
            )
        return account

    return dependency


def any_user(request: Request) -> Account:
    account = session_account(request)
    if account is None:
        raise LoginRequiredError
    return account


@dataclass
class LoginThrottle:
    """Refuse logins for a (username, IP) pair after repeated failures.

    Kept in memory, per process: it needs no table and no schema change, it
    resets on restart, and with several worker processes each one counts on
    its own (the effective limit is ``max_failures`` x workers). That is
    enough to make online guessing of a password impractical (argon2 also
    costs the attacker ~50 ms per guess); put a reverse proxy limit in front
    for distributed attacks.
    """

    max_failures: int = 5
    window_s: float = 900.0
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, username: str, ip: str) -> int:
        """Seconds to wait before another attempt, 0 if allowed."""
        now = time.monotonic()
        with self._lock:
            q = self._recent((username.casefold(), ip), now)
            if len(q) < self.max_failures:
                return 0
            return max(1, int(q[0] + self.window_s - now))

    def failure(self, username: str, ip: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent((username.casefold(), ip), now).append(now)
            if len(self._failures) > 100_000:  # bound memory under a spray attack
                self._failures.clear()

    def success(self, username: str, ip: str) -> None:
        with self._lock:
            self._failures.pop((username.casefold(), ip), None)
