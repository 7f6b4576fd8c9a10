"""Queries for configured sources and their crawl state (cursor + health).

The runner reads and writes the cursor here in the same transaction as the
records of a batch; ``veille sources status`` reads the health columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from store.db import insert_ignore
from store.models import CrawlState, Source
from store.types import utcnow
from veille.config import SourceSettings


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


def touch(session: Session, state: CrawlState) -> None:
    state.updated_at = utcnow()
    session.add(state)


@dataclass(frozen=True)
class SourceHealth:
    """One row of ``veille sources status``."""

    name: str
    kind: str
    enabled: bool
    status: str
    last_success_at: object
    last_error_at: object
    last_error: str
    items_last_run: int
    items_today: int
    cursor: dict[str, object]


def health(session: Session) -> list[SourceHealth]:
    """Every known source with its state (``never_run`` when it has none yet)."""
    rows = session.exec(
        select(Source, CrawlState)
        .join(CrawlState, CrawlState.source_id == Source.id, isouter=True)  # type: ignore[arg-type]
        .order_by(Source.name)
    ).all()
    out = []
    for src, st in rows:
        st = st or CrawlState(source_id=src.id or 0)
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
            )
        )
    return out
