"""Small read-only facts about what is stored (for CLI summaries and the demo)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from store.models import Mention


def latest_mention_at(session: Session) -> datetime | None:
    """Publication time of the newest stored mention, if any."""
    return session.exec(select(func.max(Mention.published_at))).one()


def count_mentions(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Mention)).one())


def busiest_day(session: Session) -> datetime | None:
    """A publication time on the day with the most original mentions (demo reports)."""
    day = func.date(Mention.published_at)
    row = session.exec(
        select(func.min(Mention.published_at))
        .where(Mention.duplicate_of_id.is_(None))  # type: ignore[union-attr]
        .group_by(day)
        .order_by(func.count().desc(), day.desc())
        .limit(1)
    ).first()
    return row
