"""Idempotent storage of mentions, their institutions and their grouping.

A mention's identity is ``(platform, platform_id)`` (UNIQUE): storing the
same batch twice inserts nothing. Copies of one story (retweets, reposts,
the same article syndicated by several feeds) share a content hash or a
canonical URL; each later copy gets ``duplicate_of_id`` = the first copy, so
counts that use ``duplicate_of_id IS NULL`` see the story once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from store.db import insert_ignore
from store.models import Institution, Mention, MentionInstitution, ProfileSnapshot
from veille.config import Settings


def ensure_institutions(session: Session, settings: Settings) -> dict[str, int]:
    """Mirror ours and the peers into ``institution``; return slug -> id."""
    ids: dict[str, int] = {}
    for i, inst in enumerate(settings.institutions()):
        values: dict[str, Any] = {
            "name": inst.name,
            "aliases": list(inst.aliases),
            "handles": {k: list(v) for k, v in inst.handles.items()},
            "query": inst.effective_query(),
            "is_self": i == 0,
        }
        # Insert-or-ignore first: concurrent crawls may mirror the same institution.
        insert_ignore(session, Institution, [{"slug": inst.slug, **values}], ["slug"])
        row = session.exec(select(Institution).where(Institution.slug == inst.slug)).one()
        if any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            session.add(row)
            session.flush()
        assert row.id is not None
        ids[inst.slug] = row.id
    return ids


@dataclass
class StoreResult:
    inserted: int = 0
    grouped: int = 0


_MENTION_COLUMNS = [c.name for c in Mention.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]


def _row(m: Mention) -> dict[str, Any]:
    return {name: getattr(m, name) for name in _MENTION_COLUMNS}


def store_mentions(
    session: Session, mentions: Sequence[tuple[Mention, Sequence[int]]]
) -> StoreResult:
    """Insert new mentions (skip known ones), link institutions, group copies."""
    result = StoreResult()
    if not mentions:
        return result
    table = Mention.__table__  # type: ignore[attr-defined]
    rows = [_row(m) for m, _ in mentions]
    dialect = session.get_bind().dialect.name
    stmt: Any = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    stmt = stmt.on_conflict_do_nothing(index_elements=["platform", "platform_id"]).returning(
        table.c.id, table.c.platform, table.c.platform_id
    )
    # executemany + RETURNING: SQLAlchemy batches it ("insertmanyvalues") from one cached
    # compiled statement, instead of compiling a new N-row VALUES clause per batch.
    result_rows = session.execute(stmt, rows).all()
    inserted = {(p, pid): i for i, p, pid in result_rows}
    result.inserted = len(inserted)
    if not inserted:
        return result

    links: list[dict[str, int]] = []
    new: list[tuple[int, Mention]] = []
    for m, institution_ids in mentions:
        mid = inserted.get((m.platform, m.platform_id))
        if mid is None:
            continue
        new.append((mid, m))
        links.extend({"mention_id": mid, "institution_id": i} for i in set(institution_ids))
    insert_ignore(session, MentionInstitution, links, ["mention_id", "institution_id"])
    result.grouped = _group(session, new)
    return result


def _group(session: Session, new: list[tuple[int, Mention]]) -> int:
    """Point each new copy at the first mention with its content hash or URL."""
    hashes = {m.content_hash for _, m in new if m.content_hash}
    urls = {m.url for _, m in new if m.url}
    if not hashes and not urls:
        return 0
    conds = []
    if hashes:
        conds.append(col(Mention.content_hash).in_(hashes))
    if urls:
        conds.append(col(Mention.url).in_(urls))
    existing = session.exec(
        select(Mention.id, Mention.content_hash, Mention.url, Mention.duplicate_of_id)
        .where(or_(*conds))
        .order_by(col(Mention.id))
    ).all()
    first_by_hash: dict[str, int] = {}
    first_by_url: dict[str, int] = {}
    for mid, h, url, dup in existing:
        root = dup or mid
        if root is None:
            continue
        if h:
            first_by_hash.setdefault(h, root)
        if url:
            first_by_url.setdefault(url, root)
    grouped = 0
    table = Mention.__table__  # type: ignore[attr-defined]
    for mid, m in new:
        candidates = [
            c
            for c in (first_by_hash.get(m.content_hash or ""), first_by_url.get(m.url or ""))
            if c is not None and c < mid
        ]
        if candidates:
            session.execute(
                update(table).where(table.c.id == mid).values(duplicate_of_id=min(candidates))
            )
            grouped += 1
    return grouped


def store_snapshots(session: Session, snapshots: Sequence[ProfileSnapshot]) -> int:
    """Insert profile snapshots, skipping identical re-fetches (profile_key + content_hash)."""
    table = ProfileSnapshot.__table__  # type: ignore[attr-defined]
    names = [c.name for c in table.columns if c.name != "id"]
    rows = [{n: getattr(s, n) for n in names} for s in snapshots]
    return insert_ignore(session, ProfileSnapshot, rows, ["profile_key", "content_hash"])


def count_mentions(session: Session, *, platform: str | None = None, unique: bool = False) -> int:
    """How many mentions are stored (``unique``: copies counted once)."""
    stmt = select(func.count()).select_from(Mention)
    if platform:
        stmt = stmt.where(Mention.platform == platform)
    if unique:
        stmt = stmt.where(col(Mention.duplicate_of_id).is_(None))
    return int(session.exec(stmt).one())


def mention_keys(session: Session) -> list[tuple[str, str, str, str]]:
    """Every mention as (platform, platform_id, content_hash, platform_id of its first copy).

    Independent of row ids, so two databases filled by different runs compare equal
    when they hold the same mentions grouped the same way.
    """
    rows = session.exec(
        select(  # type: ignore[call-overload]
            Mention.id,
            Mention.platform,
            Mention.platform_id,
            Mention.content_hash,
            Mention.duplicate_of_id,
        )
    ).all()
    by_id = {i: f"{p}:{pid}" for i, p, pid, _, _ in rows}
    return sorted((p, pid, h, by_id.get(d, "") if d else "") for _, p, pid, h, d in rows)


def mention_institution_slugs(session: Session) -> dict[tuple[str, str], set[str]]:
    """(platform, platform_id) -> institution slugs, for checks and reports."""
    rows = session.exec(
        select(Mention.platform, Mention.platform_id, Institution.slug)
        .join(MentionInstitution, MentionInstitution.mention_id == Mention.id)  # type: ignore[arg-type]
        .join(Institution, Institution.id == MentionInstitution.institution_id)  # type: ignore[arg-type]
    ).all()
    out: dict[tuple[str, str], set[str]] = {}
    for p, pid, slug in rows:
        out.setdefault((p, pid), set()).add(slug)
    return out
