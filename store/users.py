"""Accounts, roles and API tokens: who may use the web UI and the REST API.

Passwords are hashed with argon2id (argon2-cffi); API tokens are random
secrets shown once and stored only as a SHA-256 hash (they carry 256 bits
of entropy, so a slow hash adds nothing and would slow every API call).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, select

from store.models import ApiToken, User
from store.types import utcnow
from veille.errors import VeilleError

ROLES = ("admin", "alumni_officer", "community_manager", "communications")
#: Minimum password length enforced when creating an account.
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "vl_"  # noqa: S105 (a prefix, not a secret)

_hasher = PasswordHasher()
#: A real hash of a random password, verified when the user does not exist so
#: that a login attempt takes the same time whether or not the name is known.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class UserError(VeilleError):
    """An account could not be created or changed; the message says why."""


@dataclass(frozen=True)
class Account:
    """What the web layer needs to know about a signed-in user (no hash)."""

    id: int
    username: str
    role: str


def _account(user: User) -> Account:
    assert user.id is not None
    return Account(id=user.id, username=user.username, role=user.role)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, username: str, password: str, role: str) -> Account:
    """Create an account; refuse unknown roles, short passwords and duplicates."""
    username = username.strip()
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if not username or len(username) > 150:
        raise UserError("a username must be 1 to 150 characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise UserError(f"user {username!r} exists; pick another name")
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return _account(user)


def set_password(session: Session, username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise UserError(f"no user {username!r}")
    user.password_hash = hash_password(password)
    session.add(user)


def authenticate(session: Session, username: str, password: str) -> Account | None:
    """The account if the password is right and the account active, else None.

    Re-hashes transparently when argon2 parameters have been raised.
    """
    user = session.exec(select(User).where(User.username == username.strip())).first()
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
    users = session.exec(select(User).where(col(User.active)).order_by(col(User.username))).all()
    return [_account(u) for u in users]


def deactivate_user(session: Session, username: str) -> None:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise UserError(f"no user {username!r}")
    user.active = False
    session.add(user)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, username: str, label: str = "") -> str:
    """Create a token for ``username`` and return it; it is never shown again."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or user.id is None:
        raise UserError(f"no user {username!r}; create it with `veille users add`")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=_token_hash(token), user_id=user.id, label=label))
    session.flush()
    return token


def account_for_token(session: Session, token: str) -> Account | None:
    """The active account owning ``token`` (and note when it was last used)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is None:
        return None
    account = get_account(session, row.user_id)
    if account is None:
        return None
    row.last_used_at = utcnow()
    session.add(row)
    return account


def revoke_tokens(session: Session, username: str) -> int:
    """Delete every API token of ``username``; returns how many."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise UserError(f"no user {username!r}")
    rows = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    for row in rows:
        session.delete(row)
    return len(rows)
