"""`veille users` and `veille serve` refusals, through the real CLI."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from store.db import session_scope
from store.users import authenticate
from veille.cli import app
from veille.cli._common import console, state
from veille.errors import ConfigError


def _config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "veille.toml"
    path.write_text(
        f'database_url = "{db_url}"\n[institution]\nslug = "u"\nname = "Université"\n',
        encoding="utf-8",
    )
    return path


def test_users_add_and_token(tmp_path: Path, sqlite_url: str, monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    cfg = _config(tmp_path, sqlite_url)
    runner = CliRunner()
    state._settings = None
    r = runner.invoke(
        app,
        ["-c", str(cfg), "users", "add", "alice", "--role", "alumni_officer", "--password-stdin"],
        input="a long passphrase\n",
    )
    assert r.exit_code == 0, r.output
    with session_scope(sqlite_url) as s:
        assert authenticate(s, "alice", "a long passphrase").role == "alumni_officer"
    state._settings = None
    r = runner.invoke(app, ["-c", str(cfg), "users", "token", "alice"])
    assert r.exit_code == 0 and r.output.strip().startswith("vl_")
    state._settings = None
    r = runner.invoke(
        app,
        ["-c", str(cfg), "users", "add", "bob", "--role", "root", "--password-stdin"],
        input="x" * 12,
    )
    assert r.exit_code != 0


def test_serve_refuses_without_secret_key(tmp_path: Path, sqlite_url: str, monkeypatch) -> None:
    monkeypatch.delenv("VEILLE_SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    cfg = _config(tmp_path, sqlite_url)
    state._settings = None
    r = CliRunner().invoke(app, ["-c", str(cfg), "serve"])
    assert r.exit_code == ConfigError.exit_code and "VEILLE_SECRET_KEY" in r.output
    monkeypatch.setenv("VEILLE_SECRET_KEY", "short")
    state._settings = None
    r = CliRunner().invoke(app, ["-c", str(cfg), "serve"])
    assert r.exit_code == ConfigError.exit_code and "trop courte" in r.output
    state._settings = None


def test_users_token_scopes_and_webhook_secret(
    tmp_path: Path, sqlite_url: str, monkeypatch
) -> None:
    from tests.web.conftest import SECRET
    from web.keys import KeyRing, current_webhook_secret

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("VEILLE_SECRET_KEY", SECRET)
    monkeypatch.setattr(console, "width", 200)  # French labels ("Lecture et décisions") unwrapped
    cfg = _config(tmp_path, sqlite_url)
    runner = CliRunner()

    def run(*args: str, **kw):
        state._settings = None
        return runner.invoke(app, ["-c", str(cfg), *args], **kw)

    assert run("users", "add", "crm", "--role", "alumni_officer", "--password-stdin",
               input="a long passphrase\n").exit_code == 0  # fmt: skip
    r = run("users", "token", "crm", "--scope", "admin")
    assert r.exit_code != 0 and "ne peut pas détenir de jeton de portée 'admin'" in r.output
    r = run("users", "token", "crm", "--scope", "everything")
    assert r.exit_code != 0 and "portée inconnue" in r.output
    r = run("users", "token", "crm", "--scope", "review", "--label", "CRM sync")
    assert r.exit_code == 0 and r.output.strip().startswith("vl_")
    value = r.output.strip()
    r = run("users", "tokens")
    assert r.exit_code == 0 and "CRM sync" in r.output and "Lecture et décisions" in r.output
    assert value not in r.output
    r = run("users", "list")
    assert r.exit_code == 0 and "crm" in r.output and "actif" in r.output

    r = run("webhooks", "secret")
    assert r.exit_code == 0 and "Génération 0" in r.output
    shown = r.output.split()[-1]
    assert shown == current_webhook_secret(sqlite_url, KeyRing(SECRET))[1]
    r = run("webhooks", "secret", "--rotate")
    assert r.exit_code == 0 and "Génération 1" in r.output and shown not in r.output
    monkeypatch.delenv("VEILLE_SECRET_KEY")
    r = run("webhooks", "secret")
    assert r.exit_code == ConfigError.exit_code and "VEILLE_SECRET_KEY" in r.output
    state._settings = None


def test_alerts_list_ack_and_assign_from_the_cli(
    tmp_path: Path, sqlite_url: str, monkeypatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from store.db import ensure_schema
    from store.models import Alert
    from store.users import create_user

    monkeypatch.delenv("DATABASE_URL", raising=False)
    cfg = _config(tmp_path, sqlite_url)
    ensure_schema(sqlite_url)
    end = datetime(2014, 5, 20, 10, tzinfo=UTC)
    with session_scope(sqlite_url) as s:
        create_user(s, "claire", "a long passphrase", "community_manager")
        create_user(s, "olivier", "a long passphrase", "alumni_officer")
        alert = Alert(
            dedupe_key="k1",
            rule="volume_spike",
            window_start=end - timedelta(hours=1),
            window_end=end,
        )
        s.add(alert)
        s.flush()
        alert_id = alert.id

    def run(*args: str):
        state._settings = None
        return CliRunner().invoke(app, ["-c", str(cfg), "alerts", *args])

    r = run("assign", str(alert_id), "--team", "it", "--person", "claire", "--note", "Voir la DSI")
    assert r.exit_code == 0, r.output
    assert "équipe Informatique, personne claire" in r.output
    r = run("assign", str(alert_id), "--team", "it", "--person", "olivier")
    assert r.exit_code != 0 and "traite les alertes" in r.output  # cannot open alerts
    r = run("list")
    assert r.exit_code == 0 and "claire" in r.output and "Voir la DSI" in r.output
    assert "Pic de volume" in r.output or "volume" in r.output.lower()
    assert run("ack", str(alert_id)).exit_code == 0
    assert "claire" not in run("list").output  # acknowledged: no longer open
    assert "claire" in run("list", "--status", "all").output
    with session_scope(sqlite_url) as s:
        row = s.get(Alert, alert_id)
        assert (row.team, row.assignee, row.note, row.status) == (
            "it",
            "claire",
            "Voir la DSI",
            "acknowledged",
        )
