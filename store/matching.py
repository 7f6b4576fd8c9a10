"""Queries of the matching stage: who is unlinked, what identifies an alumnus.

The matcher itself (:mod:`enrich.matching`) works on data frames; this module
turns rows into those frames and writes the links back (snapshot, job change
and mention ``alumnus_id`` + probability + evidence). It never writes to
:class:`~store.models.Alumnus`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from store.models import Alumnus, JobChange, MatchModel, MatchState, Mention, ProfileSnapshot
from store.types import utcnow
from veille.alumni_csv import COLUMNS as ALUMNI_CSV_COLUMNS

ALUMNI_COLUMNS = ALUMNI_CSV_COLUMNS


def alumni_rows(session: Session) -> list[dict[str, Any]]:
    """Every alumnus who has not opted out, in alumni-import columns, by id."""
    rows = session.exec(
        select(Alumnus).where(col(Alumnus.opt_out).is_(False)).order_by(col(Alumnus.id))
    ).all()
    return [
        {
            "id": a.id,
            "first_name": a.first_name,
            "last_name": a.last_name,
            "birth_name": a.birth_name,
            "birth_date": a.birth_date.isoformat() if a.birth_date else "",
            "email": a.emails[0] if a.emails else "",
            "city": a.city,
            "postcode": a.postcode,
            "address": a.address,
            "graduation_year": str(a.graduation_year or ""),
            "program": a.program,
            "employer": a.employer,
            "job_title": a.job_title,
            "linkedin_url": a.linkedin_url,
            "orcid": a.orcid,
        }
        for a in rows
    ]


def identity_keys(session: Session) -> list[tuple[str, str, str]]:
    """(kind, value, alumnus_id) of every exact identifier an alumnus is known by.

    Kinds: ``handle:<platform>`` (stored handles), ``url`` (profile URLs,
    LinkedIn, ORCID URL, ``sameAs`` of snapshots already linked to them) and
    ``orcid``.
    """
    out: list[tuple[str, str, str]] = []
    for a in session.exec(select(Alumnus).where(col(Alumnus.opt_out).is_(False))).all():
        for platform, handle in (a.handles or {}).items():
            if handle:
                out.append((f"handle:{platform}", handle, a.id))
        for url in a.profile_urls or []:
            out.append(("url", url, a.id))
        if a.linkedin_url:
            out.append(("url", a.linkedin_url, a.id))
        if a.orcid:
            out.append(("orcid", a.orcid, a.id))
    linked = session.exec(
        select(ProfileSnapshot.alumnus_id, ProfileSnapshot.url, ProfileSnapshot.person).where(
            col(ProfileSnapshot.alumnus_id).is_not(None)
        )
    ).all()
    for alumnus_id, url, person in linked:
        if alumnus_id is None:
            continue
        if url:
            out.append(("url", url, alumnus_id))
        same_as = (person or {}).get("same_as") or []
        for link in [same_as] if isinstance(same_as, str) else same_as:
            if isinstance(link, str) and link:
                out.append(("url", link, alumnus_id))
    return out


def unmatched_snapshots(session: Session, limit: int | None = None) -> list[ProfileSnapshot]:
    """Snapshots never examined by the matcher (no alumnus, no probability yet)."""
    stmt = (
        select(ProfileSnapshot)
        .where(col(ProfileSnapshot.alumnus_id).is_(None))
        .where(col(ProfileSnapshot.match_probability).is_(None))
        .order_by(col(ProfileSnapshot.id))
    )
    if limit:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt).all())


def linked_snapshot_pairs(session: Session) -> list[tuple[str, str]]:
    """(alumnus_id, snapshot id) of existing links, kept as they are."""
    rows = session.exec(
        select(ProfileSnapshot.alumnus_id, ProfileSnapshot.id).where(
            col(ProfileSnapshot.alumnus_id).is_not(None)
        )
    ).all()
    return [(str(a), str(i)) for a, i in rows if a is not None]


def linked_snapshot_people(session: Session) -> list[tuple[int, dict[str, Any], str]]:
    """(snapshot id, person, url) of every linked snapshot: evidence pooled per alumnus."""
    rows = session.exec(
        select(ProfileSnapshot.id, ProfileSnapshot.person, ProfileSnapshot.url).where(
            col(ProfileSnapshot.alumnus_id).is_not(None)
        )
    ).all()
    return [(int(i), dict(p or {}), u or "") for i, p, u in rows if i is not None]


def set_snapshot_match(
    session: Session,
    snapshot_id: int,
    alumnus_id: str | None,
    probability: float,
    evidence: dict[str, Any],
) -> None:
    """Record the matcher's verdict: a link, or the best probability seen."""
    session.execute(
        update(ProfileSnapshot)
        .where(col(ProfileSnapshot.id) == snapshot_id)
        .values(alumnus_id=alumnus_id, match_probability=probability, match_evidence=evidence)
        # no per-call scan of the session's loaded snapshots: O(n^2) over a weekly batch
        .execution_options(synchronize_session=False)
    )


def unmatched_job_changes(session: Session) -> list[JobChange]:
    """Job changes with a person name but no alumnus, never examined."""
    return list(
        session.exec(
            select(JobChange)
            .where(col(JobChange.alumnus_id).is_(None))
            .where(col(JobChange.match_probability).is_(None))
            .where(col(JobChange.person_name) != "")
            .order_by(col(JobChange.id))
        ).all()
    )


def set_job_change_match(
    session: Session,
    job_change_id: int,
    alumnus_id: str | None,
    probability: float,
    evidence: dict[str, Any],
) -> None:
    """Link a job change (evidence of the match goes under ``evidence["match"]``)."""
    jc = session.get(JobChange, job_change_id)
    if jc is None:
        return
    jc.alumnus_id = alumnus_id
    jc.match_probability = probability
    jc.evidence = {**(jc.evidence or {}), "match": evidence}
    session.add(jc)


def unlinked_mention_authors(
    session: Session, after_id: int = 0
) -> list[tuple[int, str, str, str]]:
    """(mention id, platform, handle, display name) of unlinked mentions after an id."""
    rows = session.exec(
        select(Mention.id, Mention.platform, Mention.author_handle, Mention.author_name)
        .where(col(Mention.alumnus_id).is_(None))
        .where(col(Mention.id) > after_id)
        .order_by(col(Mention.id))
    ).all()
    return [(int(i), p, h or "", n or "") for i, p, h, n in rows if i is not None]


def link_mentions(session: Session, mention_ids: Sequence[int], alumnus_id: str) -> int:
    """Set ``Mention.alumnus_id``; returns how many rows changed."""
    if not mention_ids:
        return 0
    result: Any = session.execute(
        update(Mention)
        .where(col(Mention.id).in_(list(mention_ids)))
        .where(col(Mention.alumnus_id).is_(None))
        .values(alumnus_id=alumnus_id)
    )
    return int(result.rowcount or 0)


def max_mention_id(session: Session) -> int:
    ids: Iterable[int | None] = session.exec(
        select(Mention.id).order_by(col(Mention.id).desc()).limit(1)
    ).all()
    return next((int(i) for i in ids if i is not None), 0)


def snapshot_alumnus(session: Session, snapshot_id: int | None) -> tuple[str, float] | None:
    """(alumnus id, probability) of a linked snapshot, else None."""
    if snapshot_id is None:
        return None
    # Read from the database, not the session's copy: set_snapshot_match
    # updates rows without refreshing loaded objects.
    row = session.exec(
        select(ProfileSnapshot.alumnus_id, ProfileSnapshot.match_probability).where(
            col(ProfileSnapshot.id) == snapshot_id
        )
    ).first()
    if row is None or row[0] is None:
        return None
    return str(row[0]), float(row[1] or 1.0)


# ---------------------------------------------------------------------------
# The model and the stage's bookkeeping, shared by every host (rows, not files)
# ---------------------------------------------------------------------------


def current_model(session: Session) -> MatchModel | None:
    """The model in use: the newest row (older rows are kept as history)."""
    return session.exec(select(MatchModel).order_by(col(MatchModel.id).desc()).limit(1)).first()


def add_model(
    session: Session, version: str, params: dict[str, Any], *, source: str, trained_by: str
) -> MatchModel:
    """Store a newly trained model; it becomes the one in use."""
    row = MatchModel(version=version, params=params, source=source, trained_by=trained_by)
    session.add(row)
    session.flush()
    return row


def model_count(session: Session) -> int:
    return len(session.exec(select(MatchModel.id)).all())


def get_state(session: Session, key: str) -> dict[str, Any]:
    row = session.get(MatchState, key)
    return dict(row.value or {}) if row is not None else {}


def set_state(session: Session, key: str, value: dict[str, Any]) -> None:
    row = session.get(MatchState, key)
    if row is None:
        row = MatchState(key=key, value=value)
    else:
        row.value = value
        row.updated_at = utcnow()
    session.add(row)


def all_snapshot_rows(session: Session) -> list[ProfileSnapshot]:
    """Every profile snapshot (linked or not): what a retraining learns from."""
    return list(session.exec(select(ProfileSnapshot).order_by(col(ProfileSnapshot.id))).all())
