"""`veille optout` and `veille person`: the privacy doors, end to end on a real database."""

from __future__ import annotations

import json
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from store.db import get_engine, insert_ignore, session_scope
from store.models import Mention
from store.suppression import OptOutFilter, pseudonym_key
from tests.conftest import FIXTURES
from tests.store.privacy_data import ALUMNUS_ID, EMAILS, find_everywhere, needles, seed_person
from veille.cli import app

MASTODON = FIXTURES / "mastodon" / "bodies"
KEY_ENV = "VEILLE_PSEUDONYM_KEY"


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "veille.toml"
    config.write_text(
        '[institution]\nslug = "u"\nname = "Université Exemple"\n'
        '[[sources]]\nname = "annuaire"\nkind = "schema_person"\n'
        '[[sources]]\nname = "masto"\nkind = "mastodon"\n'
        '[teams.alumni]\nrecipients = ["alumni@u.fr"]\n'
        "[privacy]\nretention_days_mentions = 200\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("VEILLE_CONFIG", str(config))
    monkeypatch.setenv(KEY_ENV, "cli-test-key")
    return config


def _statuses() -> list[dict[str, Any]]:
    """Real recorded Mastodon statuses (Mastodon.py cassettes, see its SOURCES.md)."""
    out: list[dict[str, Any]] = []
    for name in ("test_entity_status__0", "test_entity_status__1", "test_entity_searchv2__2"):
        body = json.loads((MASTODON / f"{name}.json").read_text(encoding="utf-8"))["body"]
        body = json.loads(body) if isinstance(body, str) else body
        out += body.get("statuses", [body])
    return out


def _as_mention(status: dict[str, Any]) -> dict[str, Any]:
    account = status["account"]
    return {
        "platform": "mastodon",
        "platform_id": status["id"],
        "url": status["url"] or "",
        "author_handle": account["acct"],
        "author_name": account["display_name"],
        "text": status["content"],
        "published_at": datetime.fromisoformat(status["created_at"].replace("Z", "+00:00")),
        "engagement": {},
        "raw": {},
        "provenance": {},
    }


def test_opted_out_authors_are_dropped_before_storage(cli_env: Path, db_url: str) -> None:
    """The crawler runner's contract: load the filter once, drop blocked authors, store the rest."""
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "optout", "add",
            "--handle", "@JO@social.sublingual.xyz",
            "--url", "https://mastodon.social/@halcy/",
            "--reason", "asked by email",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    statuses = _statuses()
    assert len(statuses) == 4
    with session_scope(db_url) as s:
        f = OptOutFilter.load(s, pseudonym_key())
        kept = [
            _as_mention(st)
            for st in statuses
            if not f.blocks(
                handle=st["account"]["acct"],
                name=st["account"]["display_name"],
                url=st["account"]["url"],
            )
        ]
        insert_ignore(s, Mention, kept, ["platform", "platform_id"])
    with session_scope(db_url) as s:
        stored = sorted(m.author_handle for m in s.exec(select(Mention)))
    # mastodon.social/@halcy is opted out; the homonym on another server is not.
    assert stored == ["greg@icosahedron.website", "halcy@icosahedron.website"]

    listing = runner.invoke(app, ["optout", "list"])
    assert listing.exit_code == 0
    # the kinds of entries as people say them, never the internal keys
    out = listing.output
    assert "Compte sur un réseau social" in out and "Adresse web" in out and "Total" in out
    assert "handle" not in out and "url" not in out
    assert "sublingual" not in listing.output.lower()


def test_optout_without_identifier_is_an_error(cli_env: Path) -> None:
    result = CliRunner().invoke(app, ["optout", "add"])
    assert result.exit_code == 1 and "rien à ajouter" in result.output


def test_optout_alumnus_then_export_then_erase(cli_env: Path, db_url: str, tmp_path: Path) -> None:
    with session_scope(db_url) as s:
        seed_person(s)
    runner = CliRunner()
    result = runner.invoke(app, ["optout", "add", "--alumnus", ALUMNUS_ID])
    assert result.exit_code == 0, result.output
    assert "1 suggestion en attente retirée" in result.output

    out = tmp_path / "export.json"
    result = runner.invoke(app, ["person", "export", "--alumnus", ALUMNUS_ID, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["alumnus"]["emails"] == EMAILS and data["alumnus"]["opt_out"] is True
    assert "opt_out" in {e["action"] for e in data["audit_events"]}

    result = runner.invoke(app, ["person", "erase", "--alumnus", ALUMNUS_ID, "--yes"])
    assert result.exit_code == 0, result.output
    assert find_everywhere(get_engine(db_url), needles()) == []

    result = runner.invoke(app, ["person", "export", "--alumnus", ALUMNUS_ID])
    assert result.exit_code == 7 and "aucun alumnus" in result.output


def test_erase_asks_for_confirmation(cli_env: Path, db_url: str) -> None:
    with session_scope(db_url) as s:
        seed_person(s)
    result = CliRunner().invoke(app, ["person", "erase", "--alumnus", ALUMNUS_ID], input="n\n")
    assert result.exit_code == 1
    assert find_everywhere(get_engine(db_url), needles())  # nothing erased


def test_register_follows_the_settings(cli_env: Path) -> None:
    result = CliRunner().invoke(app, ["person", "register"])
    assert result.exit_code == 0, result.output
    assert "annuaire (schema_person)" in result.output and "masto (mastodon)" in result.output
    assert "200 jours" in result.output  # retention_days_mentions from the file
    assert "alumni (1 destinataire(s))" in result.output


def test_audit_provenance_exit_code(cli_env: Path, db_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["person", "audit-provenance"]).exit_code == 0
    with session_scope(db_url) as s:
        seed_person(s)
        s.add(Mention(platform="rss", platform_id="nope", published_at=datetime(2026, 1, 1)))
    result = runner.invoke(app, ["person", "audit-provenance"])
    assert result.exit_code == 1
    assert "missing url, fetched_at, method, source, version" in result.output
