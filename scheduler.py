"""The long-lived service: crawls, NLP, alerts and reports on time, exactly once.

This file is the list of jobs (:func:`build_jobs`) and the entry points
(:func:`serve` for ``veille schedule``, :func:`run_once` for ``--once``,
:func:`health` for the health endpoint). How they run lives in
:mod:`veille.service`:

* one leader per database: a lease row with an expiry on the database's
  clock, renewed by the leader, taken over by a standby once it expires (a
  killed leader, a lost host or a silent network alike), with a fencing
  token checked by every claim (:mod:`store.lease`);
* every run first claims its ``(job, tick, attempt)`` row in the run log
  (:mod:`store.runs`); a tick already claimed is not run again;
* ticks are deterministic, so every instance computes the same ones, and the
  run log alone says which ran: catch-up after downtime (coalesced into one
  run, the count recorded), runs interrupted by a lost lease (marked by the
  next leader on whichever host), and their single re-run for jobs that are
  safe to repeat (``repeat_safe``).

SIGTERM: no new run starts, running ones finish their current batch (a crawl
child gets SIGTERM too), the lease is released, exit code 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from store import crawl_state
from store.db import session_scope
from store.runs import health as runs_health
from veille.config import Settings, load_settings
from veille.errors import StageNotDeliveredError, VeilleError
from veille.service import service
from veille.service.bodies import (
    CRAWL_STOP_GRACE_SECONDS,
    DEFAULT_CRAWL_ARGV,
    crawl_argv,
    crawl_body,
    stages_body,
)
from veille.service.execute import execute
from veille.service.jobs import (
    INTERVAL_ANCHOR,
    JobEnv,
    JobSpec,
    Outcome,
    cron_period,
    cron_trigger,
    interval_trigger,
    misfire_grace,
    tick_key,
)
from veille.service.service import STANDBY_POLL_SECONDS, SchedulerBusyError

__all__ = [
    "CRAWL_STOP_GRACE_SECONDS",
    "INTERVAL_ANCHOR",
    "JobEnv",
    "JobSpec",
    "Outcome",
    "SchedulerBusyError",
    "StageNotDeliveredError",
    "VeilleError",
    "build_jobs",
    "crawl_argv",
    "crawl_body",
    "crawl_job",
    "cron_job",
    "cron_trigger",
    "execute",
    "expected_periods",
    "health",
    "interval_trigger",
    "load_settings",
    "run_once",
    "serve",
    "stages_body",
    "tick_key",
]

#: A crawl gets twice its interval, within these bounds, before it is killed.
CRAWL_TIMEOUT_BOUNDS = (300, 3600)
#: Stages of the NLP job, in data-flow order.
NLP_STAGES = ("sentiment", "routing", "job_changes", "matching", "suggestions")


def crawl_timeout(interval_minutes: int) -> int:
    low, high = CRAWL_TIMEOUT_BOUNDS
    return max(low, min(high, 2 * interval_minutes * 60))


def crawl_job(
    source: str,
    interval_seconds: float,
    timezone: str,
    *,
    timeout: float,
    argv: str = DEFAULT_CRAWL_ARGV,
) -> JobSpec:
    """Crawl one source out of process. Safe to repeat: batches are stored with
    their cursor and inserted idempotently, so a re-run resumes the crawl."""
    return JobSpec(
        id=f"crawl:{source}",
        body="scheduler:crawl_body",
        trigger=interval_trigger(interval_seconds, timezone),
        kwargs={"source": source, "timeout": timeout, "argv": argv},
        misfire_grace_seconds=misfire_grace(interval_seconds),
        period=timedelta(seconds=interval_seconds),
        repeat_safe=True,
    )


def interval_job(
    job_id: str, minutes: int, timezone: str, stages: list[str], *, repeat_safe: bool
) -> JobSpec:
    """Pipeline stages every ``minutes``, on ticks counted from :data:`INTERVAL_ANCHOR`."""
    seconds = minutes * 60
    return JobSpec(
        id=job_id,
        body="scheduler:stages_body",
        trigger=interval_trigger(seconds, timezone),
        kwargs={"stages": stages},
        misfire_grace_seconds=misfire_grace(seconds),
        period=timedelta(seconds=seconds),
        repeat_safe=repeat_safe,
    )


def cron_job(
    job_id: str, expr: str, timezone: str, stages: list[str], *, repeat_safe: bool = False
) -> JobSpec:
    """Pipeline stages on a crontab; its longest gap sets the grace and the staleness check."""
    trigger = cron_trigger(expr, timezone)
    period = cron_period(job_id, expr, trigger)
    return JobSpec(
        id=job_id,
        body="scheduler:stages_body",
        trigger=trigger,
        kwargs={"stages": stages},
        misfire_grace_seconds=misfire_grace(period.total_seconds()),
        period=period,
        repeat_safe=repeat_safe,
    )


def build_jobs(settings: Settings, *, crawl_argv: str = DEFAULT_CRAWL_ARGV) -> list[JobSpec]:
    """Every job of an installation, from its settings, and whether each is safe to repeat.

    ``crawl_argv`` names the function that builds a crawl's command line
    (:func:`veille.service.bodies.crawl_argv` by default).
    """
    sched = settings.schedule
    tz = sched.timezone
    crawls = [
        crawl_job(
            s.name,
            s.interval_minutes * 60,
            tz,
            timeout=crawl_timeout(s.interval_minutes),
            argv=crawl_argv,
        )
        for s in settings.sources
        if s.enabled
    ]
    return [
        *crawls,
        # Each NLP stage works on what is still pending: a second pass finds nothing new.
        interval_job("nlp", sched.nlp_interval_minutes, tz, list(NLP_STAGES), repeat_safe=True),
        # Alerts are keyed by what triggered them: a second check opens none twice.
        interval_job("alerts", sched.alerts_interval_minutes, tz, ["alerts"], repeat_safe=True),
        # Each team's digest marks its alerts sent right after sending: a re-run sends the rest.
        cron_job("digest", sched.digest_cron, tz, ["digest"], repeat_safe=True),
        # The report of one ISO week is rewritten identically; it is not e-mailed from here.
        cron_job("weekly_report", sched.weekly_cron, tz, ["weekly_report"], repeat_safe=True),
        # Purging what is past retention again purges nothing more.
        cron_job("retention", sched.retention_cron, tz, ["retention"], repeat_safe=True),
        # Each notice is recorded as sent right after it goes: a re-run sends the others.
        cron_job("notices", sched.digest_cron, tz, ["notices"], repeat_safe=True),
        # A retraining adds one model row; a re-run adds another, equally valid one.
        *(
            [cron_job("match_retrain", sched.match_retrain_cron, tz, ["match_retrain"])]
            if sched.match_retrain_cron
            else []
        ),
    ]


def expected_periods(settings: Settings) -> dict[str, timedelta]:
    """Job id -> period, for :func:`store.runs.health_summary`."""
    return {spec.id: spec.period for spec in build_jobs(settings)}


def health(settings: Settings) -> dict[str, Any]:
    """The health endpoint's body for this installation (200 when ``ok``, else 503).

    ::

        @app.get("/health")
        def get_health() -> JSONResponse:
            body = scheduler.health(settings)
            return JSONResponse(body, status_code=200 if body["ok"] else 503)
    """
    body = runs_health(settings.database_url, expected_periods(settings))
    # What each crawl source is doing (``ok`` stays the jobs' health: a source that is
    # down or blocked already fails its crawl job).
    with session_scope(settings.database_url) as session:
        body.update(crawl_state.health_details(session, [s.name for s in settings.sources]))
    return body


def serve(
    config_path: Path,
    *,
    jobs: Sequence[JobSpec] | None = None,
    poll_seconds: float = STANDBY_POLL_SECONDS,
    check_seconds: float | None = None,
    lease_seconds: float | None = None,
    max_seconds: float | None = None,
) -> int:
    """``veille schedule``: lead or stand by until SIGTERM; returns the exit code.

    ``jobs`` defaults to :func:`build_jobs`; ``check_seconds`` is how often the
    leader renews its lease (default a third of it), ``lease_seconds`` its
    length (default ``schedule.lease_seconds``); ``max_seconds`` stops the
    service after that long (tests, smoke checks).
    """
    specs = list(jobs) if jobs is not None else build_jobs(load_settings(config_path))
    return service.serve(
        config_path,
        specs,
        poll_seconds=poll_seconds,
        check_seconds=check_seconds,
        lease_seconds=lease_seconds,
        max_seconds=max_seconds,
    )


def run_once(config_path: Path, *, jobs: Sequence[JobSpec] | None = None) -> dict[str, str]:
    """``veille schedule --once``: run every due job once (coalesced), then return."""
    specs = list(jobs) if jobs is not None else build_jobs(load_settings(config_path))
    return service.run_once(config_path, specs)
