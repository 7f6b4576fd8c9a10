"""Queries for configured sources, their targets and their crawl state (cursors + health).

The runner reads and writes each target's cursor here in the same transaction
as the records of a batch; ``veille sources status``, ``/health`` and the
admin page read the health columns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from store.db import insert_ignore
from store.models import CrawlState, CrawlTarget, RejectedItem, Source
from store.types import utcnow
from veille.config import SourceSettings

#: Statuses that mean a target (or a whole source) is not working.
FAILED = ("down", "blocked", "rate_limited")


def ensure_source(session: Session, cfg: SourceSettings) -> int:
    """Mirror one configured source into the ``source`` table; return its id."""
    settings = cfg.model_dump(mode="json", exclude={"name", "kind", "query", "enabled"})
    # Insert-or-ignore first: several workers may start the same source at once.
    insert_ignore(
        session,
        Source,
        [
            {
                "name": cfg.name,
                "kind": cfg.kind,
                "query": cfg.query,
                "settings": settings,
                "enabled": cfg.enabled,
            }
        ],
        ["name"],
    )
    row = session.exec(select(Source).where(Source.name == cfg.name)).one()
    if (row.kind, row.query, row.settings, row.enabled) != (
        cfg.kind,
        cfg.query,
        settings,
        cfg.enabled,
    ):
        row.kind, row.query, row.settings, row.enabled = cfg.kind, cfg.query, settings, cfg.enabled
        session.add(row)
        session.flush()
    assert row.id is not None
    return row.id


def get_state(session: Session, source_id: int, *, for_update: bool = False) -> CrawlState:
    """The source's state, created on first use (status ``never_run``)."""
    stmt = select(CrawlState).where(CrawlState.source_id == source_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    state = session.exec(stmt).first()
    if state is None:
        insert_ignore(session, CrawlState, [{"source_id": source_id}], ["source_id"])
        state = session.exec(stmt).one()
    return state


def roll_budget_day(state: CrawlState, today: date) -> None:
    """Daily budgets restart at UTC midnight."""
    if state.budget_day != today:
        state.budget_day = today
        state.items_today = 0


def touch(session: Session, state: CrawlState | CrawlTarget) -> None:
    state.updated_at = utcnow()
    session.add(state)


# ---------------------------------------------------------------------------
# Targets: one cursor and one health per feed, stream, term or page
# ---------------------------------------------------------------------------


def target_key(target: str) -> str:
    """The stored key of a target: itself, or ``sha256:<hex>`` when longer than the column.

    (Migration 0005 keeps a frozen copy of this rule.)
    """
    return target if len(target) <= 512 else "sha256:" + hashlib.sha256(target.encode()).hexdigest()


def ensure_targets(
    session: Session, source_id: int, labels: Sequence[str]
) -> dict[str, CrawlTarget]:
    """The rows of the source's current targets (created when new); others are removed.

    Returns ``label -> row``. A target removed from the configuration loses its
    cursor and health; adding it back starts it afresh.
    """
    keys = {target_key(label): label for label in labels}
    insert_ignore(
        session,
        CrawlTarget,
        [{"source_id": source_id, "key": k, "label": v, "cursor": {}} for k, v in keys.items()],
        ["source_id", "key"],
    )
    session.execute(
        delete(CrawlTarget).where(
            col(CrawlTarget.source_id) == source_id, col(CrawlTarget.key).not_in(list(keys))
        )
    )
    rows = session.exec(select(CrawlTarget).where(CrawlTarget.source_id == source_id)).all()
    return {keys[r.key]: r for r in rows if r.key in keys}


def get_target(
    session: Session, source_id: int, label: str, *, for_update: bool = False
) -> CrawlTarget:
    """One target's row (created on first use)."""
    key = target_key(label)
    stmt = select(CrawlTarget).where(CrawlTarget.source_id == source_id, CrawlTarget.key == key)
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = session.exec(stmt).first()
    if row is None:
        insert_ignore(
            session,
            CrawlTarget,
            [{"source_id": source_id, "key": key, "label": label, "cursor": {}}],
            ["source_id", "key"],
        )
        row = session.exec(stmt).one()
    return row


# ---------------------------------------------------------------------------
# Health, as `veille sources status`, /health and the admin page show it
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetHealth:
    """A target that is not working (or that worked with a problem)."""

    label: str
    status: str
    last_error: str
    last_error_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int
    retry_at: datetime | None


@dataclass(frozen=True)
class SourceHealth:
    """One row of ``veille sources status``."""

    name: str
    kind: str
    enabled: bool
    status: str
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str
    items_last_run: int
    items_today: int
    cursor: dict[str, object]
    targets: int = 0
    #: Targets whose last run failed or kept items despite a problem.
    failing: list[TargetHealth] = field(default_factory=list)
    #: Items in quarantine for this source.
    rejected: int = 0

    @property
    def summary(self) -> str:
        """``degraded (2/5 targets failing)``: the status with what it counts."""
        if self.status == "degraded" and self.targets:
            return f"degraded ({len(self.failing)}/{self.targets} targets failing)"
        return self.status

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the /health details)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "enabled": self.enabled,
            "status": self.status,
            "targets": self.targets,
            "failing_targets": [
                {
                    "target": t.label,
                    "status": t.status,
                    "error": t.last_error[:300],
                    "since": t.last_error_at.isoformat() if t.last_error_at else None,
                    "consecutive_failures": t.consecutive_failures,
                }
                for t in self.failing
            ],
            "rejected_items": self.rejected,
            "last_success_at": self.last_success_at.isoformat() if self.last_success_at else None,
            "last_error_at": self.last_error_at.isoformat() if self.last_error_at else None,
            "last_error": self.last_error[:300],
            "items_last_run": self.items_last_run,
        }


def health(session: Session) -> list[SourceHealth]:
    """Every known source with its state (``never_run`` when it has none yet)."""
    rows = session.exec(
        select(Source, CrawlState)
        .join(CrawlState, CrawlState.source_id == Source.id, isouter=True)  # type: ignore[arg-type]
        .order_by(Source.name)
    ).all()
    targets: dict[int, list[CrawlTarget]] = {}
    for t in session.exec(select(CrawlTarget).order_by(col(CrawlTarget.id))).all():
        targets.setdefault(t.source_id, []).append(t)
    rejected = dict(
        session.exec(
            select(RejectedItem.source_id, func.count()).group_by(col(RejectedItem.source_id))
        ).all()
    )
    out = []
    for src, st in rows:
        st = st or CrawlState(source_id=src.id or 0)
        mine = targets.get(src.id or 0, [])
        out.append(
            SourceHealth(
                name=src.name,
                kind=src.kind,
                enabled=src.enabled,
                status=st.status,
                last_success_at=st.last_success_at,
                last_error_at=st.last_error_at,
                last_error=st.last_error,
                items_last_run=st.items_last_run,
                items_today=st.items_today,
                cursor=dict(st.cursor or {}),
                targets=len(mine),
                failing=[
                    TargetHealth(
                        t.label,
                        t.status,
                        t.last_error,
                        t.last_error_at,
                        t.last_success_at,
                        t.consecutive_failures,
                        t.retry_at,
                    )
                    for t in mine
                    if t.status in (*FAILED, "degraded")
                ],
                rejected=int(rejected.get(src.id or 0, 0)),
            )
        )
    return out


def health_details(session: Session, configured: Sequence[str] | None = None) -> dict[str, Any]:
    """The sources part of ``/health``: each source's state and what fails.

    ``configured`` limits it to the sources of the current configuration.
    """
    rows = [h for h in health(session) if configured is None or h.name in configured]
    return {
        "sources": [h.as_dict() for h in rows],
        "sources_failing": [h.name for h in rows if h.enabled and h.status in FAILED],
        "sources_degraded": [h.name for h in rows if h.enabled and h.status == "degraded"],
    }
