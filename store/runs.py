"""The run log of the scheduler: one :class:`~store.models.JobRun` per (job, tick).

The UNIQUE ``(job, tick)`` key is the second line of defence of exactly-once
execution: whichever scheduler instance inserts the row for a tick runs it;
any other instance (a standby that took over while the old leader was still
finishing, a ``--once`` from cron) gets ``None`` and does nothing. The same
rows feed ``veille jobs``, the web UI and the health endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.db import insert_ignore, session_scope
from store.models import JobRun, Mention, Source
from store.types import utcnow

#: Errors are kept readable in the UI; the full traceback is in the logs.
MAX_ERROR_CHARS = 2000
#: A run still "running" after this long is reported as stuck.
STUCK_AFTER = timedelta(hours=6)
#: Failures counted by the health summary.
FAILURE_WINDOW = timedelta(hours=24)


def start_run(session: Session, job: str, tick: str, host: str, pid: int) -> JobRun | None:
    """Claim ``tick`` of ``job``; ``None`` when another instance already claimed it.

    The claim is committed at once so that a concurrent instance sees it
    (on PostgreSQL its insert waits for ours, then does nothing).
    """
    now = utcnow()
    inserted = insert_ignore(
        session,
        JobRun,
        [
            {
                "job": job,
                "tick": tick,
                "started_at": now,
                "finished_at": None,
                "status": "running",
                "counts": {},
                "error": "",
                "host": host,
                "pid": pid,
            }
        ],
        conflict_columns=["job", "tick"],
    )
    session.commit()
    if inserted == 0:
        return None
    run = session.exec(select(JobRun).where(JobRun.job == job, JobRun.tick == tick)).one()
    return run


def finish_run(
    session: Session,
    run_id: int,
    status: str,
    counts: Mapping[str, Any] | None = None,
    error: str = "",
) -> JobRun:
    """Record how a claimed run ended: ``ok``, ``error`` or ``skipped``."""
    run = session.get(JobRun, run_id)
    if run is None:
        raise LookupError(f"no job run with id {run_id}")
    run.status = status
    run.finished_at = utcnow()
    run.counts = dict(counts or {})
    run.error = error[:MAX_ERROR_CHARS]
    session.add(run)
    session.commit()
    return run


def recent_runs(session: Session, limit: int = 50, job: str | None = None) -> list[JobRun]:
    """The latest runs, newest first (``veille jobs``, the web UI)."""
    stmt = select(JobRun)
    if job is not None:
        stmt = stmt.where(JobRun.job == job)
    stmt = stmt.order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc()).limit(limit)
    return list(session.exec(stmt).all())


def runs_for_job(session: Session, job: str) -> list[JobRun]:
    """Every run of one job in tick order (tests, audits)."""
    stmt = select(JobRun).where(JobRun.job == job).order_by(col(JobRun.tick))
    return list(session.exec(stmt).all())


def mark_abandoned(session: Session, host: str, is_alive: Callable[[int], bool]) -> int:
    """Close runs left ``running`` by a scheduler of this host that died (SIGKILL, crash).

    Only this host's rows are touched: a process on another host cannot be
    checked, and may legitimately still be finishing after a lease handover.
    """
    stmt = select(JobRun).where(JobRun.status == "running", JobRun.host == host)
    closed = 0
    for run in session.exec(stmt).all():
        if run.pid is not None and is_alive(run.pid):
            continue
        run.status = "error"
        run.finished_at = utcnow()
        run.error = "interrupted: the scheduler process died during this run"
        session.add(run)
        closed += 1
    session.commit()
    return closed


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
    return {
        "ok": not (failing or stale or stuck),
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
