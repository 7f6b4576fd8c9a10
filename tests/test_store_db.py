"""The store works the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from store.db import current_revision, insert_ignore, session_scope
from store.models import AuditEvent, Mention


def _mention(pid: str) -> dict[str, object]:
    return {
        "platform": "rss",
        "platform_id": pid,
        "url": f"https://example.org/{pid}",
        "text": "bonjour",
        "published_at": datetime(2026, 11, 16, 9, tzinfo=UTC),
        "collected_at": datetime(2026, 11, 16, 10, tzinfo=UTC),
        "engagement": {},
        "raw": {},
        "provenance": {},
    }


def test_schema_is_at_head(db_url: str) -> None:
    from alembic.script import ScriptDirectory

    from store.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    assert current_revision(db_url) == head
    with session_scope(db_url) as s:
        backend = s.get_bind().dialect.name
    print(f"store backend: {backend}")


def test_insert_ignore_is_idempotent(db_url: str) -> None:
    rows = [_mention("a"), _mention("b")]
    with session_scope(db_url) as s:
        assert insert_ignore(s, Mention, rows, ["platform", "platform_id"]) == 2
    with session_scope(db_url) as s:
        assert insert_ignore(s, Mention, rows, ["platform", "platform_id"]) == 0
        assert len(s.exec(select(Mention)).all()) == 2


def test_datetimes_come_back_aware_utc(db_url: str) -> None:
    with session_scope(db_url) as s:
        insert_ignore(s, Mention, [_mention("a")], ["platform", "platform_id"])
    with session_scope(db_url) as s:
        m = s.exec(select(Mention)).one()
        assert m.published_at == datetime(2026, 11, 16, 9, tzinfo=UTC)
        assert m.published_at.tzinfo is not None


def test_session_scope_rolls_back_on_error(db_url: str) -> None:
    with pytest.raises(RuntimeError), session_scope(db_url) as s:
        insert_ignore(s, Mention, [_mention("a")], ["platform", "platform_id"])
        raise RuntimeError("boom")
    with session_scope(db_url) as s:
        assert s.exec(select(Mention)).all() == []


def test_audit_trail_refuses_updates(db_url: str) -> None:
    with session_scope(db_url) as s:
        s.add(AuditEvent(actor="t", action="import", entity="alumnus", entity_id="1"))
    with pytest.raises(DBAPIError, match="append-only"), session_scope(db_url) as s:
        s.execute(text("UPDATE audit_event SET actor = 'mallory'"))
