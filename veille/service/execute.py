"""Running one tick of one job: claim it in the run log, run the body, record the outcome."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.exc import DBAPIError

from store.db import autocommit_session
from store.runs import finish_run, host_name, previous_tick, runs_for_job, start_run
from veille.config import load_settings
from veille.errors import StageNotDeliveredError
from veille.service.jobs import JobEnv, Outcome, parse_tick, tick_key, ticks_between
from veille.service.leader import Leadership
from veille.stages import load

log = logging.getLogger(__name__)

T = TypeVar("T")
#: A claim or a result that fails on a database error is tried again this often, a second apart
#: (a restart of PostgreSQL must not cost the day's digest).
DB_ATTEMPTS = 5


def _with_retries(what: str, fn: Callable[[], T], leader: Leadership | None) -> T:
    for attempt in range(1, DB_ATTEMPTS + 1):
        try:
            return fn()
        except DBAPIError as exc:
            if attempt == DB_ATTEMPTS or (leader is not None and not leader.valid()):
                raise
            log.warning("%s failed (%s); trying again", what, exc.__class__.__name__)
            time.sleep(1.0)
    raise AssertionError("unreachable")  # pragma: no cover


def _coalesced(
    url: str, job: str, key: str, trigger: BaseTrigger | None, leader: Leadership | None
) -> int:
    """Ticks between the job's previous claimed tick (or the first lease) and this one."""
    if trigger is None:
        return 0
    with autocommit_session(url) as session:
        previous = previous_tick(session, job, key)
    before = parse_tick(previous) if previous else None
    if before is None and leader is not None:
        before = datetime.fromtimestamp(leader.term.created_at, UTC)
    at = parse_tick(key)
    if before is None or at is None:
        return 0
    return ticks_between(trigger, before, at)


def execute(
    config_path: str,
    job: str,
    body: str,
    kwargs: dict[str, Any],
    *,
    tick: datetime | None = None,
    attempt: int = 1,
    trigger: BaseTrigger | None = None,
    leader: Leadership | None = None,
) -> Outcome | None:
    """Claim ``(job, tick, attempt)``, run the body, record the outcome.

    Returns ``None`` when the tick was already claimed, or when ``leader``'s
    term no longer holds the lease (the database refuses the claim; a claim
    whose answer arrives after the term had to stop is left for the next
    leader to mark interrupted, and the body does not run). Without
    ``leader`` (tests, one-off calls) the claim is not fenced.
    ``trigger`` lets the run record how many ticks it coalesced.
    """
    if tick is None:
        raise ValueError(f"job {job} was run without its scheduled tick")
    path = Path(config_path)
    settings = load_settings(path)
    url = settings.database_url
    key = tick_key(tick)
    host = leader.host if leader is not None else host_name()

    tries: list[int] = []
    generation = leader.term.generation if leader is not None else None

    def claim() -> Any:
        tries.append(1)
        coalesced = _coalesced(url, job, key, trigger, leader) if attempt == 1 else 0
        with autocommit_session(url) as session:
            run = start_run(
                session,
                job,
                key,
                host,
                os.getpid(),
                attempt=attempt,
                term=leader.term if leader is not None else None,
                coalesced=coalesced,
            )
            if run is None and len(tries) > 1:
                # The first try may have committed before its answer was lost.
                mine = [
                    r
                    for r in runs_for_job(session, job)
                    if (r.tick, r.attempt, r.status) == (key, attempt, "running")
                    and (r.host, r.pid, r.lease_generation) == (host, os.getpid(), generation)
                ]
                run = mine[0] if mine else None
            return run

    run = _with_retries(f"claiming {job} @ {key}", claim, leader)
    if run is None or run.id is None:
        log.info("%s @ %s (attempt %d) already claimed, or our lease is gone", job, key, attempt)
        return None
    if leader is not None and not leader.valid():
        log.warning("%s @ %s: claimed too late, the lease is gone; not running it", job, key)
        return None
    stop = leader.stop if leader is not None else threading.Event()
    fence = leader.fence if leader is not None else threading.Event()
    env = JobEnv(
        settings=settings,
        config_path=path,
        job=job,
        tick=key,
        stop=stop,
        fence=fence,
        attempt=attempt,
    )
    try:
        outcome: Outcome = load(body)(env, **kwargs)
    except StageNotDeliveredError as exc:
        outcome = Outcome(status="skipped", error=str(exc))
    except Exception as exc:
        log.exception("job %s @ %s failed", job, key)
        outcome = Outcome(status="error", error=f"{type(exc).__name__}: {exc}")
    if leader is not None and leader.fence.is_set() and outcome.status != "error":
        # Cut short by the fence: whatever the body says, the tick was not done.
        outcome = Outcome(
            status="interrupted",
            counts=outcome.counts,
            error=f"interrupted: the scheduler on {host} lost its lease during this run",
        )
    run_id = run.id

    def finish() -> Any:
        with autocommit_session(url) as session:
            return finish_run(session, run_id, outcome.status, outcome.counts, outcome.error)

    recorded = _with_retries(f"recording {job} @ {key}", finish, leader)
    if recorded is None:
        log.warning("%s @ %s: already marked interrupted by the next leader", job, key)
    log.info("%s @ %s: %s %s", job, key, outcome.status, outcome.counts)
    return outcome


def record_missed(
    config_path: str, job: str, tick: datetime, leader: Leadership | None, coalesced: int = 0
) -> None:
    """Write a ``missed`` row: the tick came later than the job's misfire grace."""
    settings = load_settings(Path(config_path))
    key = tick_key(tick)
    log.warning("%s @ %s missed beyond its grace time", job, key)
    with autocommit_session(settings.database_url) as session:
        start_run(
            session,
            job,
            key,
            leader.host if leader is not None else host_name(),
            os.getpid(),
            term=leader.term if leader is not None else None,
            coalesced=coalesced,
            status="missed",
            error="missed: later than its misfire grace time (no scheduler was leading)",
        )
