"""The mentions explorer: veille's query language plus filters, sorted and paged.

Why the query is evaluated in Python: the query language (phrases, NEAR,
prefixes, elisions, hashtags) is :mod:`veille.query`, the same one the
crawlers and brand reports use, and no SQL dialect evaluates it. The SQL
filters (platform, period, institution, language, sentiment, team, author
kind) narrow the rows first; then at most ``scan_limit`` of them are read
(id and text only) to apply the query, and only the page is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_
from sqlmodel import Session, col, select

from store.models import Mention, MentionInstitution
from veille.query import Document, parse

SORTS = ("date", "reach")
AUTHOR_KINDS = ("alumnus", "institutional", "public")
#: Rows read to evaluate a query; the page says when the search stopped there.
SCAN_LIMIT = 20_000


#: The team filter's value for "to triage": no team yet, or a route below the
#: confidence threshold that a person must confirm (``team_status == "triage"``).
TO_TRIAGE = "triage"


def to_triage() -> Any:
    """Mentions a person must route: routing left them open or was unsure."""
    return or_(col(Mention.team).is_(None), col(Mention.team_status) == "triage")


@dataclass
class MentionFilter:
    """What the explorer shows: every field optional."""

    query: str = ""
    platform: str = ""
    start: date | None = None
    end: date | None = None
    institution_id: int | None = None
    lang: str = ""
    sentiment: str = ""
    team: str = ""
    author_kind: str = ""
    #: (platform, handle) of the institutions' own accounts (``institutional`` authors).
    institutional_handles: Sequence[tuple[str, str]] = field(default_factory=list)
    sort: str = "date"


@dataclass
class SearchResult:
    rows: list[Mention]
    total: int
    #: True when the query was evaluated on the first ``SCAN_LIMIT`` rows only.
    truncated: bool = False


def _conditions(f: MentionFilter) -> list[Any]:
    where: list[Any] = [col(Mention.duplicate_of_id).is_(None)]
    if f.platform:
        where.append(col(Mention.platform) == f.platform)
    if f.start:
        where.append(col(Mention.published_at) >= datetime.combine(f.start, time(), UTC))
    if f.end:
        end = datetime.combine(f.end, time(), UTC) + timedelta(days=1)
        where.append(col(Mention.published_at) < end)
    if f.institution_id is not None:
        where.append(
            exists().where(
                col(MentionInstitution.mention_id) == col(Mention.id),
                col(MentionInstitution.institution_id) == f.institution_id,
            )
        )
    if f.lang:
        where.append(col(Mention.lang) == f.lang)
    if f.sentiment == "none":
        where.append(col(Mention.sentiment_label).is_(None))
    elif f.sentiment:
        where.append(col(Mention.sentiment_label) == f.sentiment)
    if f.team == "none":
        where.append(col(Mention.team).is_(None))
    elif f.team == TO_TRIAGE:
        where.append(to_triage())
    elif f.team:
        where.append(col(Mention.team) == f.team)
    own = [
        and_(col(Mention.platform) == p, func.lower(col(Mention.author_handle)) == h.lower())
        for p, h in f.institutional_handles
    ]
    if f.author_kind == "alumnus":
        where.append(col(Mention.alumnus_id).is_not(None))
    elif f.author_kind == "institutional":
        where.append(or_(*own) if own else col(Mention.id).is_(None))
    elif f.author_kind == "public":
        where.append(col(Mention.alumnus_id).is_(None))
        if own:
            where.append(~or_(*own))
    return where


def _order(f: MentionFilter) -> tuple[Any, ...]:
    if f.sort == "reach":
        return (col(Mention.reach).desc(), col(Mention.published_at).desc(), col(Mention.id).desc())
    return (col(Mention.published_at).desc(), col(Mention.id).desc())


def search(
    session: Session, f: MentionFilter, *, limit: int = 50, offset: int = 0,
    scan_limit: int = SCAN_LIMIT,
) -> SearchResult:  # fmt: skip
    """A page of mentions matching ``f``, and how many match in all.

    Raises :class:`veille.query.QuerySyntaxError` (with a French message) on a
    query that does not parse.
    """
    where = _conditions(f)
    order = _order(f)
    if not f.query.strip():
        total = int(session.exec(select(func.count()).select_from(Mention).where(*where)).one())
        rows = session.exec(
            select(Mention).where(*where).order_by(*order).limit(limit).offset(offset)
        )
        return SearchResult(list(rows.all()), total)
    query = parse(f.query)
    stmt = (
        select(Mention.id, Mention.title, Mention.text, Mention.hashtags)
        .where(*where)
        .order_by(*order)
        .limit(scan_limit + 1)
    )
    scanned = session.exec(stmt).all()
    truncated = len(scanned) > scan_limit
    ids: list[int] = []
    for mid, title, text, tags in scanned[:scan_limit]:
        body = f"{title or ''} {text or ''} {' '.join('#' + t for t in tags or [])}"
        if query.matches_document(Document.of(body)):
            ids.append(int(mid or 0))
    page_ids = ids[offset : offset + limit]
    loaded = {
        m.id: m for m in session.exec(select(Mention).where(col(Mention.id).in_(page_ids))).all()
    }
    return SearchResult([loaded[i] for i in page_ids if i in loaded], len(ids), truncated)
