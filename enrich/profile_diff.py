"""Snapshot diff -> JobChange: a profile whose employer or title changed.

Deterministic ``dedupe_key`` (profile, new employer, new title, new snapshot
hash) means re-running the diff over the same snapshots adds nothing.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from store import jobs as store_jobs
from store import profiles as store_profiles
from store.models import ProfileSnapshot

DIFF_VERSION = "snapshot_diff/1"


def _norm(value: Any) -> str:
    return " ".join(str(value or "").split()).casefold()


def _to_date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def diff_row(
    old: ProfileSnapshot | None, new: ProfileSnapshot, *, now: datetime | None = None
) -> dict[str, Any] | None:
    """The JobChange row for ``old`` -> ``new``, or None when employer and title are unchanged.

    A first snapshot (``old`` None) counts as a change only when it carries a start
    date or comes from an appointment feed: otherwise it is the current job, not a move.
    """
    p_new = new.person or {}
    employer, title = p_new.get("employer"), p_new.get("job_title")
    if not employer and not title:
        return None
    if old is None:
        # an appointment feed item *is* a move; elsewhere a first snapshot is the current
        # job unless it says when it started
        if new.source_kind != "appointments" and not p_new.get("start_date"):
            return None
        before: dict[str, Any] = {}
    else:
        before = old.person or {}
        if _norm(before.get("employer")) == _norm(employer) and _norm(
            before.get("job_title")
        ) == _norm(title):
            return None
    key = hashlib.sha256(
        "\x1f".join(
            ["snapshot", new.profile_key, _norm(employer), _norm(title), new.content_hash]
        ).encode()
    ).hexdigest()
    return {
        "dedupe_key": key,
        "snapshot_id": new.id,
        "person_name": p_new.get("name") or "",
        "organization": employer,
        "title": title,
        "start_date": _to_date(p_new.get("start_date")),
        "method": DIFF_VERSION,
        "evidence": {
            "profile_key": new.profile_key,
            "url": new.url,
            "source_method": new.method,
            "fetched_at": new.fetched_at.isoformat() if new.fetched_at else None,
            "previous_snapshot_id": old.id if old else None,
            "before": {"employer": before.get("employer"), "job_title": before.get("job_title")},
            "after": {"employer": employer, "job_title": title},
        },
        "detected_at": now or datetime.now(UTC),
    }


def diff_pending_snapshots(
    session: Session, limit: int = 5000, *, now: datetime | None = None
) -> int:
    """Diff every snapshot not yet diffed against its predecessor; returns JobChanges added.

    ``now`` dates the changes found (the pipeline's clock; the wall clock by default).
    """
    rows = []
    for snap in store_profiles.snapshots_needing_diff(session, limit=limit):
        row = diff_row(store_profiles.previous_snapshot(session, snap), snap, now=now)
        if row is not None:
            rows.append(row)
    return store_jobs.save_job_changes(session, rows)
