"""Frozen report data: what a past report showed, kept through retention.

Retention (``store.retention``) blanks the raw text of old mentions but keeps
every column that aggregates use. A report that also shows texts (top
mentions) would change after a purge, so retention freezes the report's data
first; reports read :func:`get` for a period and, when present, use that
payload instead of the live query. Freezing is first-write-wins: a period
that was frozen is never overwritten by data computed after a purge.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from store.db import insert_ignore
from store.models import ReportSnapshot
from store.types import utcnow

#: Kind of the weekly monitoring report's frozen data (written by retention, read by reports).
WEEKLY = "weekly"


def freeze(
    session: Session, kind: str, period: str, payload: dict[str, Any], institution: str = ""
) -> bool:
    """Store ``payload`` for (kind, period, institution) unless already frozen.

    Returns True when this call stored it. ``payload`` must be JSON-serialisable
    (dates as ISO strings) so it reads back equal.
    """
    row = {
        "kind": kind,
        "period": period,
        "institution": institution,
        "payload": payload,
        "frozen_at": utcnow(),
    }
    return insert_ignore(session, ReportSnapshot, [row], ["kind", "period", "institution"]) == 1


def get(session: Session, kind: str, period: str, institution: str = "") -> dict[str, Any] | None:
    """The frozen payload of a period, or None when the report is still live."""
    row = session.exec(
        select(ReportSnapshot).where(
            ReportSnapshot.kind == kind,
            ReportSnapshot.period == period,
            ReportSnapshot.institution == institution,
        )
    ).first()
    return None if row is None else dict(row.payload)


def is_frozen(session: Session, kind: str, period: str, institution: str = "") -> bool:
    return get(session, kind, period, institution) is not None


def periods(session: Session, kind: str, institution: str = "") -> list[str]:
    """Every frozen period of ``kind``, newest first (the report archive)."""
    rows = session.exec(
        select(ReportSnapshot.period).where(
            ReportSnapshot.kind == kind, ReportSnapshot.institution == institution
        )
    ).all()
    return sorted(rows, reverse=True)
