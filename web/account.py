"""Self-service and security pages: password, API tokens, webhook secret, open sessions.

* ``/account`` (every signed-in user): change one's password (which ends
  every other session of the account), create API tokens with a scope
  (``read``, ``review``, ``admin`` for admins), see and revoke them. A new
  token is shown once, in the answer to the form, and stored only hashed.
* ``/admin/security`` (admins): the webhook secret (derived for webhooks
  alone, see :mod:`web.keys`) and its rotation, every API token, and the
  open sessions per account with a "sign out everywhere" button.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from store import users
from store.db import session_scope
from store.users import MIN_PASSWORD_LENGTH, ROLE_SCOPES, Account, UserError
from store.web_sessions import count_sessions, revoke_user_sessions
from veille.i18n import gettext as _
from web.keys import current_webhook_secret, rotate_webhook_secret
from web.security import any_user, csrf_protect, require
from web.sessions import sign_in
from web.ui import flash, page, redirect

log = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

SignedIn = Annotated[Account, Depends(any_user)]
Admin = Annotated[Account, Depends(require(frozenset({"admin"})))]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _db(request: Request) -> str:
    url: str = request.app.state.db_url
    return url


def _account_page(
    request: Request,
    account: Account,
    *,
    new_token: str = "",
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    with session_scope(_db(request)) as session:
        tokens = users.list_tokens(session, account.id)
    context: dict[str, Any] = {
        "tokens": tokens,
        "scopes": ROLE_SCOPES.get(account.role, ("read",)),
        "new_token": new_token,
        "error": error,
        "min_password": MIN_PASSWORD_LENGTH,
    }
    return page(request, "account.html", account, context, status_code=status_code)


@router.get("/account")
def account_page(request: Request, account: SignedIn) -> HTMLResponse:
    return _account_page(request, account)


@router.post("/account/password")
def change_password(
    request: Request,
    account: SignedIn,
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
    confirm: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Change one's password; every session of the account ends, this one starts afresh."""
    throttle = request.app.state.throttle
    ip = request.client.host if request.client else "?"
    if throttle.retry_after(account.username, ip):
        return _account_page(
            request, account, error=_("Too many attempts: try again later."), status_code=429
        )
    with session_scope(_db(request)) as session:
        right = users.check_password(session, account.id, current)
    if not right:
        throttle.failure(account.username, ip)
        return _account_page(
            request, account, error=_("The current password is wrong."), status_code=400
        )
    if new != confirm:
        return _account_page(
            request, account, error=_("The two new passwords differ."), status_code=400
        )
    if len(new) < MIN_PASSWORD_LENGTH or "\x00" in new:
        return _account_page(
            request,
            account,
            error=_("Password too short: at least %(n)s characters.") % {"n": MIN_PASSWORD_LENGTH},
            status_code=400,
        )
    with session_scope(_db(request)) as session:
        ended = users.set_password(session, account.username, new)
    throttle.success(account.username, ip)
    sign_in(request, account)
    log.info("password changed by %s; %d session(s) ended", account.username, ended)
    flash(request, _("Password changed: all your other sessions are closed."), "ok")
    return redirect("/account")


@router.post("/account/tokens")
def create_token(
    request: Request,
    account: SignedIn,
    scope: Annotated[str, Form(max_length=16)],
    label: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Create a token and show it once (the answer is not cached; only its hash is kept)."""
    if scope not in ROLE_SCOPES.get(account.role, ()):
        return _account_page(
            request, account, error=_("This scope is not allowed for your role."), status_code=400
        )
    try:
        with session_scope(_db(request)) as session:
            token = users.create_api_token(session, account.username, label, scope)
    except UserError:
        return _account_page(
            request,
            account,
            error=_("Label refused: 100 characters at most, no control character."),
            status_code=400,
        )
    log.info("API token (%s) created by %s", scope, account.username)
    return _account_page(request, account, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_own_token(request: Request, token_id: RowId, account: SignedIn) -> Response:
    with session_scope(_db(request)) as session:
        done = users.revoke_token(session, token_id, user_id=account.id)
    if done:
        flash(request, _("Token revoked."), "ok")
    else:
        flash(request, _("Token not found."), "error")
    return redirect("/account")


# ---------------------------------------------------------------------------
# Administrators
# ---------------------------------------------------------------------------


@router.get("/admin/security")
def security_page(request: Request, account: Admin) -> HTMLResponse:
    generation, secret = current_webhook_secret(_db(request), request.app.state.keys)
    with session_scope(_db(request)) as session:
        tokens = users.list_tokens(session)
        accounts = users.all_users(session)
        sessions = count_sessions(session)
    return page(
        request,
        "security.html",
        account,
        {
            "generation": generation,
            "webhook_secret": secret,
            "webhook_urls": len(request.app.state.webhooks.urls),
            "tokens": tokens,
            "accounts": accounts,
            "sessions": sessions,
        },
    )


@router.post("/admin/security/webhook-secret/rotate")
def rotate_webhook(
    request: Request, account: Admin, confirm: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    if confirm != "yes":
        flash(request, _("Rotation not confirmed: the secret has not changed."), "error")
        return redirect("/admin/security")
    generation, _secret = rotate_webhook_secret(
        _db(request), request.app.state.keys, actor=account.username
    )
    log.warning(
        "webhook secret rotated to generation %d by %s", generation.generation, account.username
    )
    flash(
        request,
        _(
            "New webhook secret (generation %(n)s): give it to the systems that check "
            "the signatures."
        )
        % {"n": generation.generation},
        "ok",
    )
    return redirect("/admin/security")


@router.post("/admin/security/tokens/{token_id}/revoke")
def revoke_any_token(request: Request, token_id: RowId, account: Admin) -> Response:
    with session_scope(_db(request)) as session:
        done = users.revoke_token(session, token_id)
    if done:
        flash(request, _("Token revoked."), "ok")
    else:
        flash(request, _("Token not found."), "error")
    return redirect("/admin/security")


@router.post("/admin/security/users/{user_id}/sign-out")
def sign_out_everywhere(request: Request, user_id: RowId, account: Admin) -> Response:
    """End every session of an account (a lost laptop, a departure)."""
    with session_scope(_db(request)) as session:
        ended = revoke_user_sessions(session, user_id)
    log.warning("%s ended %d session(s) of user #%d", account.username, ended, user_id)
    if user_id == account.id:
        return redirect("/login")
    flash(request, _("%(n)s session(s) closed.") % {"n": ended}, "ok")
    return redirect("/admin/security")
