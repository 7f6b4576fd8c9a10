"""Accounts: argon2 hashes, roles, API tokens stored only as hashes."""

from __future__ import annotations

import pytest
from sqlmodel import select

from store import users
from store.db import session_scope
from store.models import ApiToken, User


def test_create_authenticate_and_tokens(db_url: str) -> None:
    with session_scope(db_url) as s:
        users.create_user(s, "alice", "a long passphrase", "alumni_officer")
        token = users.create_api_token(s, "alice", "crm")
    with session_scope(db_url) as s:
        row = s.exec(select(User)).one()
        assert row.password_hash.startswith("$argon2id$")
        assert users.authenticate(s, "alice", "a long passphrase").role == "alumni_officer"
        assert users.authenticate(s, "alice", "wrong passphrase") is None
        assert users.authenticate(s, "nobody", "a long passphrase") is None
        stored = s.exec(select(ApiToken)).one()
        assert token not in stored.token_hash and len(stored.token_hash) == 64
        assert users.account_for_token(s, token).username == "alice"
        assert users.account_for_token(s, token + "x") is None
        users.deactivate_user(s, "alice")
    with session_scope(db_url) as s:
        assert users.account_for_token(s, token) is None
        assert users.authenticate(s, "alice", "a long passphrase") is None


def test_refusals(db_url: str) -> None:
    with session_scope(db_url) as s:
        with pytest.raises(users.UserError, match="role"):
            users.create_user(s, "bob", "a long passphrase", "root")
        with pytest.raises(users.UserError, match="at least"):
            users.create_user(s, "bob", "short", "admin")
        users.create_user(s, "bob", "a long passphrase", "admin")
        with pytest.raises(users.UserError, match="exists"):
            users.create_user(s, "bob", "another passphrase", "admin")
