"""Queries for job changes: mentions still to read, idempotent JobChange writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from store.db import insert_ignore
from store.models import JobChange, Mention
from store.types import utcnow


def mentions_without_jobs(session: Session, limit: int = 200) -> list[Mention]:
    """Mentions the job-change stage has not read yet (``jobs_extracted_at`` NULL), oldest first."""
    stmt = (
        select(Mention)
        .where(col(Mention.jobs_extracted_at).is_(None))
        .order_by(col(Mention.id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def mark_jobs_extracted(session: Session, mention_ids: Sequence[int]) -> None:
    """Record that these mentions were read, so the next run skips them."""
    if mention_ids:
        session.execute(
            update(Mention)
            .where(col(Mention.id).in_(list(mention_ids)))
            .values(jobs_extracted_at=utcnow())
        )


def save_job_changes(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert JobChange rows, skipping existing ``dedupe_key``s; returns how many went in."""
    return insert_ignore(session, JobChange, list(rows), ["dedupe_key"])


def job_changes(session: Session, limit: int = 1000) -> list[JobChange]:
    return list(session.exec(select(JobChange).order_by(col(JobChange.id)).limit(limit)).all())
