"""Queries of the sentiment stage: which mentions wait, and saving their tags.

Kept in ``store/`` (the only door to the database) so that the stage, the
CLI and the web UI share one implementation on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from store.models import Mention


@dataclass(frozen=True)
class PendingMention:
    """What the tagger needs from a mention."""

    id: int
    text: str
    lang: str | None


@dataclass(frozen=True)
class SentimentRow:
    """Tags for one mention, as written back by :func:`save_sentiment`."""

    mention_id: int
    lang: str | None
    label: str
    score: float
    model: str
    uncertain: bool


def mention_text(title: str, text: str) -> str:
    """Text the model reads: the body, with the title first when both exist."""
    title, text = (title or "").strip(), (text or "").strip()
    if title and text and not text.startswith(title):
        return f"{title}. {text}"
    return text or title


def pending_for_sentiment(session: Session, limit: int, after_id: int = 0) -> list[PendingMention]:
    """Mentions not tagged yet (``sentiment_label`` NULL), oldest id first."""
    stmt = (
        select(Mention.id, Mention.title, Mention.text, Mention.lang)
        .where(col(Mention.sentiment_label).is_(None))
        .where(col(Mention.id) > after_id)
        .order_by(col(Mention.id))
        .limit(limit)
    )
    return [
        PendingMention(id=int(mid or 0), text=mention_text(title, text), lang=lang)
        for mid, title, text, lang in session.exec(stmt).all()
    ]


def count_pending_sentiment(session: Session) -> int:
    """How many mentions still wait for sentiment."""
    stmt = select(func.count()).select_from(Mention).where(col(Mention.sentiment_label).is_(None))
    return int(session.exec(stmt).one())


def save_sentiment(session: Session, rows: Sequence[SentimentRow]) -> int:
    """Write tags; a language already on the mention (from the platform) is kept."""
    for row in rows:
        values: dict[str, object] = {
            "sentiment_label": row.label,
            "sentiment_score": float(row.score),
            "sentiment_model": row.model,
            "sentiment_uncertain": bool(row.uncertain),
            "lang": func.coalesce(Mention.lang, row.lang),
        }
        session.execute(update(Mention).where(col(Mention.id) == row.mention_id).values(values))
    return len(rows)
