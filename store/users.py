"""Accounts, roles and API tokens: who may use the web UI and the REST API.

Passwords are hashed with argon2id (argon2-cffi); API tokens are random
secrets shown once and stored only as a SHA-256 hash (they carry 256 bits
of entropy, so a slow hash adds nothing and would slow every API call).

User names are stored in one canonical form (:func:`canonical_username`:
NFKC, surrounding blanks removed) and looked up in that form; the login
throttle keys on :func:`username_key` (the canonical form case-folded), so
every spelling that reaches an account counts against the same key. A
password change, a reset and a deactivation end every web session of the
account (and deactivation revokes its API tokens).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, select

from store.models import ApiToken, User
from store.types import utcnow
from veille.errors import VeilleError
from veille.i18n import _

ROLES = ("admin", "alumni_officer", "community_manager", "communications")
#: API token scopes, weakest first; each allows what the previous ones do.
SCOPES = ("read", "review", "admin")
#: The scopes a token of each role may be given (``admin`` only for admins).
ROLE_SCOPES = {role: SCOPES if role == "admin" else SCOPES[:2] for role in ROLES}
#: Characters never accepted in a user name (NUL, C0 and C1 controls).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_USERNAME_LENGTH = 150
#: Minimum password length enforced when creating an account.
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "vl_"  # noqa: S105 (a prefix, not a secret)

_hasher = PasswordHasher()
#: A real hash of a random password, verified when the user does not exist so
#: that a login attempt takes the same time whether or not the name is known.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class UserError(VeilleError):
    """An account could not be created or changed; the message says why."""

    translated = True


@dataclass(frozen=True)
class Account:
    """What the web layer needs to know about a signed-in user (no hash)."""

    id: int
    username: str
    role: str


@dataclass(frozen=True)
class TokenGrant:
    """What an API token may do: its user's role, narrowed by its scope."""

    account: Account
    scope: str
    token_id: int

    def allows(self, needed: str) -> bool:
        return scope_allows(self.scope, needed)


@dataclass(frozen=True)
class UserInfo:
    """One account as listed for administrators."""

    id: int
    username: str
    role: str
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    """One API token as listed (never its value)."""

    id: int
    username: str
    label: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None


def scope_allows(scope: str, needed: str) -> bool:
    """True when ``scope`` covers ``needed`` (``admin`` ⊃ ``review`` ⊃ ``read``)."""
    if scope not in SCOPES or needed not in SCOPES:
        return False
    return SCOPES.index(scope) >= SCOPES.index(needed)


def canonical_username(username: str) -> str:
    """The stored and looked-up form of a user name: NFKC, blanks around removed."""
    return unicodedata.normalize("NFKC", username).strip()


def username_key(username: str) -> str:
    """The throttling key of a name: canonical and case-folded (``"U_X "`` -> ``"u_x"``)."""
    return canonical_username(username).casefold()


def _account(user: User) -> Account:
    assert user.id is not None
    return Account(id=user.id, username=user.username, role=user.role)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, username: str, password: str, role: str) -> Account:
    """Create an account; refuse unknown roles, short passwords and look-alike names."""
    username = canonical_username(username)
    if role not in ROLES:
        raise UserError(
            _("unknown role %(role)s; choose one of %(roles)s")
            % {"role": repr(role), "roles": ", ".join(ROLES)}
        )
    if not username or len(username) > MAX_USERNAME_LENGTH:
        raise UserError(
            _("a username must be 1 to %(max)s characters") % {"max": MAX_USERNAME_LENGTH}
        )
    if _CONTROL.search(username):
        raise UserError(_("a username cannot contain control characters"))
    _check_password(password)
    key = username_key(username)
    for existing in session.exec(select(User.username)).all():
        if username_key(existing) == key:
            raise UserError(_("user %(name)s exists; pick another name") % {"name": repr(existing)})
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return _account(user)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            _("the password must be at least %(min)s characters") % {"min": MIN_PASSWORD_LENGTH}
        )
    if "\x00" in password:
        raise UserError(_("the password cannot contain a NUL character"))


def _user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == canonical_username(username))).first()
    if user is None or user.id is None:
        raise UserError(_("no user %(name)s; see `veille users list`") % {"name": repr(username)})
    return user


def set_password(session: Session, username: str, password: str) -> int:
    """Change a password and end every web session of the account; returns how many."""
    from store.web_sessions import revoke_user_sessions

    _check_password(password)
    user = _user(session, username)
    user.password_hash = hash_password(password)
    session.add(user)
    assert user.id is not None
    return revoke_user_sessions(session, user.id)


def check_password(session: Session, user_id: int, password: str) -> bool:
    """True when ``password`` is the current password of the active account ``user_id``."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return False
    try:
        return bool(_hasher.verify(user.password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str) -> Account | None:
    """The account if the password is right and the account active, else None.

    Re-hashes transparently when argon2 parameters have been raised.
    """
    name = canonical_username(username)
    user = None
    if name and len(name) <= MAX_USERNAME_LENGTH and not _CONTROL.search(name):
        user = session.exec(select(User).where(User.username == name)).first()
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return _account(user)


def get_account(session: Session, user_id: int) -> Account | None:
    """The active account with this id (sessions re-check it on every request)."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return _account(user)


def list_users(session: Session) -> list[Account]:
    """Active accounts, by name."""
    users = session.exec(select(User).where(col(User.active)).order_by(col(User.username))).all()
    return [_account(u) for u in users]


def all_users(session: Session) -> list[UserInfo]:
    """Every account, active or not, by name."""
    users = session.exec(select(User).order_by(col(User.username))).all()
    return [
        UserInfo(
            id=u.id or 0, username=u.username, role=u.role, active=u.active, created_at=u.created_at
        )
        for u in users
    ]


def deactivate_user(session: Session, username: str) -> tuple[int, int]:
    """Lock an account out: its web sessions end and its API tokens are revoked.

    Returns (sessions ended, tokens revoked). The account and its history stay.
    """
    from store.web_sessions import revoke_user_sessions

    user = _user(session, username)
    user.active = False
    session.add(user)
    assert user.id is not None
    return revoke_user_sessions(session, user.id), revoke_tokens(session, user.username)


def end_sessions(session: Session, username: str) -> int:
    """Sign an account out everywhere (its password unchanged); returns how many sessions."""
    from store.web_sessions import revoke_user_sessions

    user = _user(session, username)
    assert user.id is not None
    return revoke_user_sessions(session, user.id)


def activate_user(session: Session, username: str) -> None:
    """Let a deactivated account sign in again (it gets no token back)."""
    user = _user(session, username)
    user.active = True
    session.add(user)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, username: str, label: str = "", scope: str = "read") -> str:
    """Create a token for ``username`` and return it; it is never shown again.

    ``scope`` must be one the user's role allows (``admin`` only for admins).
    """
    user = _user(session, username)
    if scope not in SCOPES:
        raise UserError(
            _("unknown scope %(scope)s; choose one of %(scopes)s")
            % {"scope": repr(scope), "scopes": ", ".join(SCOPES)}
        )
    if scope not in ROLE_SCOPES.get(user.role, ()):
        raise UserError(
            _("a %(role)s account cannot hold a token with scope %(scope)s")
            % {"role": user.role, "scope": repr(scope)}
        )
    label = label.strip()
    if len(label) > 100 or _CONTROL.search(label):
        raise UserError(_("a token label is at most 100 characters, without control characters"))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(ApiToken(token_hash=_token_hash(token), user_id=user.id, label=label, scope=scope))
    session.flush()
    return token


def token_grant(session: Session, token: str) -> TokenGrant | None:
    """What ``token`` may do (its active account and scope), and note when it was used."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is None or row.id is None:
        return None
    account = get_account(session, row.user_id)
    if account is None:
        return None
    row.last_used_at = utcnow()
    session.add(row)
    return TokenGrant(account=account, scope=row.scope, token_id=row.id)


def account_for_token(session: Session, token: str) -> Account | None:
    """The active account owning ``token`` (whatever its scope)."""
    grant = token_grant(session, token)
    return grant.account if grant else None


def list_tokens(session: Session, user_id: int | None = None) -> list[TokenInfo]:
    """API tokens (of one user, or everyone's), newest first; never their values."""
    stmt = select(ApiToken, User).join(User, col(User.id) == col(ApiToken.user_id))
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    rows = session.exec(stmt.order_by(col(ApiToken.id).desc())).all()
    return [
        TokenInfo(
            id=t.id or 0,
            username=u.username,
            label=t.label,
            scope=t.scope,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
        )
        for t, u in rows
    ]


def revoke_token(session: Session, token_id: int, *, user_id: int | None = None) -> bool:
    """Delete one token (only if it belongs to ``user_id`` when given); True if it existed."""
    row = session.get(ApiToken, token_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        return False
    session.delete(row)
    session.flush()
    return True


def revoke_tokens(session: Session, username: str) -> int:
    """Delete every API token of ``username``; returns how many."""
    user = _user(session, username)
    rows = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)
