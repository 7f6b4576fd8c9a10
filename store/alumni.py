"""Alumni records: import (idempotent, audited) and read access."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from store.models import Alumnus, AuditEvent
from store.types import utcnow


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Rows of people who were erased (RGPD Art. 17): never re-created.
    refused: int = 0


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return " | ".join(map(str, value))
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def upsert_alumni(
    session: Session,
    rows: Iterable[Mapping[str, Any]],
    *,
    actor: str,
    is_erased: Callable[[str], bool] | None = None,
) -> ImportSummary:
    """Create or update alumni by their office id; audit every changed field.

    Cells absent from a row leave the stored value alone, so a partial file
    never blanks data. Re-importing the same file writes nothing. An id that
    ``is_erased`` recognises and that is no longer stored belongs to someone
    whose data was erased: the row is refused, not re-created.
    """
    rows = list(rows)
    ids = [str(r["id"]) for r in rows]
    existing = {
        a.id: a
        for chunk in _chunks(ids, 500)
        for a in session.exec(select(Alumnus).where(col(Alumnus.id).in_(chunk)))
    }
    summary = ImportSummary()
    now = utcnow()
    for row in rows:
        ident = str(row["id"])
        values = {k: v for k, v in row.items() if k != "id"}
        if "email" in values:
            values["emails"] = values.pop("email")
        alumnus = existing.get(ident)
        if alumnus is None and is_erased is not None and is_erased(ident):
            summary.refused += 1
            continue
        if alumnus is None:
            alumnus = Alumnus(id=ident, created_at=now, updated_at=now, **values)
            session.add(alumnus)
            session.add(
                AuditEvent(
                    at=now,
                    actor=actor,
                    action="import",
                    entity="alumnus",
                    entity_id=ident,
                    details={"created": sorted(values)},
                )
            )
            summary.created += 1
            continue
        changed = False
        for field, new in values.items():
            old = getattr(alumnus, field)
            if old == new:
                continue
            setattr(alumnus, field, new)
            session.add(
                AuditEvent(
                    at=now,
                    actor=actor,
                    action="import",
                    entity="alumnus",
                    entity_id=ident,
                    field=field,
                    old_value=_as_text(old),
                    new_value=_as_text(new),
                )
            )
            changed = True
        if changed:
            alumnus.updated_at = now
            summary.updated += 1
        else:
            summary.unchanged += 1
    session.flush()
    return summary


def iter_alumni(session: Session) -> Iterator[Alumnus]:
    """All alumni in id order (export, matching)."""
    yield from session.exec(select(Alumnus).order_by(col(Alumnus.id)))


def count_alumni(session: Session) -> int:
    from sqlalchemy import func

    return int(session.exec(select(func.count()).select_from(Alumnus)).one())


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
