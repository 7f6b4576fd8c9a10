"""Every query the reports need, aggregated in SQL.

A weekly report over a busy week touches hundreds of thousands of rows; the
database groups them and Python only sees a few hundred aggregated rows.
The same statements run on SQLite and PostgreSQL: time buckets are text
(``YYYY-MM-DD`` / ``YYYY-MM-DD HH``, UTC) built by :func:`bucket_expr`.

"About us" (:func:`about_self`) means a mention linked to our institution
or linked to none: crawlers that listen only for us need not write a link.
Counts use canonical rows only (``duplicate_of_id IS NULL``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, desc, exists, func, literal, or_, select, text
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from store.db import insert_ignore
from store.models import Alert, Alumnus, Institution, JobChange, Mention, MentionInstitution
from veille.config import Settings
from veille.query import fold

M = Mention.__table__  # type: ignore[attr-defined]
MI = MentionInstitution.__table__  # type: ignore[attr-defined]
INST = Institution.__table__  # type: ignore[attr-defined]
ALU = Alumnus.__table__  # type: ignore[attr-defined]
JC = JobChange.__table__  # type: ignore[attr-defined]
AL = Alert.__table__  # type: ignore[attr-defined]

#: Platforms whose volume is judged per day (articles), not per hour (posts).
NEWS_PLATFORMS = ("news", "rss", "web")


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def bucket_expr(session: Session, col: Any, unit: str) -> ColumnElement[str]:
    """UTC day (``YYYY-MM-DD``) or hour (``YYYY-MM-DD HH``) of a timestamp, as text."""
    if dialect(session) == "sqlite":
        # SQLite stores naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff".
        return func.substr(col, 1, 10 if unit == "day" else 13)
    fmt = "YYYY-MM-DD" if unit == "day" else "YYYY-MM-DD HH24"
    return func.to_char(func.timezone("UTC", col), fmt)


def ensure_institutions(session: Session, settings: Settings) -> dict[str, int]:
    """Mirror configured institutions into the table; return ``slug -> id``.

    Alerts and share of voice reference institution rows, so they must exist
    even before any crawl ran.
    """
    rows = [
        {
            "slug": inst.slug,
            "name": inst.name,
            "aliases": list(inst.aliases),
            "handles": dict(inst.handles),
            "query": inst.query,
            "is_self": inst is settings.institution,
        }
        for inst in settings.institutions()
    ]
    insert_ignore(session, Institution, rows, ["slug"])
    found = session.execute(select(INST.c.slug, INST.c.id)).all()
    return {slug: int(iid) for slug, iid in found}


def institution_names(session: Session) -> dict[int, tuple[str, str, bool]]:
    """``id -> (slug, name, is_self)`` for every institution row."""
    rows = session.execute(select(INST.c.id, INST.c.slug, INST.c.name, INST.c.is_self)).all()
    return {int(r.id): (r.slug, r.name, bool(r.is_self)) for r in rows}


def about_self(self_id: int) -> ColumnElement[bool]:
    """Mentions linked to our institution, or linked to no institution at all.

    Correlated form, for small windows (alerts). Reports over a period use
    :func:`about_self_in`, which is set-based.
    """
    linked_self = exists().where(MI.c.mention_id == M.c.id, MI.c.institution_id == self_id)
    linked_any = exists().where(MI.c.mention_id == M.c.id)
    return or_(linked_self, ~linked_any)


def prepare_reporting(session: Session) -> None:
    """Per-transaction settings for report queries.

    PostgreSQL's JIT compiles every aggregate of a report (100+ ms each) for
    queries that run in tens of milliseconds: off, for this transaction only.
    """
    if dialect(session) == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def id_range(session: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """Smallest and largest mention id published in ``[start, end)`` (cached per session).

    Links of a period's mentions lie in this id range of ``mention_institution``
    (its primary key starts with ``mention_id``), so set operations on links
    read only the period's rows instead of the whole table.
    """
    cache: dict[tuple[datetime, datetime], tuple[int, int]] = session.info.setdefault(
        "veille_id_ranges", {}
    )
    key = (start, end)
    if key not in cache:
        # ``id + 0``: otherwise PostgreSQL answers min/max by walking the
        # primary key from one end, checking dates row by row (the whole table
        # for a recent week); this way it reads the period's covering index.
        lo, hi = session.execute(
            select(func.min(M.c.id + 0), func.max(M.c.id + 0)).where(
                M.c.published_at >= start, M.c.published_at < end
            )
        ).one()
        cache[key] = (int(lo or 0), int(hi or -1))
    return cache[key]


def about_self_in(
    session: Session, start: datetime, end: datetime, self_id: int
) -> ColumnElement[bool]:
    """:func:`about_self` for a period, set-based: not among the period's peer-only ids.

    A mention is *not* about us when it has links and none to us; those ids
    are computed once (a ``GROUP BY`` over the period's links) and excluded
    with ``NOT IN``, which both databases run as one hashed lookup.
    """
    lo, hi = id_range(session, start, end)
    peer_only = (
        select(MI.c.mention_id)
        .where(MI.c.mention_id >= lo, MI.c.mention_id <= hi)
        .group_by(MI.c.mention_id)
        .having(func.max(case((MI.c.institution_id == self_id, 1), else_=0)) == 0)
    )
    return M.c.id.not_in(peer_only)


def _period(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        M.c.published_at >= start,
        M.c.published_at < end,
        M.c.duplicate_of_id.is_(None),
    )


# ---------------------------------------------------------------------------
# Weekly report
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CubeRow:
    """One cell of the week: mentions per day, platform and sentiment label."""

    day: str
    platform: str
    sentiment: str
    mentions: int
    reach: int


def volume_cube(session: Session, start: datetime, end: datetime, self_id: int) -> list[CubeRow]:
    """Counts and reach per (day, platform, sentiment): one scan feeds headline and charts."""
    day = bucket_expr(session, M.c.published_at, "day").label("day")
    label = func.coalesce(M.c.sentiment_label, "unknown").label("sentiment")
    stmt = (
        select(day, M.c.platform, label, func.count().label("n"), func.sum(M.c.reach).label("r"))
        .where(_period(start, end), about_self_in(session, start, end, self_id))
        .group_by(day, M.c.platform, label)
    )
    return [
        CubeRow(str(r.day), str(r.platform), str(r.sentiment), int(r.n), int(r.r or 0))
        for r in session.execute(stmt)
    ]


def count_mentions(session: Session, start: datetime, end: datetime, self_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(M)
        .where(_period(start, end), about_self_in(session, start, end, self_id))
    )
    return int(session.execute(stmt).scalar_one())


_MENTION_COLS = (
    M.c.id,
    M.c.platform,
    M.c.url,
    M.c.title,
    M.c.text,
    M.c.published_at,
    M.c.reach,
    M.c.sentiment_label,
    M.c.author_key,
    M.c.author_handle,
    M.c.author_name,
    M.c.alumnus_id,
    M.c.team,
)


def top_mentions(
    session: Session, start: datetime, end: datetime, self_id: int, limit: int = 10
) -> list[dict[str, Any]]:
    """The period's mentions with the largest audience.

    The ranking reads only the covering report index; full rows are fetched
    for the winners alone.
    """
    winners = (
        select(M.c.id)
        .where(_period(start, end), about_self_in(session, start, end, self_id))
        .order_by(desc(M.c.reach), M.c.id)
        .limit(limit)
    )
    ids = [int(i) for i in session.execute(winners).scalars()]
    if not ids:
        return []
    rows = session.execute(select(*_MENTION_COLS).where(M.c.id.in_(ids)))
    return sorted((dict(r._mapping) for r in rows), key=lambda r: (-int(r["reach"]), r["id"]))


def top_authors(
    session: Session, start: datetime, end: datetime, self_id: int, limit: int = 10
) -> list[dict[str, Any]]:
    """Authors who posted most about us, with their summed reach.

    Authors are identified by ``author_key`` (the keyed hash every crawler
    writes), which the report index holds: the ranking never visits rows;
    display fields are fetched for the winners only.
    """
    n = func.count().label("mentions")
    ranking = (
        select(
            M.c.platform,
            M.c.author_key,
            n,
            func.sum(M.c.reach).label("reach"),
            func.sum(case((M.c.sentiment_label == "negative", 1), else_=0)).label("negative"),
        )
        .where(
            _period(start, end),
            about_self_in(session, start, end, self_id),
            M.c.author_key != "",
        )
        .group_by(M.c.platform, M.c.author_key)
        .order_by(desc(n), desc("reach"), M.c.author_key)
        .limit(limit)
    )
    winners = [dict(r._mapping) for r in session.execute(ranking)]
    if not winners:
        return []
    details = (
        select(
            M.c.platform,
            M.c.author_key,
            func.max(M.c.author_handle).label("author_handle"),
            func.max(M.c.author_name).label("author_name"),
            func.max(M.c.alumnus_id).label("alumnus_id"),
        )
        .where(
            _period(start, end),
            M.c.author_key.in_([w["author_key"] for w in winners]),
        )
        .group_by(M.c.platform, M.c.author_key)
    )
    found = {(r.platform, r.author_key): dict(r._mapping) for r in session.execute(details)}
    return [{**found.get((w["platform"], w["author_key"]), {}), **w} for w in winners]


def ambassadors(
    session: Session, start: datetime, end: datetime, self_id: int, limit: int = 20
) -> list[dict[str, Any]]:
    """Alumni who talked about the institution this period (the report is internal)."""
    n = func.count().label("mentions")
    stmt = (
        select(
            ALU.c.id,
            ALU.c.first_name,
            ALU.c.last_name,
            ALU.c.graduation_year,
            ALU.c.employer,
            n,
            func.sum(M.c.reach).label("reach"),
            func.sum(case((M.c.sentiment_label == "positive", 1), else_=0)).label("positive"),
            func.sum(case((M.c.sentiment_label == "negative", 1), else_=0)).label("negative"),
        )
        .join(ALU, ALU.c.id == M.c.alumnus_id)
        .where(
            _period(start, end),
            M.c.alumnus_id.is_not(None),
            ALU.c.opt_out.is_(False),
            about_self_in(session, start, end, self_id),
        )
        .group_by(
            ALU.c.id, ALU.c.first_name, ALU.c.last_name, ALU.c.graduation_year, ALU.c.employer
        )
        .order_by(desc(n), desc("reach"))
        .limit(limit)
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def share_of_voice(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Mentions, reach and sentiment per institution (ours and peers) in the period."""
    n = func.count().label("mentions")
    stmt = (
        select(
            INST.c.id,
            INST.c.slug,
            INST.c.name,
            INST.c.is_self,
            n,
            func.coalesce(func.sum(M.c.reach), 0).label("reach"),
            func.sum(case((M.c.sentiment_label == "positive", 1), else_=0)).label("positive"),
            func.sum(case((M.c.sentiment_label == "negative", 1), else_=0)).label("negative"),
        )
        .select_from(MI)
        .join(M, M.c.id == MI.c.mention_id)
        .join(INST, INST.c.id == MI.c.institution_id)
        .where(
            _period(start, end),
            # The period's links lie in its id range: read only those.
            MI.c.mention_id.between(*id_range(session, start, end)),
        )
        .group_by(INST.c.id, INST.c.slug, INST.c.name, INST.c.is_self)
        .order_by(desc(n))
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def job_changes(
    session: Session, start: datetime, end: datetime, limit: int = 50
) -> list[dict[str, Any]]:
    """Alumni job changes detected in the period (linked to an alumni record), one line per
    alumnus and title: the same appointment read in two sources ("Professeur des
    Universités", "Professeur des universités") is one change for the report's reader; the
    latest reading is kept."""
    stmt = (
        select(
            JC.c.id,
            JC.c.alumnus_id,
            JC.c.person_name,
            JC.c.organization,
            JC.c.title,
            JC.c.start_date,
            JC.c.detected_at,
            JC.c.method,
            ALU.c.first_name,
            ALU.c.last_name,
            ALU.c.graduation_year,
        )
        .join(ALU, ALU.c.id == JC.c.alumnus_id)
        .where(JC.c.detected_at >= start, JC.c.detected_at < end, ALU.c.opt_out.is_(False))
        .order_by(desc(JC.c.detected_at), JC.c.id)
        .limit(limit)
    )
    seen: set[tuple[str, str]] = set()
    rows: list[dict[str, Any]] = []
    for row in session.execute(stmt):
        key = (str(row.alumnus_id), " ".join(fold(row.title or "").split()))
        if key not in seen:
            seen.add(key)
            rows.append(dict(row._mapping))
    return rows


def alerts_by_rule(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """How many alerts each rule raised about the period.

    By the window the alert is about, not by when the row was written: a
    report regenerated later (or the demo's replayed weeks) counts the same.
    """
    stmt = (
        select(AL.c.rule, func.count())
        .where(AL.c.window_start >= start, AL.c.window_start < end)
        .group_by(AL.c.rule)
    )
    return {str(rule): int(n) for rule, n in session.execute(stmt)}


# ---------------------------------------------------------------------------
# Brand reports: stream candidates, the query language decides in Python
# ---------------------------------------------------------------------------


def iter_period_mentions(
    session: Session, start: datetime, end: datetime, batch: int = 5000
) -> Iterator[dict[str, Any]]:
    """Canonical mentions of a period with their institution ids, in id order.

    The boolean query (phrases, NEAR, elisions) is evaluated by
    :mod:`veille.query` on each text, so rows are streamed in keyset pages
    rather than loaded at once.
    """
    last_id = 0
    while True:
        stmt = (
            select(*_MENTION_COLS)
            .where(_period(start, end), M.c.id > last_id)
            .order_by(M.c.id)
            .limit(batch)
        )
        rows = [dict(r._mapping) for r in session.execute(stmt)]
        if not rows:
            return
        ids = [r["id"] for r in rows]
        links: dict[int, list[int]] = {}
        for mid, iid in session.execute(
            select(MI.c.mention_id, MI.c.institution_id).where(MI.c.mention_id.in_(ids))
        ):
            links.setdefault(int(mid), []).append(int(iid))
        for r in rows:
            r["institution_ids"] = links.get(r["id"], [])
            yield r
        last_id = ids[-1]


# ---------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------


def unrouted_mentions(session: Session, limit: int, after_id: int = 0) -> list[dict[str, Any]]:
    """Mentions with no team yet (oldest first), for the routing stage."""
    stmt = (
        select(M.c.id, M.c.title, M.c.text)
        .where(M.c.team.is_(None), M.c.id > after_id)
        .order_by(M.c.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def set_teams(
    session: Session,
    teams: Sequence[tuple[int, str] | tuple[int, str, float | None, str | None, str | None]],
) -> int:
    """Write each mention's routed team, and its score, runner-up and status when given.

    Rows are ``(id, team)`` or ``(id, team, score, runner_up, status)``; one
    UPDATE per distinct value set keeps a batch of 1,000 mentions cheap.
    """
    grouped: dict[tuple[Any, ...], list[int]] = {}
    for row in teams:
        mid, team, *rest = row
        grouped.setdefault((team, *rest), []).append(int(mid))
    for key, ids in grouped.items():
        values: dict[str, Any] = {"team": literal(key[0])}
        if len(key) == 4:
            values.update(team_score=key[1], team_runner_up=key[2], team_status=key[3])
        session.execute(M.update().where(M.c.id.in_(ids)).values(**values))
    return len(teams)
