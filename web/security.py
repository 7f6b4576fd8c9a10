"""Who is asking and what they may do: sessions, roles, CSRF, login throttling.

* Sessions are server-side (:mod:`web.sessions`): the cookie (HttpOnly,
  SameSite=Lax, Secure when ``web.secure_cookies``) holds a random id signed
  with the ``session`` key, the ``web_session`` row holds the rest. Logout,
  a password change or reset and a deactivation delete the row, so a copied
  cookie stops working at once; the lifetime is absolute and nothing
  extends it.
* CSRF: one random token per session (per visitor before sign-in), sent
  back in a hidden ``csrf_token`` field or the ``X-CSRF-Token`` header;
  every POST through the UI routers is refused with 403 without it. The REST
  API takes bearer tokens only (never cookies), so it cannot be driven
  cross-site and needs no CSRF token.
* Roles: each route names the roles it admits (:data:`ALUMNI_ROLES`...);
  API tokens are further narrowed by their scope (``read``, ``review``,
  ``admin``).
* Login throttling is kept in the database (:mod:`store.login_throttle`),
  keyed on the normalised user name, so it holds across web workers and
  under any spelling of the name.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import HTTPException, Request

from store import login_throttle
from store.alert_inbox import ALERT_HANDLER_ROLES
from store.db import session_scope
from store.users import Account
from veille.i18n import gettext as _
from web.sessions import current_account

#: Who sees personal data of alumni (records, suggestions, history).
ALUMNI_ROLES = frozenset({"admin", "alumni_officer"})
#: Who handles alerts (and so who an alert can be assigned to).
ALERT_ROLES = ALERT_HANDLER_ROLES
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
            status_code=403,
            detail=_("Security token (CSRF) missing or expired: reload the page and try again."),
        )


def session_account(request: Request) -> Account | None:
    """The signed-in account, or None (also None once the account is deactivated)."""
    return current_account(request)


def require(roles: frozenset[str]) -> object:
    """A dependency admitting only signed-in users with one of ``roles``."""

    def dependency(request: Request) -> Account:
        account = session_account(request)
        if account is None:
            raise LoginRequiredError
        if account.role not in roles:
            raise HTTPException(
                status_code=403, detail=_("Your role does not give access to this page.")
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
    """Refuse sign-ins for a user name after repeated failures, in every worker.

    Two limits over ``window_s``: ``max_failures`` for one name from one
    address, ``max_failures_per_name`` for one name from anywhere (a guesser
    spread over many addresses). The name is normalised the way accounts
    are (NFKC, blanks stripped, case-folded), so ``"u_x "`` or ``"U_X"``
    count against ``u_x``. Failures live in the database: every worker and
    every restart sees them. argon2 also costs each guess ~50 ms.
    """

    db_url: str
    max_failures: int = 5
    max_failures_per_name: int = 20
    window_s: float = 900.0

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_s)

    def retry_after(self, username: str, ip: str) -> int:
        """Seconds to wait before another attempt, 0 if allowed."""
        with session_scope(self.db_url) as session:
            return login_throttle.retry_after(
                session,
                username,
                ip,
                max_failures=self.max_failures,
                max_failures_per_name=self.max_failures_per_name,
                window=self.window,
            )

    def failure(self, username: str, ip: str) -> None:
        with session_scope(self.db_url) as session:
            login_throttle.record_failure(session, username, ip, window=self.window)

    def success(self, username: str, ip: str) -> None:
        with session_scope(self.db_url) as session:
            login_throttle.record_success(session, username, ip)
