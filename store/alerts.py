"""Queries behind spike detection and digests.

Detection needs per-institution counts in time buckets (SQL ``GROUP BY``),
the texts of one window (for top terms and sources) and a way to store an
alert exactly once: ``dedupe_key`` is UNIQUE and :func:`insert_alerts` goes
through :func:`store.db.insert_ignore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, desc, exists, func, literal, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from store.db import insert_ignore
from store.models import Alert
from store.report_queries import AL, MI, NEWS_PLATFORMS, M, about_self, bucket_expr


def _channel(news: bool) -> ColumnElement[bool]:
    if news:
        return M.c.platform.in_(NEWS_PLATFORMS)
    return M.c.platform.not_in(NEWS_PLATFORMS)


def _institution(institution_id: int, self_id: int) -> ColumnElement[bool]:
    if institution_id == self_id:
        return about_self(self_id)
    return exists().where(MI.c.mention_id == M.c.id, MI.c.institution_id == institution_id)


def bucket_counts(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    unit: str,
    news: bool,
    self_id: int,
) -> list[tuple[int, str, int, int]]:
    """``(institution_id, bucket, mentions, negative)`` for each non-empty bucket.

    Mentions linked to no institution count for ours (see
    :func:`store.report_queries.about_self`).
    """
    bucket = bucket_expr(session, M.c.published_at, unit).label("bucket")
    inst = func.coalesce(MI.c.institution_id, literal(self_id)).label("inst")
    stmt = (
        select(
            inst,
            bucket,
            func.count().label("n"),
            func.sum(case((M.c.sentiment_label == "negative", 1), else_=0)).label("neg"),
        )
        .select_from(M.outerjoin(MI, MI.c.mention_id == M.c.id))
        .where(
            M.c.published_at >= start,
            M.c.published_at < end,
            M.c.duplicate_of_id.is_(None),
            _channel(news),
        )
        .group_by(inst, bucket)
    )
    return [(int(r.inst), str(r.bucket), int(r.n), int(r.neg or 0)) for r in session.execute(stmt)]


def window_mentions(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    institution_id: int,
    self_id: int,
    news: bool | None,
    limit: int = 2000,
    negative_only: bool = False,
) -> list[dict[str, Any]]:
    """Texts and sources of one institution's window, most reached first."""
    conds = [
        M.c.published_at >= start,
        M.c.published_at < end,
        M.c.duplicate_of_id.is_(None),
        _institution(institution_id, self_id),
    ]
    if news is not None:
        conds.append(_channel(news))
    if negative_only:
        conds.append(M.c.sentiment_label == "negative")
    stmt = (
        select(
            M.c.id,
            M.c.platform,
            M.c.url,
            M.c.title,
            M.c.text,
            M.c.reach,
            M.c.author_key,
            M.c.author_handle,
            M.c.sentiment_label,
            M.c.team,
        )
        .where(and_(*conds))
        .order_by(desc(M.c.reach), desc(M.c.id))
        .limit(limit)
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def high_reach_negative(
    session: Session, start: datetime, end: datetime, min_reach: int
) -> list[dict[str, Any]]:
    """Negative mentions whose audience reaches the threshold, with their institutions."""
    stmt = (
        select(
            M.c.id,
            M.c.platform,
            M.c.url,
            M.c.title,
            M.c.text,
            M.c.reach,
            M.c.author_key,
            M.c.author_handle,
            M.c.published_at,
            M.c.team,
        )
        .where(
            M.c.published_at >= start,
            M.c.published_at < end,
            M.c.duplicate_of_id.is_(None),
            M.c.sentiment_label == "negative",
            M.c.reach >= min_reach,
        )
        .order_by(desc(M.c.reach))
        .limit(200)
    )
    rows = [dict(r._mapping) for r in session.execute(stmt)]
    if rows:
        links: dict[int, list[int]] = {}
        ids = [r["id"] for r in rows]
        for mid, iid in session.execute(
            select(MI.c.mention_id, MI.c.institution_id).where(MI.c.mention_id.in_(ids))
        ):
            links.setdefault(int(mid), []).append(int(iid))
        for r in rows:
            r["institution_ids"] = links.get(r["id"], [])
    return rows


def overlapping_alert_exists(
    session: Session, rule_family: str, institution_id: int | None, start: datetime, end: datetime
) -> bool:
    """True if an alert of the same family already covers part of this window.

    Rolling windows (a news day re-checked every hour) would otherwise raise
    the same episode again and again.
    """
    stmt = select(AL.c.id).where(
        AL.c.dedupe_key.like(f"{rule_family}:%"),
        AL.c.window_start < end,
        AL.c.window_end > start,
    )
    if institution_id is None:
        stmt = stmt.where(AL.c.institution_id.is_(None))
    else:
        stmt = stmt.where(AL.c.institution_id == institution_id)
    return session.execute(stmt.limit(1)).first() is not None


def insert_alerts(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Store alerts; a ``dedupe_key`` seen before is skipped. Returns how many are new."""
    return insert_ignore(session, Alert, list(rows), ["dedupe_key"])


def pending_alerts(session: Session) -> list[Alert]:
    """Open alerts no digest has carried yet, oldest first."""
    stmt = (
        select(Alert)
        .where(AL.c.status == "open", AL.c.digest_sent_at.is_(None))
        .order_by(AL.c.created_at, AL.c.id)
    )
    return list(session.execute(stmt).scalars())


def alerts_between(session: Session, start: datetime, end: datetime) -> list[Alert]:
    """Alerts created in a period (most recent first)."""
    stmt = (
        select(Alert)
        .where(AL.c.created_at >= start, AL.c.created_at < end)
        .order_by(desc(AL.c.created_at), AL.c.id)
    )
    return list(session.execute(stmt).scalars())


def mark_digest_sent(session: Session, ids: Sequence[int], when: datetime) -> int:
    """Record that a digest carried these alerts, so the next one does not repeat them."""
    if not ids:
        return 0
    session.execute(AL.update().where(AL.c.id.in_(list(ids))).values(digest_sent_at=when))
    return len(ids)


def mentions_by_ids(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Sample mentions cited by alerts, for digests (text is shown, escaped)."""
    if not ids:
        return {}
    stmt = select(
        M.c.id,
        M.c.platform,
        M.c.url,
        M.c.title,
        M.c.text,
        M.c.reach,
        M.c.author_key,
        M.c.author_handle,
        M.c.published_at,
        M.c.sentiment_label,
    ).where(M.c.id.in_(list(ids)))
    return {int(r.id): dict(r._mapping) for r in session.execute(stmt)}
