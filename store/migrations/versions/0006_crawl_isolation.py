"""crawl isolation: per-target cursors and health, quarantined items, platform hashtags

- ``crawl_target``: one row per target of a source (feed, hashtag stream, search
  term, profile page) with its own cursor and health. The cursors that were kept
  per source in ``crawl_state.cursor`` move here (data migration below);
  position cursors of the profile sources are dropped: every page is now read
  on every run, each reported on its own.
- ``rejected_item``: items a crawl could not use (quarantine), with reason and
  a capped excerpt.
- ``mention.hashtags``: the platform's own hashtags, read by the query filter.

Revision ID: 0006_crawl_isolation
Revises: 0005_security
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import store.types

revision = "0006_crawl_isolation"
down_revision = "0005_security"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")

#: Kinds whose cursor was already one entry per stream/feed/term.
_KEYED_KINDS = {"bluesky", "reddit", "rss", "twitter"}
#: Kinds whose cursor was a position in the list of targets (dropped).
_POSITION_KINDS = {"schema_person", "orcid", "appointments"}


def target_key(target: str) -> str:
    """Same rule as ``crawlers.runner.target_key`` (frozen here, as migrations must be)."""
    return target if len(target) <= 512 else "sha256:" + hashlib.sha256(target.encode()).hexdigest()


def split_cursor(kind: str, cursor: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A 0004 source cursor -> {target: cursor of that target}."""
    cursor = {k: v for k, v in (cursor or {}).items() if not k.startswith("_")}
    if kind == "mastodon":
        return {stream: {"newest": str(value)} for stream, value in cursor.items() if value}
    if kind in _KEYED_KINDS:
        return {key: dict(value) for key, value in cursor.items() if isinstance(value, dict)}
    if kind == "web" and cursor:
        return {"sites": dict(cursor)}
    return {}


def join_cursor(kind: str, targets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The reverse of :func:`split_cursor`, for a downgrade."""
    if kind == "mastodon":
        return {k: v["newest"] for k, v in targets.items() if v.get("newest")}
    if kind in _KEYED_KINDS:
        return dict(targets)
    if kind == "web":
        return dict(targets.get("sites", {}))
    return {}


def upgrade() -> None:
    op.create_table(
        "crawl_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("cursor", _JSON, nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("last_success_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("items_last_run", sa.Integer(), nullable=False),
        sa.Column("retry_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "key", name="uq_crawl_target"),
    )
    op.create_table(
        "rejected_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("first_seen_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "fingerprint", name="uq_rejected_item"),
    )
    with op.batch_alter_table("rejected_item", schema=None) as batch_op:
        batch_op.create_index("ix_rejected_item_seen", ["last_seen_at"], unique=False)

    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hashtags", _JSON, nullable=False, server_default=sa.text("'[]'"))
        )

    _move_cursors_to_targets()


def _tables() -> tuple[sa.TableClause, sa.TableClause, sa.TableClause]:
    source = sa.table("source", sa.column("id", sa.Integer), sa.column("kind", sa.String))
    state = sa.table(
        "crawl_state",
        sa.column("source_id", sa.Integer),
        sa.column("cursor", _JSON),
        sa.column("status", sa.String),
    )
    target = sa.table(
        "crawl_target",
        sa.column("source_id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("label", sa.Text),
        sa.column("cursor", _JSON),
        sa.column("status", sa.String),
        sa.column("last_error", sa.String),
        sa.column("consecutive_failures", sa.Integer),
        sa.column("items_last_run", sa.Integer),
        sa.column("retry_at", store.types.UTCDateTime(timezone=True)),
        sa.column("updated_at", store.types.UTCDateTime(timezone=True)),
    )
    return source, state, target


def _move_cursors_to_targets() -> None:
    conn = op.get_bind()
    source, state, target = _tables()
    rows = conn.execute(
        sa.select(state.c.source_id, state.c.cursor, source.c.kind).join(
            source, source.c.id == state.c.source_id
        )
    ).all()
    now = datetime.now(UTC)
    for source_id, cursor, kind in rows:
        cursor = cursor or {}
        retry = cursor.get("_retry_at")
        retry_at = (
            datetime.fromtimestamp(float(retry), UTC)
            if isinstance(retry, int | float) and retry > now.timestamp()
            else None
        )
        values = [
            {
                "source_id": source_id,
                "key": target_key(name),
                "label": name,
                "cursor": value,
                "status": "never_run",
                "last_error": "",
                "consecutive_failures": 0,
                "items_last_run": 0,
                "retry_at": retry_at,
                "updated_at": now,
            }
            for name, value in split_cursor(kind, cursor).items()
        ]
        if values:
            conn.execute(sa.insert(target), values)
        conn.execute(sa.update(state).where(state.c.source_id == source_id).values(cursor={}))


def _move_cursors_back() -> None:
    conn = op.get_bind()
    source, state, target = _tables()
    kinds = dict(conn.execute(sa.select(source.c.id, source.c.kind)).all())
    cursors: dict[int, dict[str, dict[str, Any]]] = {}
    for source_id, label, cursor in conn.execute(
        sa.select(target.c.source_id, target.c.label, target.c.cursor)
    ).all():
        cursors.setdefault(source_id, {})[label] = cursor or {}
    for source_id, targets in cursors.items():
        joined = join_cursor(kinds.get(source_id, ""), targets)
        conn.execute(sa.update(state).where(state.c.source_id == source_id).values(cursor=joined))


def downgrade() -> None:
    _move_cursors_back()
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_column("hashtags")

    with op.batch_alter_table("rejected_item", schema=None) as batch_op:
        batch_op.drop_index("ix_rejected_item_seen")

    op.drop_table("rejected_item")
    op.drop_table("crawl_target")
