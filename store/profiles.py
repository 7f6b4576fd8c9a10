"""Queries for profile snapshots: idempotent saves and the pairs a diff needs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.db import insert_ignore
from store.models import JobChange, ProfileSnapshot

_COLUMNS = (
    "profile_key",
    "source_kind",
    "source_id",
    "url",
    "method",
    "fetched_at",
    "person",
    "raw",
    "content_hash",
)


def snapshot_row(snapshot: ProfileSnapshot) -> dict[str, Any]:
    return {name: getattr(snapshot, name) for name in _COLUMNS}


def save_snapshots(session: Session, snapshots: Sequence[ProfileSnapshot]) -> int:
    """Store snapshots; an identical re-fetch (same profile_key + content_hash) is skipped."""
    rows = [snapshot_row(s) for s in snapshots]
    return insert_ignore(session, ProfileSnapshot, rows, ["profile_key", "content_hash"])


def snapshots_needing_diff(session: Session, limit: int = 5000) -> list[ProfileSnapshot]:
    """Snapshots that may still yield a JobChange, newest first.

    That is: no JobChange points at them yet, and either their profile has an
    earlier snapshot to compare with or they come from a source whose first
    snapshot can be a move (appointment feeds; ORCID/schema.org with a start
    date). A LinkedIn row seen once cannot be a move, so it is skipped. Without
    a "diffed at" column, a snapshot whose diff found nothing is looked at
    again on later runs; newest first keeps recent changes from starving.
    """
    done = select(JobChange.snapshot_id).where(col(JobChange.snapshot_id).is_not(None))
    multi = (
        select(ProfileSnapshot.profile_key)
        .group_by(col(ProfileSnapshot.profile_key))
        .having(func.count() > 1)
    )
    stmt = (
        select(ProfileSnapshot)
        .where(col(ProfileSnapshot.id).not_in(done))
        .where(
            col(ProfileSnapshot.profile_key).in_(multi)
            | (col(ProfileSnapshot.source_kind) != "linkedin_export")
        )
        .order_by(col(ProfileSnapshot.fetched_at).desc(), col(ProfileSnapshot.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def previous_snapshot(session: Session, snapshot: ProfileSnapshot) -> ProfileSnapshot | None:
    """The snapshot of the same profile fetched just before this one."""
    stmt = (
        select(ProfileSnapshot)
        .where(ProfileSnapshot.profile_key == snapshot.profile_key)
        .where(col(ProfileSnapshot.id) != snapshot.id)
        .where(
            (col(ProfileSnapshot.fetched_at) < snapshot.fetched_at)
            | (
                (col(ProfileSnapshot.fetched_at) == snapshot.fetched_at)
                & (col(ProfileSnapshot.id) < (snapshot.id or 0))
            )
        )
        .order_by(col(ProfileSnapshot.fetched_at).desc(), col(ProfileSnapshot.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def snapshots_for(session: Session, profile_key: str) -> list[ProfileSnapshot]:
    stmt = (
        select(ProfileSnapshot)
        .where(ProfileSnapshot.profile_key == profile_key)
        .order_by(col(ProfileSnapshot.fetched_at), col(ProfileSnapshot.id))
    )
    return list(session.exec(stmt).all())
