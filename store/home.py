"""Figures of the home pages: each institution's days, mentions to triage, who spoke.

Why a module: the community manager's and the communications officer's
homes compare today with the usual and ourselves with peers; both read
per-institution daily counts (mentions, positive, negative) in one grouped
query, and the page draws the band and trends from them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, or_, select
from sqlmodel import Session

from store.report_queries import MI, M, bucket_expr


def daily_by_institution(
    session: Session, start: datetime, end: datetime, self_id: int
) -> dict[int, dict[str, tuple[int, int, int]]]:
    """``institution -> day -> (mentions, positive, negative)`` over ``[start, end)``.

    Mentions linked to no institution count for ours, as everywhere else.
    """
    day = bucket_expr(session, M.c.published_at, "day").label("day")
    inst = func.coalesce(MI.c.institution_id, literal(self_id)).label("inst")
    stmt = (
        select(
            inst,
            day,
            func.count().label("n"),
            func.sum(case((M.c.sentiment_label == "positive", 1), else_=0)).label("pos"),
            func.sum(case((M.c.sentiment_label == "negative", 1), else_=0)).label("neg"),
        )
        .select_from(M.outerjoin(MI, MI.c.mention_id == M.c.id))
        .where(M.c.published_at >= start, M.c.published_at < end, M.c.duplicate_of_id.is_(None))
        .group_by(inst, day)
    )
    out: dict[int, dict[str, tuple[int, int, int]]] = {}
    for r in session.execute(stmt):
        out.setdefault(int(r.inst), {})[str(r.day)] = (int(r.n), int(r.pos or 0), int(r.neg or 0))
    return out


def last_mention_at(session: Session) -> datetime | None:
    """When the newest mention was published (the homes' "today" on an old database)."""
    value: Any = session.execute(select(func.max(M.c.published_at))).scalar_one_or_none()
    if isinstance(value, str):  # SQLite without type info
        value = datetime.fromisoformat(value)
    return value if isinstance(value, datetime) else None


def untriaged_count(session: Session, start: datetime, end: datetime) -> int:
    """Mentions of the period a person must route: no team yet, or routing was unsure."""
    stmt = (
        select(func.count())
        .select_from(M)
        .where(
            M.c.published_at >= start,
            M.c.published_at < end,
            M.c.duplicate_of_id.is_(None),
            or_(M.c.team.is_(None), M.c.team_status == "triage"),
        )
    )
    return int(session.execute(stmt).scalar_one())
