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
