"""Migration 0005: per-source cursors become per-target cursors, in sync with the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel, select

from store import crawl_state
from store.db import alembic_config, get_engine, session_scope
from store.models import CrawlState, CrawlTarget

OLD_CURSORS = {
    # name, kind, 0004 cursor
    ("masto", "mastodon"): {
        "search:halcy": "110446983926957470",
        "tag:https://mastodon.social#hoot": "117020593741189701",
        "_retry_at": 0,
    },
    ("bsky", "bluesky"): {"redistricting": {"since": "2025-05-20T00:00:00Z", "page": "25"}},
    ("feeds", "rss"): {"https://example.org/feed.xml": {"etag": '"abc"'}},
    ("profils", "schema_person"): {"position": 2},
    ("site", "web"): {"last_crawl": "2026-11-30T10:00:00+00:00"},
}


def _previous(cfg: object) -> str:
    """The revision just before this migration, whatever the chain's other members."""
    from alembic.script import ScriptDirectory

    rev = ScriptDirectory.from_config(cfg).get_revision("0006_crawl_isolation")  # type: ignore[arg-type]
    return str(rev.down_revision)


def test_models_and_migrations_agree(db_url: str) -> None:
    with get_engine(db_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


def test_cursors_move_to_their_targets_and_back(db_url: str) -> None:
    cfg = alembic_config(db_url)
    command.downgrade(cfg, _previous(cfg))
    engine = get_engine(db_url)
    with engine.begin() as conn:
        for i, ((name, kind), cursor) in enumerate(OLD_CURSORS.items(), start=1):
            conn.execute(
                text(
                    "INSERT INTO source (id, name, kind, query, settings, enabled) "
                    "VALUES (:i, :n, :k, '', '{}', true)"
                ),
                {"i": i, "n": name, "k": kind},
            )
            conn.execute(
                text(
                    "INSERT INTO crawl_state (source_id, cursor, status, last_error, "
                    "items_last_run, items_today, updated_at) "
                    "VALUES (:i, :c, 'ok', '', 0, 0, CURRENT_TIMESTAMP)"
                ),
                {"i": i, "c": __import__("json").dumps(cursor)},
            )
    command.upgrade(cfg, "head")
    with session_scope(db_url) as s:
        targets = {(t.source_id, t.label): t.cursor for t in s.exec(select(CrawlTarget)).all()}
        assert all(st.cursor == {} for st in s.exec(select(CrawlState)).all())
    assert targets == {
        (1, "search:halcy"): {"newest": "110446983926957470"},
        (1, "tag:https://mastodon.social#hoot"): {"newest": "117020593741189701"},
        (2, "redistricting"): {"since": "2025-05-20T00:00:00Z", "page": "25"},
        (3, "https://example.org/feed.xml"): {"etag": '"abc"'},
        (5, "sites"): {"last_crawl": "2026-11-30T10:00:00+00:00"},
    }  # (the profile sources' position cursor is gone: every page is read every run)
    with session_scope(db_url) as s:
        assert crawl_state.get_target(s, 1, "search:halcy").key == "search:halcy"
    command.downgrade(cfg, _previous(cfg))
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT source_id, cursor FROM crawl_state")).all())
    back = {k: (v if isinstance(v, dict) else __import__("json").loads(v)) for k, v in rows.items()}
    assert back[1] == {
        "search:halcy": "110446983926957470",
        "tag:https://mastodon.social#hoot": "117020593741189701",
    }
    assert back[2] == OLD_CURSORS[("bsky", "bluesky")]
    assert back[3] == OLD_CURSORS[("feeds", "rss")]
    command.upgrade(cfg, "head")


def test_long_targets_get_a_hashed_key() -> None:
    long = "https://example.org/feed?" + "x" * 600
    key = crawl_state.target_key(long)
    assert key.startswith("sha256:") and len(key) < 100
    assert crawl_state.target_key("https://example.org/feed") == "https://example.org/feed"
