"""One objection, three doors: the CLI, the self-service link and the API leave the same data.

The same person (spread over every table, see ``privacy_data``) is opted out
through each door on its own fresh database of the same backend; then every
table of the three databases is compared row by row. Only what names the
door may differ: the audit event's actor, when things happened, and when the
API token was last used.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine, select, text
from sqlmodel import select as sm_select
from typer.testing import CliRunner

from store.db import get_engine, session_scope, upgrade
from store.models import ApiToken, Suggestion, User
from tests.conftest import make_settings, postgres_base_url
from tests.store.privacy_data import ALUMNUS_ID, KEY, seed_person
from veille.cli import app as cli_app
from web.app import WebConfig, create_app
from web.links import make_token

SECRET = "doors-secret-" + "x" * 40
API_TOKEN = "vl_" + "d" * 43
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)?")
#: Columns that say which door was used or when, not what the objection did.
DOOR_COLUMNS = {("audit_event", "actor"), ("api_token", "last_used_at")}


@contextmanager
def fresh_database(like: str, tmp_path: Path, name: str, base: str | None) -> Iterator[str]:
    """A new migrated database on the same backend as ``like`` (``base``: the PostgreSQL URL)."""
    if like.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / f'{name}.db'}"
        upgrade(url)
        yield url
        return
    assert base is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    try:
        upgrade(url)
        yield url
    finally:
        get_engine(url).dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _seed(url: str) -> int:
    """The person, plus an alumni officer holding a review token (same hash everywhere)."""
    with session_scope(url) as s:
        seed_person(s)
        dpo = User(username="dpo", password_hash="x", role="alumni_officer")
        s.add(dpo)
        s.flush()
        assert dpo.id is not None
        token_hash = hashlib.sha256(API_TOKEN.encode()).hexdigest()
        s.add(ApiToken(token_hash=token_hash, user_id=dpo.id, label="api", scope="review"))
        suggestion = s.exec(sm_select(Suggestion).where(Suggestion.alumnus_id == ALUMNUS_ID)).one()
        assert suggestion.id is not None
        return suggestion.id


def _normalise(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return "<time>"
    if isinstance(value, str):
        return _ISO.sub("<time>", value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value


def snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (reflected from the live schema), door columns masked."""
    engine = get_engine(url)
    meta = MetaData()
    meta.reflect(bind=engine)
    out: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows = []
            for row in conn.execute(select(table).order_by(*order)).mappings():
                rows.append(
                    {
                        k: "<door>" if (table.name, k) in DOOR_COLUMNS else _normalise(v)
                        for k, v in row.items()
                    }
                )
            out[table.name] = rows
    return out


def _cli(url: str, _suggestion: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "veille.toml"
    config.write_text('[institution]\nslug = "u"\nname = "U"\n', encoding="utf-8")
    with monkeypatch.context() as env:
        env.setenv("DATABASE_URL", url)
        env.setenv("VEILLE_CONFIG", str(config))
        env.setenv("VEILLE_PSEUDONYM_KEY", KEY.decode())
        result = CliRunner().invoke(cli_app, ["optout", "add", "--alumnus", ALUMNUS_ID])
    assert result.exit_code == 0, result.output


def _app(url: str, tmp_path: Path) -> Any:
    settings = make_settings(
        output_dir=str(tmp_path), web={"secure_cookies": False, "base_url": "http://testserver"}
    )
    settings.database_url = url
    return create_app(settings, WebConfig(secret_key=SECRET, pseudonym_key=KEY))


def _link(url: str, suggestion: int, tmp_path: Path, _mp: pytest.MonkeyPatch) -> None:
    client = TestClient(_app(url, tmp_path))
    path = f"/confirm/{make_token(SECRET, suggestion)}"
    page = client.get(path)
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    r = client.post(
        path, data={"choice": "opt_out", "opt_out_confirm": "yes", "csrf_token": csrf.group(1)}
    )
    assert r.status_code == 200


def _api(url: str, _suggestion: int, tmp_path: Path, _mp: pytest.MonkeyPatch) -> None:
    client = TestClient(_app(url, tmp_path))
    r = client.post(
        f"/api/v1/alumni/{ALUMNUS_ID}/opt-out", headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["withdrawn_suggestions"] == 1 and r.json()["mentions_blanked"] == 2


def test_three_doors_leave_identical_data(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshots: dict[str, dict[str, list[dict[str, Any]]]] = {}
    base = postgres_base_url()
    for name, door in (("cli", _cli), ("link", _link), ("api", _api)):
        with fresh_database(db_url, tmp_path, name, base) as url:
            suggestion = _seed(url)
            before = snapshot(url)
            (tmp_path / name).mkdir()
            door(url, suggestion, tmp_path / name, monkeypatch)
            snapshots[name] = after = snapshot(url)
            assert after != before
    cli, link, api = snapshots["cli"], snapshots["link"], snapshots["api"]
    for table in cli:
        assert cli[table] == link[table], f"{table}: the link differs from the CLI"
        assert cli[table] == api[table], f"{table}: the API differs from the CLI"

    # and what they all did is the whole objection
    (alumnus,) = [a for a in cli["alumnus"] if a["id"] == ALUMNUS_ID]
    assert alumnus["opt_out"] in (True, 1)
    kinds = {row["kind"] for row in cli["suppression"] if row["reason"] == "opt-out"}
    assert kinds == {"name", "email", "handle", "url", "alumnus"}
    blanked = [m for m in cli["mention"] if m["provenance"].get("purge_reason") == "opt-out"]
    assert len(blanked) == 2 and all(m["text"] == "" for m in blanked)
    (suggestion,) = cli["suggestion"]
    assert (suggestion["status"], suggestion["reviewer"]) == ("rejected", "opt-out")
    events = [e for e in cli["audit_event"] if e["action"] == "opt_out"]
    assert len(events) == 1 and events[0]["entity_id"] == ALUMNUS_ID
