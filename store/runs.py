"""The run log of the scheduler: one :class:`~store.models.JobRun` per (job, tick, attempt).

The UNIQUE ``(job, tick, attempt)`` key is the second line of defence of
exactly-once execution: whichever scheduler inserts the row for a tick runs
it; any other (a standby that took over, a ``--once`` from cron) gets
``None`` and does nothing. Claims made by the service are *fenced*: the
insert only happens while the claimer's lease term (:class:`store.lease.Term`)
is still valid, checked by the database in the same statement. The same rows
feed ``veille jobs``, the web UI and the health endpoint.

Across hosts: a run whose leader lost its lease stays ``running`` until the
next leader, on whichever host, marks it ``interrupted``
(:func:`mark_interrupted`); its single re-run is attempt 2 of the same tick.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, literal, true, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from store.db import session_scope
from store.lease import Term, lease_valid
from store.models import JobRun, Mention, Source
from store.types import JSONType, UTCDateTime, utcnow

#: Errors are kept readable in the UI; the full traceback is in the logs.
MAX_ERROR_CHARS = 2000
#: A run still "running" after this long is reported as stuck.
STUCK_AFTER = timedelta(hours=6)
#: Failures counted by the health summary.
FAILURE_WINDOW = timedelta(hours=24)
#: Statuses of a run that ended (``running`` is the only other one).
FINAL_STATUSES = ("ok", "error", "skipped", "interrupted", "missed")


def host_name() -> str:
    """This host's name in the run log and the lease.

    ``VEILLE_HOSTNAME`` overrides it: containers that share a hostname, and
    tests that run two "hosts" on one machine.
    """
    return os.environ.get("VEILLE_HOSTNAME", "").strip() or socket.gethostname()


def start_run(
    session: Session,
    job: str,
    tick: str,
    host: str,
    pid: int,
    *,
    attempt: int = 1,
    term: Term | None = None,
    coalesced: int = 0,
    status: str = "running",
    error: str = "",
) -> JobRun | None:
    """Claim ``tick`` of ``job``; ``None`` when it is already claimed or ``term`` is stale.

    One statement, committed at once, so that a concurrent instance sees the
    claim (on PostgreSQL its insert waits for ours, then does nothing). With
    ``term``, the row is only inserted while that term still holds the lease
    on the database's clock. ``status = "missed"`` records a tick that was
    not run (with ``error`` saying why).
    """
    table = JobRun.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    now = utcnow()
    finished = now if status != "running" else None
    columns: dict[str, Any] = {
        "job": literal(job),
        "tick": literal(tick),
        "attempt": literal(attempt),
        "started_at": literal(now, UTCDateTime),
        "finished_at": literal(finished, UTCDateTime),
        "status": literal(status),
        "counts": literal({}, JSONType),
        "error": literal(error[:MAX_ERROR_CHARS]),
        "host": literal(host),
        "pid": literal(pid),
        "lease_generation": literal(term.generation if term else None),
        "coalesced": literal(coalesced),
    }
    # Without a term there is nothing to check, but SQLite needs a WHERE before ON CONFLICT.
    fence = lease_valid(term, dialect) if term is not None else true()
    source = core_select(*columns.values()).where(fence)
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    stmt = (
        insert.from_select(list(columns), source)
        .on_conflict_do_nothing(index_elements=["job", "tick", "attempt"])
        .returning(table.c.id)
    )
    inserted = session.execute(stmt).first()
    session.commit()
    if inserted is None:
        return None
    return session.get(JobRun, inserted[0])


def finish_run(
    session: Session,
    run_id: int,
    status: str,
    counts: Mapping[str, Any] | None = None,
    error: str = "",
) -> JobRun | None:
    """Record how a claimed run ended: ``ok``, ``error``, ``skipped`` or ``interrupted``.

    Only a run still ``running`` is updated: once another leader marked it
    interrupted, a late answer from the old one changes nothing. Returns the
    run, or ``None`` when it was no longer running.
    """
    if session.get(JobRun, run_id) is None:
        raise LookupError(f"no job run with id {run_id}")
    result = session.execute(
        update(JobRun)
        .where(col(JobRun.id) == run_id, col(JobRun.status) == "running")
        .values(
            status=status,
            finished_at=utcnow(),
            counts=dict(counts or {}),
            error=error[:MAX_ERROR_CHARS],
        )
    )
    session.commit()
    run = session.get(JobRun, run_id)
    if run is not None:
        session.refresh(run)
    return run if getattr(result, "rowcount", 0) else None


def recent_runs(session: Session, limit: int = 50, job: str | None = None) -> list[JobRun]:
    """The latest runs, newest first (``veille jobs``, the web UI)."""
    stmt = select(JobRun)
    if job is not None:
        stmt = stmt.where(JobRun.job == job)
    stmt = stmt.order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc()).limit(limit)
    return list(session.exec(stmt).all())


def runs_for_job(session: Session, job: str) -> list[JobRun]:
    """Every run of one job in tick order, attempts in order (tests, audits)."""
    stmt = select(JobRun).where(JobRun.job == job).order_by(col(JobRun.tick), col(JobRun.attempt))
    return list(session.exec(stmt).all())


def mark_interrupted(session: Session, term: Term) -> list[JobRun]:
    """Close the runs that earlier leaders left ``running``: they are ``interrupted``.

    Called by the leader of ``term`` when it takes over and then periodically,
    on whichever host it runs: any run claimed in an older term (or with no
    term: an older veille, a manual run) cannot still be legitimately going,
    because its leader fences itself before its lease expires.
    """
    stale = session.exec(
        select(JobRun).where(
            JobRun.status == "running",
            (col(JobRun.lease_generation).is_(None))
            | (col(JobRun.lease_generation) < term.generation),
        )
    ).all()
    closed: list[JobRun] = []
    for run in stale:
        who = f"{run.host or 'an unknown host'} (pid {run.pid})"
        error = f"interrupted: the scheduler on {who} lost its lease during this run"
        done = session.execute(
            update(JobRun)
            .where(col(JobRun.id) == run.id, col(JobRun.status) == "running")
            .values(status="interrupted", finished_at=utcnow(), error=error)
        )
        if getattr(done, "rowcount", 0):
            closed.append(run)
    session.commit()
    return closed


def interrupted_runs(session: Session, since: datetime) -> list[JobRun]:
    """First attempts interrupted since ``since`` that have no re-run yet."""
    rows = session.exec(
        select(JobRun).where(
            JobRun.status == "interrupted",
            JobRun.attempt == 1,
            col(JobRun.started_at) >= since,
        )
    ).all()
    if not rows:
        return []
    retried = set(
        session.exec(
            select(JobRun.job, JobRun.tick).where(
                JobRun.attempt >= 2, col(JobRun.job).in_({r.job for r in rows})
            )
        ).all()
    )
    return [r for r in rows if (r.job, r.tick) not in retried]


def last_ticks(session: Session) -> dict[str, str]:
    """Job -> its latest claimed tick (run, missed or interrupted): where catch-up starts."""
    rows = session.exec(
        select(JobRun.job, func.max(JobRun.tick)).where(JobRun.attempt == 1).group_by(JobRun.job)
    ).all()
    return {job: tick for job, tick in rows if tick}


def previous_tick(session: Session, job: str, tick: str) -> str | None:
    """The latest tick of ``job`` claimed before ``tick`` (coalesced-tick counts)."""
    value = session.exec(
        select(func.max(JobRun.tick)).where(
            JobRun.job == job, JobRun.attempt == 1, col(JobRun.tick) < tick
        )
    ).one()
    return str(value) if value else None


def mentions_of_source(session: Session, source_name: str) -> int:
    """How many mentions a source has stored (crawl run counts)."""
    stmt = (
        select(func.count())
        .select_from(Mention)
        .join(Source, col(Source.id) == col(Mention.source_id))
        .where(Source.name == source_name)
    )
    return int(session.exec(stmt).one())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def health_summary(
    session: Session,
    expected_every: Mapping[str, timedelta] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Last run per job, recent failures, stale and stuck jobs; JSON-ready.

    ``expected_every`` maps a job to its period (the scheduler's
    :func:`scheduler.expected_periods`); a job whose last start is older than
    twice its period plus an hour is stale (a job that never ran is listed in
    ``never_run``, not stale: a fresh install is healthy). ``ok`` is false when any job is
    failing, stale or stuck.
    """
    now = now or utcnow()
    expected = dict(expected_every or {})
    last_ids = select(func.max(JobRun.id)).group_by(col(JobRun.job))
    last_runs = session.exec(select(JobRun).where(col(JobRun.id).in_(last_ids))).all()
    last_ok_rows = session.exec(
        select(JobRun.job, func.max(JobRun.finished_at))
        .where(JobRun.status == "ok")
        .group_by(col(JobRun.job))
    ).all()
    last_ok: dict[str, datetime | None] = {job: at for job, at in last_ok_rows}
    failures = int(
        session.exec(
            select(func.count())
            .select_from(JobRun)
            .where(JobRun.status == "error", JobRun.started_at >= now - FAILURE_WINDOW)
        ).one()
    )
    jobs: list[dict[str, Any]] = []
    failing: list[str] = []
    stuck: list[str] = []
    seen: set[str] = set()
    for run in sorted(last_runs, key=lambda r: r.job):
        seen.add(run.job)
        if run.status == "error":
            failing.append(run.job)
        if run.status == "running" and now - run.started_at > STUCK_AFTER:
            stuck.append(run.job)
        jobs.append(
            {
                "job": run.job,
                "tick": run.tick,
                "status": run.status,
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
                "error": run.error,
                "counts": run.counts,
                "host": run.host,
                "pid": run.pid,
                "last_ok_at": _iso(last_ok.get(run.job)),
            }
        )
    stale: list[str] = []
    by_job = {r.job: r for r in last_runs}
    for job, period in sorted(expected.items()):
        latest = by_job.get(job)
        if latest is not None and now - latest.started_at > 2 * period + timedelta(hours=1):
            stale.append(job)
    never_run = sorted(job for job in expected if job not in seen)
    # A job that never ran is late once the service has run longer than that job's
    # grace (twice its period plus an hour) since its first recorded run: on a fresh
    # install nothing is late, but a job that never starts is not "ok" for ever.
    first_start = session.exec(select(func.min(JobRun.started_at))).one()
    if isinstance(first_start, datetime) and first_start.tzinfo is None:
        first_start = first_start.replace(tzinfo=now.tzinfo)  # SQLite's MIN() loses the zone
    overdue = [
        job
        for job in never_run
        if first_start is not None and now - first_start > 2 * expected[job] + timedelta(hours=1)
    ]
    late = sorted({*stale, *overdue})
    return {
        "ok": not (failing or late or stuck),
        "ever_ran": bool(last_runs),
        "late": late,
        "generated_at": now.isoformat(),
        "jobs": jobs,
        "failures_24h": failures,
        "failing": failing,
        "stale": stale,
        "stuck": stuck,
        "never_run": never_run,
    }


def health(db_url: str, expected_every: Mapping[str, timedelta] | None = None) -> dict[str, Any]:
    """The health endpoint's body; a route answers 200 when ``ok`` else 503.

    Example (FastAPI)::

        @app.get("/health")
        def get_health() -> JSONResponse:
            body = health(settings.database_url, scheduler.expected_periods(settings))
            # or simply: body = scheduler.health(settings)
            return JSONResponse(body, status_code=200 if body["ok"] else 503)
    """
    with session_scope(db_url) as session:
        return health_summary(session, expected_every)
