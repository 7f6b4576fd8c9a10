"""Server-side sessions: the cookie is a random id, the session lives in the database.

A copied cookie is worth nothing once the session ends: logout, a password
change or reset, a deactivation and the end of its lifetime all delete the
``web_session`` row (:mod:`store.web_sessions`). The lifetime is absolute,
fixed at sign-in: flash messages and every other write only update the row's
data, never its expiry, and the cookie is set once, at sign-in. A session
idle for longer than the idle timeout ends too.

Pages keep using ``request.session`` (a dict) as before: this middleware
fills it from the row (``uid``, ``csrf``, ``flash``) and writes changes
back after the page is built. Signing in and out go through
:func:`sign_in` and :func:`sign_out` (clearing ``uid`` also signs out).

Visitors who are not signed in (the login form, self-confirmation pages)
get no row: their CSRF token is an HMAC, with the ``csrf`` key, of a random
seed held in a second cookie; nothing else of theirs is kept.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store.db import session_scope
from store.users import Account
from store.web_sessions import (
    LiveSession,
    create_session,
    load_session,
    purge_expired,
    revoke_session,
    save_session_data,
)
from web.keys import KeyRing, sign, verify

SESSION_COOKIE = "veille_session"
CSRF_COOKIE = "veille_csrf"
#: Where the request's session state sits in the ASGI scope.
STATE_KEY = "veille.session"
#: Paths that never need a session (no database read for them).
_NO_SESSION_PREFIXES = ("/static/", "/healthz")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
#: What of ``request.session`` is kept for a signed-in user.
_KEPT = ("flash",)


@dataclass
class SessionState:
    """The session as found at the start of a request, and what the request asked for."""

    live: LiveSession | None
    account: Account | None
    seed: str
    new_seed: bool
    stale_cookie: bool
    action: str | None = None


def sign_in(request: Request, account: Account) -> None:
    """Start a fresh session for ``account`` (a new id: no session fixation)."""
    state: SessionState = request.scope[STATE_KEY]
    state.action = "sign_in"
    request.session.clear()
    request.session["uid"] = account.id
    request.session["csrf"] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    """End the current session: its row is deleted, its cookie cleared."""
    state: SessionState = request.scope[STATE_KEY]
    state.action = "sign_out"
    request.session.clear()


def current_account(request: Request) -> Account | None:
    """The account of the request's live session (None if none, or signed out meanwhile)."""
    state: SessionState | None = request.scope.get(STATE_KEY)
    if state is None or state.account is None or state.action == "sign_out":
        return None
    if request.session.get("uid") != state.account.id:
        return None
    return state.account


class ServerSessionMiddleware:
    """Pure ASGI middleware: load the session before the route, save it before the response."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        db_url: str,
        keys: KeyRing,
        lifetime: timedelta,
        idle: timedelta,
        secure: bool,
    ) -> None:
        self.app = app
        self.db_url = db_url
        self.keys = keys
        self.lifetime = lifetime
        self.idle = idle
        self.secure = secure

    # -- cookies -----------------------------------------------------------

    def _cookie(self, name: str, value: str, max_age: int | None) -> str:
        parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if max_age is not None:
            parts.insert(2, f"Max-Age={max_age}")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)

    def _raw_id(self, cookie: str | None) -> str | None:
        """The session id of a cookie whose signature (``session`` key) holds."""
        if not cookie or len(cookie) > 200:
            return None
        raw, _, signature = cookie.rpartition(".")
        if not _TOKEN.match(raw) or not verify(self.keys.session, raw, signature):
            return None
        return raw

    # -- database ----------------------------------------------------------

    def _load(self, raw_id: str) -> LiveSession | None:
        with session_scope(self.db_url) as db:
            return load_session(db, raw_id, idle=self.idle)

    def _commit(
        self, state: SessionState, data: dict[str, Any], before: dict[str, Any]
    ) -> list[str]:
        """Persist what the request did to its session; returns Set-Cookie values."""
        cookies: list[str] = []
        live = state.live
        uid = data.get("uid")
        signing_in = state.action == "sign_in" or (
            isinstance(uid, int) and (live is None or uid != live.user_id)
        )
        signing_out = state.action == "sign_out" or (live is not None and uid is None)
        if signing_in and isinstance(uid, int):
            with session_scope(self.db_url) as db:
                if live is not None:
                    revoke_session(db, live.id_hash)
                purge_expired(db, idle=self.idle)
                raw, row = create_session(
                    db, uid, lifetime=self.lifetime, csrf=str(data.get("csrf") or "") or None
                )
                kept = {k: data[k] for k in _KEPT if k in data}
                if kept:
                    save_session_data(db, row.id_hash, row.csrf, kept)
            value = f"{raw}.{sign(self.keys.session, raw)}"
            cookies.append(self._cookie(SESSION_COOKIE, value, int(self.lifetime.total_seconds())))
        elif signing_out or (state.stale_cookie and live is None):
            if live is not None:
                with session_scope(self.db_url) as db:
                    revoke_session(db, live.id_hash)
            cookies.append(self._cookie(SESSION_COOKIE, "", 0))
        elif live is not None:
            csrf = str(data.get("csrf") or live.csrf)
            kept = {k: data[k] for k in _KEPT if data.get(k)}
            if csrf != before.get("csrf") or kept != {k: before[k] for k in _KEPT if before.get(k)}:
                with session_scope(self.db_url) as db:
                    save_session_data(db, live.id_hash, csrf, kept)
        if state.new_seed and live is None:
            cookies.append(self._cookie(CSRF_COOKIE, state.seed, None))
        return cookies

    # -- ASGI --------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_NO_SESSION_PREFIXES):
            if scope["type"] == "http":
                scope["session"] = {}
            await self.app(scope, receive, send)
            return
        cookies = HTTPConnection(scope).cookies
        cookie = cookies.get(SESSION_COOKIE)
        raw_id = self._raw_id(cookie)
        live = await run_in_threadpool(self._load, raw_id) if raw_id else None
        seed = cookies.get(CSRF_COOKIE, "")
        new_seed = not _TOKEN.match(seed)
        if new_seed:
            seed = secrets.token_urlsafe(32)
        data: dict[str, Any]
        if live is not None:
            data = {"uid": live.user_id, "csrf": live.csrf}
            data.update({k: live.data[k] for k in _KEPT if k in live.data})
            account = Account(id=live.user_id, username=live.username, role=live.role)
        else:
            data = {"csrf": sign(self.keys.csrf, seed)}
            account = None
        state = SessionState(
            live=live,
            account=account,
            seed=seed,
            new_seed=new_seed,
            stale_cookie=bool(cookie) and live is None,
        )
        scope["session"] = data
        scope[STATE_KEY] = state
        before = dict(data)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for value in await run_in_threadpool(self._commit, state, data, before):
                    headers.append("set-cookie", value)
            await send(message)

        await self.app(scope, receive, send_wrapper)
