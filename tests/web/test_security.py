"""Issue 18's findings, reproduced over HTTP on SQLite and PostgreSQL, and now refused.

Sessions that really end (logout, password change, reset, deactivation,
absolute lifetime, idle timeout), a throttle that holds under any spelling
and across workers, one key per purpose (a webhook secret cannot sign a
session), scoped API tokens, an anonymous ``/health`` that says only its
status, and bad input refused at the door.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import update
from sqlmodel import select
from typer.testing import CliRunner

from store.db import session_scope
from store.models import LoginFailure, Suggestion, User, WebSession
from store.types import utcnow
from tests.web.conftest import PASSWORD, SECRET, Browser, Seed, build_app, csrf_of
from veille.cli import app as cli_app
from web.keys import KeyRing, current_webhook_secret, derive_key, rotate_webhook_secret, sign
from web.links import SALT
from web.sessions import CSRF_COOKIE, SESSION_COOKIE


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def copy_of(browser: Browser) -> TestClient:
    """Another client holding the same session cookie (a stolen or copied cookie)."""
    thief = TestClient(browser.client.app, follow_redirects=False)
    thief.cookies.set(SESSION_COOKIE, browser.client.cookies[SESSION_COOKIE])
    return thief


def signed_in(client: TestClient) -> bool:
    r = client.get("/review")
    return r.status_code == 200


def _sessions(db_url: str) -> list[WebSession]:
    with session_scope(db_url) as s:
        return list(s.exec(select(WebSession)).all())


# ---------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------


def test_copied_cookie_is_refused_after_logout(browser: Browser, db_url: str) -> None:
    assert browser.login("officer").status_code == 303
    thief = copy_of(browser)
    assert signed_in(thief)
    cookie = browser.client.cookies[SESSION_COOKIE]
    raw = cookie.rpartition(".")[0]
    stored = {row.id_hash for row in _sessions(db_url)}
    assert raw not in json.dumps(sorted(stored))  # the table holds hashes, not cookies
    assert hashlib.sha256(raw.encode()).hexdigest() in stored

    r = browser.post("/logout")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert _sessions(db_url) == []
    assert not signed_in(thief)
    assert thief.get("/review").headers["location"].startswith("/login")
    assert not signed_in(browser.client)


def test_a_new_session_at_each_sign_in(app, db_url: str) -> None:
    b = Browser(app)
    b.login("officer")
    first = b.client.cookies[SESSION_COOKIE]
    b.login("officer")
    assert b.client.cookies[SESSION_COOKIE] != first
    assert len(_sessions(db_url)) == 1  # the previous one was ended, not kept


def test_flash_messages_do_not_extend_the_session(browser: Browser, seeded, db_url) -> None:
    browser.login("officer")
    (before,) = _sessions(db_url)
    r = browser.post(f"/review/{seeded.low_email}/reject")  # stores a flash message
    assert r.status_code == 303
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")  # the cookie is not reissued
    (after,) = _sessions(db_url)
    assert after.data.get("flash")
    assert (after.expires_at, after.created_at) == (before.expires_at, before.created_at)
    assert "Suggestion rejetée" in browser.get("/review").text

    # the absolute lifetime is over: refused however active the session was
    thief = copy_of(browser)
    with session_scope(db_url) as s:
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert not signed_in(thief)
    assert not signed_in(browser.client)
    assert _sessions(db_url) == []


def test_idle_sessions_end(browser: Browser, db_url: str) -> None:
    browser.login("officer")
    assert signed_in(browser.client)
    with session_scope(db_url) as s:
        s.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    assert not signed_in(browser.client)


def test_session_cookie_is_opaque_and_flagged(db_url, seeded, tmp_path) -> None:
    from tests.web.conftest import web_settings
    from web.app import WebConfig, create_app

    settings = web_settings(db_url, tmp_path)
    settings.web.secure_cookies = True
    client = TestClient(
        create_app(settings, WebConfig(secret_key=SECRET)),
        base_url="https://testserver",
        follow_redirects=False,
    )
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": "officer", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 303
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "secure" in flags
    assert "max-age=28800" in flags  # 8 hours from sign-in, never moved
    value = cookie.split(";")[0].split("=", 1)[1]
    assert "uid" not in value and len(value) < 100  # a random id and its signature, no data


def test_password_change_ends_every_other_session(app, db_url: str) -> None:
    laptop, phone = Browser(app), Browser(app)
    laptop.login("officer")
    phone.login("officer")
    old_laptop = copy_of(laptop)
    page = laptop.get("/account")
    assert page.status_code == 200 and "Mon compte" in page.text
    r = laptop.post(
        "/account/password",
        {"current": "wrong password!", "new": "x" * 12, "confirm": "x" * 12},
    )
    assert r.status_code == 400 and "incorrect" in r.text
    new = "a brand new passphrase"
    r = laptop.post("/account/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert r.status_code == 303
    # the one who changed it carries on, in a new session
    assert "Mot de passe changé" in laptop.get("/account").text
    assert not signed_in(phone.client)
    assert not signed_in(old_laptop)
    assert Browser(app).login("officer").status_code == 401
    assert Browser(app).login("officer", new).status_code == 303


def test_cli_reset_password_and_deactivate_end_sessions(
    app, seeded: Seed, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "veille.toml"
    config.write_text('[institution]\nslug = "u"\nname = "U"\n', encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("VEILLE_CONFIG", str(config))
    runner = CliRunner()

    b = Browser(app)
    b.login("officer")
    r = runner.invoke(
        cli_app,
        ["users", "reset-password", "officer", "--password-stdin"],
        input="reset pass 123\n",
    )
    assert r.exit_code == 0 and "1 session web fermée" in r.output, r.output
    assert not signed_in(b.client)
    assert b.login("officer", "reset pass 123").status_code == 303
    client = TestClient(app)
    assert client.get("/api/v1/alumni", headers=auth(seeded.tokens["officer"])).status_code == 200

    r = runner.invoke(cli_app, ["users", "deactivate", "officer"])
    assert r.exit_code == 0, r.output
    assert "1 session web fermée, 2 jetons d'API révoqués" in r.output
    assert not signed_in(b.client)
    assert client.get("/api/v1/alumni", headers=auth(seeded.tokens["officer"])).status_code == 401
    assert b.login("officer", "reset pass 123").status_code == 401

    r = runner.invoke(cli_app, ["users", "list"])
    assert r.exit_code == 0 and "désactivé" in r.output
    r = runner.invoke(cli_app, ["users", "activate", "officer"])
    assert r.exit_code == 0
    assert b.login("officer", "reset pass 123").status_code == 303
    r = runner.invoke(cli_app, ["users", "revoke-sessions", "officer"])
    assert r.exit_code == 0 and "officer : 1 session web fermée." in r.output
    assert not signed_in(b.client)


# ---------------------------------------------------------------------------
# Login throttle
# ---------------------------------------------------------------------------


def test_throttled_name_stays_throttled_under_any_spelling(app, db_url, tmp_path) -> None:
    b = Browser(app)
    for _ in range(5):
        assert b.login("officer", "wrong password!").status_code == 401
    for spelling in (
        "officer",
        "officer ",
        "  officer",
        "OFFICER",
        "Officer\u00a0",
        "ｏｆｆｉｃｅｒ",
    ):
        assert Browser(app).login(spelling).status_code == 429, repr(spelling)
    # another web worker (another app on the same database) sees the same failures
    other_worker = build_app(db_url, tmp_path)
    assert Browser(other_worker).login("officer").status_code == 429
    # other names are unaffected; what was typed is not stored in clear
    assert Browser(app).login("cm").status_code == 303
    with session_scope(db_url) as s:
        rows = s.exec(select(LoginFailure)).all()
    assert len(rows) == 5 and "officer" not in json.dumps([r.name_hash for r in rows])


def test_throttle_counts_one_name_across_addresses(app, db_url) -> None:
    """20 failures for one name from 20 addresses: the name waits, from any address."""
    for i in range(20):
        spray = Browser(app)
        spray.client = TestClient(app, follow_redirects=False, client=(f"10.0.0.{i}", 1234))
        assert spray.login("admin", "wrong password!").status_code == 401
    fresh = Browser(app)
    fresh.client = TestClient(app, follow_redirects=False, client=("192.0.2.1", 1234))
    assert fresh.login("admin").status_code == 429
    assert fresh.login("comms").status_code == 303


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------


def test_webhook_secret_cannot_sign_a_session(app, seeded: Seed, db_url: str) -> None:
    ring = KeyRing(SECRET)
    _, webhook_secret = current_webhook_secret(db_url, ring)
    webhook_key = webhook_secret.encode()
    assert ring.session not in (webhook_key, SECRET.encode())
    assert len({ring.session, ring.csrf, ring.links, webhook_key}) == 4

    admin = Browser(app)
    admin.login("admin")
    raw = admin.client.cookies[SESSION_COOKIE].rpartition(".")[0]
    with session_scope(db_url) as s:
        admin_id = s.exec(select(User.id).where(User.username == "admin")).one()

    def opens_jobs(cookie: str) -> bool:
        client = TestClient(app, follow_redirects=False)
        client.cookies.set(SESSION_COOKIE, cookie)
        return client.get("/jobs").status_code == 200

    # the real session works, signed with the session key (so this test can fail)
    assert opens_jobs(f"{raw}.{sign(ring.session, raw)}")
    # the same session id signed with the webhook secret, or with the master key: refused
    assert not opens_jobs(f"{raw}.{sign(webhook_key, raw)}")
    assert not opens_jobs(f"{raw}.{sign(SECRET.encode(), raw)}")
    # the old cookie format (signed {"uid": ...}), signed with the webhook secret: refused
    payload = base64.b64encode(json.dumps({"uid": admin_id}).encode())
    for key in (webhook_secret, SECRET):
        assert not opens_jobs(TimestampSigner(key).sign(payload).decode())
    # HMAC of a forged id with the webhook secret: refused
    forged = "A" * 43
    assert not opens_jobs(f"{forged}.{sign(webhook_key, forged)}")

    # a confirmation link signed with the webhook secret (or the master key) is refused
    from itsdangerous import URLSafeTimedSerializer

    client = TestClient(app)
    for key in (webhook_secret, SECRET):
        token = URLSafeTimedSerializer(key, salt=SALT).dumps({"s": seeded.high})
        assert client.get(f"/confirm/{token}").status_code == 410
    good = URLSafeTimedSerializer(derive_key(SECRET, "links"), salt=SALT).dumps({"s": seeded.high})
    assert client.get(f"/confirm/{good}").status_code == 200

    # rotating the webhook secret changes it alone: sessions carry on
    generation, rotated = rotate_webhook_secret(db_url, ring, actor="test")
    assert generation.generation == 1 and rotated != webhook_secret
    assert ring.session == derive_key(SECRET, "session")
    assert signed_in_as_admin(admin)
    assert not opens_jobs(f"{raw}.{sign(rotated.encode(), raw)}")


def signed_in_as_admin(browser: Browser) -> bool:
    return browser.get("/jobs").status_code == 200


def test_webhook_secret_shown_to_admins_and_rotatable(app, db_url: str) -> None:
    admin = Browser(app)
    admin.login("admin")
    page = admin.get("/admin/security")
    assert page.status_code == 200
    _, secret = current_webhook_secret(db_url, KeyRing(SECRET))
    assert f"data-webhook-secret>{secret}<" in page.text and "Génération 0" in page.text
    assert 'href="/admin/security"' in page.text
    r = admin.post("/admin/security/webhook-secret/rotate", {"confirm": "yes"})
    assert r.status_code == 303
    page = admin.get("/admin/security")
    _, rotated = current_webhook_secret(db_url, KeyRing(SECRET))
    assert rotated != secret and f"data-webhook-secret>{rotated}<" in page.text
    assert "Génération 1" in page.text and "génération 1" in page.text  # the flash
    officer = Browser(app)
    officer.login("officer")
    assert officer.get("/admin/security").status_code == 403
    assert (
        officer.post("/admin/security/webhook-secret/rotate", {"confirm": "yes"}).status_code == 403
    )


# ---------------------------------------------------------------------------
# Access: /health, API token scopes
# ---------------------------------------------------------------------------


def test_read_token_cannot_accept_a_suggestion(app, seeded: Seed, db_url: str) -> None:
    client = TestClient(app)
    read = auth(seeded.read_tokens["officer"])
    assert client.get(f"/api/v1/suggestions/{seeded.high}", headers=read).status_code == 200
    r = client.post(f"/api/v1/suggestions/{seeded.high}/accept", headers=read)
    assert r.status_code == 403 and "scope" in r.json()["detail"]
    assert client.post(f"/api/v1/suggestions/{seeded.high}/reject", headers=read).status_code == 403
    with session_scope(db_url) as s:
        assert s.get(Suggestion, seeded.high).status == "pending"
    # even an admin's read token
    admin_read = auth(seeded.read_tokens["admin"])
    assert (
        client.post(f"/api/v1/suggestions/{seeded.high}/accept", headers=admin_read).status_code
        == 403
    )
    r = client.post(
        f"/api/v1/suggestions/{seeded.high}/accept", headers=auth(seeded.tokens["officer"])
    )
    assert r.status_code == 200


def _example_path(path: str, seeded: Seed) -> str:
    return (
        path.replace("{alumnus_id}", seeded.alumnus)
        .replace("{suggestion_id}", str(seeded.medium))
        .replace("{event_id}", "1")
        .replace("{alert_id}", str(seeded.alert))
    )


def test_every_api_route_enforces_the_token_scope(app, seeded: Seed) -> None:
    """Each route: no token 401; an admin's read token may GET but never change anything."""
    client = TestClient(app)
    spec = client.get("/api/openapi.json").json()
    routes = [
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method in sorted(operations)
    ]
    assert len(routes) >= 14
    admin_read = auth(seeded.read_tokens["admin"])
    for method, path in routes:
        url = _example_path(path, seeded)
        assert client.request(method, url).status_code == 401, url
        answer = client.request(method, url, headers=admin_read)
        if method == "GET":
            assert answer.status_code == 200, (url, answer.text)
        else:
            assert answer.status_code == 403, (method, url)
            assert "scope" in answer.json()["detail"]


def test_token_scope_is_chosen_at_creation_and_shown(app, seeded: Seed, db_url: str) -> None:
    officer = Browser(app)
    officer.login("officer")
    page = officer.get("/account").text
    assert 'value="read"' in page and 'value="review"' in page and 'value="admin"' not in page
    r = officer.post("/account/tokens", {"label": "CRM sync", "scope": "admin"})
    assert r.status_code == 400 and "portée" in r.text
    r = officer.post("/account/tokens", {"label": "CRM sync", "scope": "read"})
    assert r.status_code == 200
    token = r.text.split("data-token>")[1].split("<")[0]
    assert token.startswith("vl_")
    page = officer.get("/account").text
    assert token not in page and "CRM sync" in page and 'data-scope="read">Lecture<' in page

    client = TestClient(app)
    assert client.get("/api/v1/alumni", headers=auth(token)).status_code == 200
    assert (
        client.post(f"/api/v1/suggestions/{seeded.high}/accept", headers=auth(token)).status_code
        == 403
    )
    from store.users import list_tokens

    with session_scope(db_url) as s:
        (mine,) = [t for t in list_tokens(s) if t.label == "CRM sync"]
    admin = Browser(app)
    admin.login("admin")
    assert f'data-token-id="{mine.id}"' in admin.get("/admin/security").text
    assert officer.post(f"/account/tokens/{mine.id}/revoke").status_code == 303
    assert client.get("/api/v1/alumni", headers=auth(token)).status_code == 401


# ---------------------------------------------------------------------------
# Bad input at the door
# ---------------------------------------------------------------------------


def test_control_characters_in_urls_are_refused(browser: Browser) -> None:
    browser.login("officer")
    r = browser.get("/alumni?q=a%00b")
    assert r.status_code == 400 and "contrôle" in r.text
    assert browser.get("/alumni/A%00-001").status_code == 400
    assert browser.get("/alumni/" + "x" * 65).status_code == 400
    client = TestClient(browser.client.app)
    r = client.get("/api/v1/alumni?q=%01")
    assert r.status_code == 400 and r.json()["detail"].startswith("invalid input")
    assert client.get("/alumni?q=" + "a" * 9000).status_code == 414


def test_deeply_nested_query_is_a_clear_400(app, seeded) -> None:
    comms = Browser(app)
    comms.login("comms")
    query = "(" * 400 + "univ" + ")" * 400
    r = comms.post(
        "/reports",
        {"query": query[:2000], "start": "2026-01-01", "end": "2026-01-31", "fmt": "html"},
    )
    assert r.status_code == 400
    assert "Requête invalide" in r.text and "imbrique plus de 32 niveaux" in r.text
    r = comms.post(
        "/reports", {"query": "univ\x01", "start": "2026-01-01", "end": "2026-01-31", "fmt": "html"}
    )
    assert r.status_code == 400 and "caractère de contrôle" in r.text


def test_a_suggestion_on_an_unknown_field_does_not_break_review(browser, seeded, db_url) -> None:
    with session_scope(db_url) as s:
        s.add(
            Suggestion(
                dedupe_key="s-unknown", alumnus_id=seeded.alumnus, field="salary",
                new_value="42k", confidence=0.99,
            )
        )  # fmt: skip
    browser.login("officer")
    page = browser.get("/review")
    assert page.status_code == 200 and "New Corp" in page.text and "42k" not in page.text
    record = browser.get(f"/alumni/{seeded.alumnus}")
    assert record.status_code == 200 and "Champ non reconnu" in record.text
    assert "salary" not in record.text
    assert browser.get("/review/bulk?band=high").status_code == 200


def test_anonymous_csrf_token_is_bound_to_its_cookie(app) -> None:
    a, b = TestClient(app, follow_redirects=False), TestClient(app, follow_redirects=False)
    token_a = csrf_of(a.get("/login").text)
    b.get("/login")
    assert a.cookies[CSRF_COOKIE] != b.cookies[CSRF_COOKIE]
    r = b.post("/login", data={"username": "officer", "password": PASSWORD, "csrf_token": token_a})
    assert r.status_code == 403
    expected = sign(KeyRing(SECRET).csrf, a.cookies[CSRF_COOKIE])
    assert token_a == expected and hmac.compare_digest(token_a, expected)
