"""Suggested alumni updates: creation (idempotent) and supersession.

A suggestion is one field of one alumnus with the old and new value, a
confidence, the evidence of the match and the provenance of the new value.
Creation goes through :func:`store.db.insert_ignore` on ``dedupe_key``, so
re-running the stage changes nothing. Nothing here writes to Alumnus.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from store.db import insert_ignore
from store.models import Alumnus, JobChange, Mention, ProfileSnapshot, Suggestion


def dedupe_key(alumnus_id: str, field: str, new_value: str, source_key: str) -> str:
    """sha256 of who, which field, what value, from which source."""
    raw = "\x1f".join((alumnus_id, field, new_value, source_key))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def linked_snapshots(session: Session) -> list[ProfileSnapshot]:
    """The latest linked snapshot of each profile (older ones are history)."""
    rows = session.exec(
        select(ProfileSnapshot)
        .where(col(ProfileSnapshot.alumnus_id).is_not(None))
        .order_by(col(ProfileSnapshot.profile_key), col(ProfileSnapshot.fetched_at).desc())
    ).all()
    latest: dict[str, ProfileSnapshot] = {}
    for snap in rows:
        latest.setdefault(snap.profile_key, snap)
    return sorted(latest.values(), key=lambda s: s.id or 0)


def linked_job_changes(session: Session) -> list[tuple[JobChange, Mention | None]]:
    """Job changes linked to an alumnus, with their mention (for provenance)."""
    rows = session.exec(
        select(JobChange).where(col(JobChange.alumnus_id).is_not(None)).order_by(col(JobChange.id))
    ).all()
    out: list[tuple[JobChange, Mention | None]] = []
    for jc in rows:
        mention = session.get(Mention, jc.mention_id) if jc.mention_id else None
        out.append((jc, mention))
    return out


def alumni_by_id(session: Session, ids: Iterable[str]) -> dict[str, Alumnus]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.exec(select(Alumnus).where(col(Alumnus.id).in_(wanted))).all()
    return {a.id: a for a in rows}


def add_suggestions(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert suggestions, skipping those already there; returns how many are new."""
    return insert_ignore(session, Suggestion, list(rows), ["dedupe_key"])


def supersede_older(session: Session, pairs: Iterable[tuple[str, str]]) -> int:
    """Keep one pending suggestion per (alumnus, field): the newest source wins.

    "Newest" is the provenance ``fetched_at`` (ISO text), then creation order;
    the others become ``superseded``. Returns how many changed.
    """
    changed = 0
    for alumnus_id, field in sorted(set(pairs)):
        pending = session.exec(
            select(Suggestion)
            .where(Suggestion.alumnus_id == alumnus_id)
            .where(Suggestion.field == field)
            .where(Suggestion.status == "pending")
        ).all()
        if len(pending) < 2:
            continue
        winner = max(
            pending,
            key=lambda s: (str((s.provenance or {}).get("fetched_at", "")), s.id or 0),
        )
        for s in pending:
            if s.id != winner.id:
                s.status = "superseded"
                s.decided_at = datetime.now().astimezone()
                s.reviewer = "veille:newer-source"
                session.add(s)
                changed += 1
    return changed


def suggestions_for(session: Session, alumnus_id: str) -> list[Suggestion]:
    """All suggestions of one alumnus, oldest first (UI and tests)."""
    return list(
        session.exec(
            select(Suggestion)
            .where(Suggestion.alumnus_id == alumnus_id)
            .order_by(col(Suggestion.id))
        ).all()
    )
