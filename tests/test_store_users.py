"""Accounts: argon2 hashes, roles, API tokens stored only as hashes."""

from __future__ import annotations

import pytest
from sqlmodel import select

from store import users
from store.db import session_scope
from store.models import ApiToken, User

#: The library's messages are asserted here in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english_messages")


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


def test_names_are_canonical_and_look_alikes_refused(db_url: str) -> None:
    with session_scope(db_url) as s:
        users.create_user(s, "  Alice\u00a0", "a long passphrase", "admin")
        assert s.exec(select(User.username)).one() == "Alice"
        for twin in ("alice", "ALICE", "Ａｌｉｃｅ"):
            with pytest.raises(users.UserError, match="exists"):
                users.create_user(s, twin, "a long passphrase", "admin")
        with pytest.raises(users.UserError, match="control"):
            users.create_user(s, "bob\x00", "a long passphrase", "admin")
        assert users.authenticate(s, "Alice ", "a long passphrase") is not None
        assert users.authenticate(s, "Ａｌｉｃｅ", "a long passphrase") is not None  # NFKC
        assert users.authenticate(s, "Al\x00ice", "a long passphrase") is None
    assert users.username_key(" Ａｌｉｃｅ\u00a0") == users.username_key("alice") == "alice"


def test_token_scopes(db_url: str) -> None:
    with session_scope(db_url) as s:
        users.create_user(s, "root", "a long passphrase", "admin")
        users.create_user(s, "ann", "a long passphrase", "alumni_officer")
        read = users.create_api_token(s, "ann", "crm")  # read by default
        review = users.create_api_token(s, "ann", "crm", "review")
        admin = users.create_api_token(s, "root", "ops", "admin")
        with pytest.raises(users.UserError, match="cannot hold"):
            users.create_api_token(s, "ann", "x", "admin")
        with pytest.raises(users.UserError, match="unknown scope"):
            users.create_api_token(s, "ann", "x", "write")
    with session_scope(db_url) as s:
        grants = {t: users.token_grant(s, t) for t in (read, review, admin)}
    assert [g.scope for g in grants.values()] == ["read", "review", "admin"]
    assert grants[read].allows("read") and not grants[read].allows("review")
    assert grants[review].allows("review") and not grants[review].allows("admin")
    assert grants[admin].allows("review") and grants[admin].allows("admin")
    with session_scope(db_url) as s:
        listed = users.list_tokens(s)
        assert {t.scope for t in listed} == {"read", "review", "admin"}
        assert users.revoke_token(s, listed[0].id) and not users.revoke_token(s, listed[0].id)


def test_throttle_store_counts_both_limits(db_url: str) -> None:
    from datetime import timedelta

    from store import login_throttle
    from store.types import utcnow

    window = timedelta(minutes=15)
    limits = {"max_failures": 5, "max_failures_per_name": 20, "window": window}
    now = utcnow()
    with session_scope(db_url) as s:
        for _ in range(4):
            login_throttle.record_failure(s, "u_x", "1.1.1.1", window=window, now=now)
        assert login_throttle.retry_after(s, "U_X ", "1.1.1.1", now=now, **limits) == 0
        login_throttle.record_failure(s, "ｕ_ｘ", "1.1.1.1", window=window, now=now)
        assert login_throttle.retry_after(s, " u_x", "1.1.1.1", now=now, **limits) == 900
        assert login_throttle.retry_after(s, "u_x", "2.2.2.2", now=now, **limits) == 0
        later = now + window + timedelta(seconds=1)
        assert login_throttle.retry_after(s, "u_x", "1.1.1.1", now=later, **limits) == 0
        for i in range(15):
            login_throttle.record_failure(s, "u_x", f"10.0.0.{i}", window=window, now=now)
        assert login_throttle.retry_after(s, "u_x", "3.3.3.3", now=now, **limits) > 0
        login_throttle.record_success(s, "u_x", "1.1.1.1")
        assert login_throttle.retry_after(s, "u_x", "3.3.3.3", now=now, **limits) == 0
