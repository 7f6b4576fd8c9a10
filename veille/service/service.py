"""``veille schedule``: lead or stand by; while leading, run every job on time, once.

APScheduler (public API only) is the clock: each leadership term starts a
``BackgroundScheduler`` with an in-memory job store whose jobs are a no-op
that only marks the tick; an ``EVENT_JOB_EXECUTED`` listener hands the job
and its scheduled time to the :class:`Dispatcher`, which claims the tick in
the run log (fenced by the lease) and runs the body. The run log is the only
state: where each job's catch-up starts, which runs were interrupted, which
ticks were coalesced or missed. Nothing about the schedule lives in a
process, so a term ends without waiting for anything (a lost lease) and the
next one, on any host, starts from the database.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor as ClockExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from store.db import autocommit_session, ensure_schema
from store.lease import DatabaseLease
from store.runs import host_name, interrupted_runs, last_ticks, mark_interrupted
from veille.config import Settings, load_settings
from veille.errors import VeilleError
from veille.process import stop_on_signals
from veille.service.execute import execute, record_missed
from veille.service.jobs import JobSpec, due, next_fire_after, parse_tick
from veille.service.leader import Leadership

log = logging.getLogger(__name__)

#: How often a standby tries to take the lease.
STANDBY_POLL_SECONDS = 2.0
#: Interrupted runs older than this are never re-run (the longest period is a week).
RERUN_WINDOW = timedelta(days=8)


class SchedulerBusyError(VeilleError):
    """Another scheduler holds the lease of this database."""

    exit_code = 7


def _tick(job_id: str) -> str:
    """APScheduler's job: only marks the tick (the listener dispatches the real run)."""
    return job_id


class Dispatcher:
    """Runs the ticks of one term: one run of a job at a time, and no tick swallowed.

    A tick that comes while the job's previous run is still going waits for
    it (the latest such tick runs right after, recording how many it
    coalesced) instead of being dropped; a re-run of an interrupted tick
    also waits for the job's current run.
    """

    def __init__(self, config_path: Path, specs: Sequence[JobSpec], leader: Leadership) -> None:
        self.config_path = str(config_path)
        self.specs = {spec.id: spec for spec in specs}
        self.leader = leader
        self.pool = ThreadPoolExecutor(max_workers=len(self.specs) + 1, thread_name_prefix="job")
        self._lock = threading.Condition()
        self._running: set[str] = set()
        self._pending: dict[str, datetime] = {}
        self._reruns: dict[str, list[datetime]] = {}
        self._rerun_seen: set[tuple[str, str]] = set()

    def on_event(self, event: JobExecutionEvent) -> None:
        """APScheduler listener: a tick came (or was missed beyond its grace)."""
        if self.leader.stop.is_set() or event.job_id not in self.specs:
            return
        if event.code == EVENT_JOB_MISSED:
            with contextlib.suppress(RuntimeError):  # the term is over
                self.pool.submit(self._missed, event.job_id, event.scheduled_run_time)
        else:
            self.submit(event.job_id, event.scheduled_run_time)

    def submit(self, job_id: str, tick: datetime, attempt: int = 1) -> None:
        with self._lock:
            if attempt == 2:
                if (job_id, tick.isoformat()) in self._rerun_seen:
                    return
                self._rerun_seen.add((job_id, tick.isoformat()))
            if job_id in self._running:
                if attempt == 2:
                    self._reruns.setdefault(job_id, []).append(tick)
                elif job_id not in self._pending or self._pending[job_id] < tick:
                    log.info("%s: tick %s waits for the running one", job_id, tick)
                    self._pending[job_id] = tick
                return
            self._running.add(job_id)
        try:
            self.pool.submit(self._work, job_id, tick, attempt)
        except RuntimeError:  # the term is over
            with self._lock:
                self._running.discard(job_id)
                self._lock.notify_all()

    def _missed(self, job_id: str, tick: datetime) -> None:
        try:
            record_missed(self.config_path, job_id, tick, self.leader)
        except Exception:
            log.exception("could not record the missed tick %s of %s", tick, job_id)

    def _work(self, job_id: str, tick: datetime, attempt: int) -> None:
        spec = self.specs[job_id]
        while True:
            if not self.leader.stop.is_set():
                grace = spec.misfire_grace_seconds
                late = (datetime.now(UTC) - tick).total_seconds()
                try:
                    if attempt == 1 and grace is not None and late > grace:
                        record_missed(self.config_path, job_id, tick, self.leader)
                    else:
                        execute(
                            self.config_path,
                            spec.id,
                            spec.body,
                            spec.kwargs,
                            tick=tick,
                            attempt=attempt,
                            trigger=spec.trigger,
                            leader=self.leader,
                        )
                except Exception:  # the database went away mid-claim: the tick is lost
                    log.exception("%s @ %s could not be run", job_id, tick)
            with self._lock:
                reruns = self._reruns.get(job_id)
                if reruns and not self.leader.stop.is_set():
                    tick, attempt = reruns.pop(0), 2
                    continue
                if job_id in self._pending and not self.leader.stop.is_set():
                    tick, attempt = self._pending.pop(job_id), 1
                    continue
                self._running.discard(job_id)
                self._lock.notify_all()
                return

    def wait_idle(self, until: float) -> bool:
        """Wait until no job runs, or the monotonic time ``until``; ``True`` when idle."""
        with self._lock:
            while self._running:
                left = until - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.2))
            return True

    def shutdown(self, wait: bool) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=True)


class Term:
    """One leadership term: from taking the lease to losing or releasing it."""

    def __init__(
        self,
        settings: Settings,
        config_path: Path,
        specs: Sequence[JobSpec],
        leader: Leadership,
        housekeeping_seconds: float,
    ) -> None:
        self.settings = settings
        self.url = settings.database_url
        self.config_path = config_path
        self.specs = list(specs)
        self.leader = leader
        self.dispatcher = Dispatcher(config_path, specs, leader)
        self.housekeeping_seconds = housekeeping_seconds
        self.clock: BackgroundScheduler | None = None

    # -- the run log: interruptions, re-runs, catch-up ------------------------------------

    def housekeeping(self) -> None:
        """Mark runs of earlier terms interrupted; re-run those that should be, once."""
        now = datetime.now(UTC)
        with autocommit_session(self.url) as session:
            closed = mark_interrupted(session, self.leader.term)
            candidates = interrupted_runs(session, now - RERUN_WINDOW)
        for run in closed:
            log.warning("%s @ %s on %s was interrupted", run.job, run.tick, run.host)
        by_id = {spec.id: spec for spec in self.specs}
        for run in candidates:
            spec, tick = by_id.get(run.job), parse_tick(run.tick)
            if spec is None or tick is None or not spec.repeat_safe:
                continue
            following = next_fire_after(spec.trigger, tick)
            if following is not None and following <= now:
                continue  # a later regular tick has come: it does the same work
            log.info("re-running %s @ %s once (interrupted on %s)", run.job, run.tick, run.host)
            self.dispatcher.submit(run.job, tick, attempt=2)

    def _catch_up(self, spec: JobSpec, last: dict[str, str], since: datetime) -> datetime | None:
        """The tick to run at once for ``spec`` (missed while nobody led), if any."""
        now = datetime.now(UTC)
        previous = parse_tick(last[spec.id]) if spec.id in last else None
        state = due(spec.trigger, previous or since, now)
        if state.tick is None:
            return None
        grace = spec.misfire_grace_seconds
        if grace is not None and (now - state.tick).total_seconds() > grace:
            record_missed(str(self.config_path), spec.id, state.tick, self.leader, state.coalesced)
            return None
        if state.coalesced:
            log.info("%s: %d missed tick(s) coalesced into one run", spec.id, state.coalesced)
        return state.tick

    def _start_clock(self) -> None:
        with autocommit_session(self.url) as session:
            last = last_ticks(session)
        since = datetime.fromtimestamp(self.leader.term.created_at, UTC)
        clock = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ClockExecutor(max_workers=2)},
            timezone=ZoneInfo(self.settings.schedule.timezone),
        )
        clock.add_listener(self.dispatcher.on_event, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
        for spec in self.specs:
            options: dict[str, Any] = {}
            catch_up = self._catch_up(spec, last, since)
            if catch_up is not None:
                options["next_run_time"] = catch_up
            clock.add_job(
                _tick,
                trigger=spec.trigger,
                args=[spec.id],
                id=spec.id,
                name=spec.id,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=spec.misfire_grace_seconds,
                **options,
            )
        clock.start()
        self.clock = clock

    def _housekeeper(self) -> None:
        while not self.leader.stop.wait(self.housekeeping_seconds):
            try:
                self.housekeeping()
            except Exception as exc:  # the database is away; the lease keeper decides
                log.warning("run-log housekeeping failed: %s", exc)

    # -- the term ------------------------------------------------------------------------

    def lead(self, stop: threading.Event, deadline: float | None) -> str:
        """Run the jobs until ``stop``, the deadline, or the lease is lost.

        Returns how the term ended: ``stopped``, ``lost`` (fenced) or
        ``failed`` (the database went away while it started).
        """
        leader = self.leader
        lost, how = False, "stopped"
        try:
            self.housekeeping()
            self._start_clock()
            threading.Thread(target=self._housekeeper, name="veille-runlog", daemon=True).start()
            log.info(
                "leading with %d jobs (term %d, host %s)",
                len(self.specs),
                leader.term.generation,
                leader.host,
            )
            while not stop.wait(0.1):
                if deadline is not None and time.monotonic() > deadline:
                    stop.set()
                elif not leader.valid():
                    lost, how = True, "lost"
                    break
        except Exception:
            log.exception("leading failed (the database went away, most likely)")
            lost, how = True, "failed"
        finally:
            self._end(lost)
        return how

    def _end(self, lost: bool) -> None:
        leader = self.leader
        if self.clock is not None:
            with contextlib.suppress(Exception):
                self.clock.pause()
                self.clock.shutdown(wait=False)
        if lost:
            # Fenced: nothing waits for the jobs of this term (their threads see the
            # flags, their child processes are killed); the next term starts at once.
            leader.fence_now("the lease could not be renewed in time")
            self.dispatcher.wait_idle(time.monotonic() + leader.margin)
        else:
            # Graceful: running jobs finish their batch while we keep the lease.
            leader.stop.set()
            while not self.dispatcher.wait_idle(time.monotonic() + 0.5):
                if not leader.valid():
                    leader.fence_now("the lease was lost while jobs were finishing")
                    break
        self.dispatcher.shutdown(wait=False)
        leader.close(wait=True)
        # Only ours if still ours (same holder and generation): lets a standby, or
        # this process after a blip, lead at once instead of after the expiry.
        leader.lease.release()


def migrate(url: str, attempts: int = 5) -> None:
    """Bring the schema to head; schedulers starting together may race, so retry."""
    for attempt in range(1, attempts + 1):
        try:
            ensure_schema(url)
            return
        except Exception as exc:
            if attempt == attempts:
                raise
            log.warning("schema upgrade failed (%s); retrying", exc)
            time.sleep(attempt)


def timings(
    settings: Settings, lease_seconds: float | None, renew_seconds: float | None
) -> tuple[float, float]:
    """(lease length, renewal interval): the renewal comes at least three times per lease."""
    ttl = float(lease_seconds or settings.schedule.lease_seconds)
    renew = min(float(renew_seconds or ttl / 3), ttl / 3)
    return ttl, renew


def serve(
    config_path: Path,
    jobs: Sequence[JobSpec],
    *,
    poll_seconds: float = STANDBY_POLL_SECONDS,
    check_seconds: float | None = None,
    lease_seconds: float | None = None,
    max_seconds: float | None = None,
) -> int:
    """Lead or stand by until SIGTERM (or ``max_seconds``); returns the exit code.

    ``check_seconds`` is the renewal interval (default a third of the lease);
    ``lease_seconds`` the lease length (default ``schedule.lease_seconds``).
    A silent leader is replaced within ``lease_seconds + poll_seconds``.
    """
    config_path = config_path.resolve()
    stop = threading.Event()
    deadline = time.monotonic() + max_seconds if max_seconds is not None else None
    settings = load_settings(config_path)
    ttl, renew = timings(settings, lease_seconds, check_seconds)
    lease = DatabaseLease(settings.database_url, host=host_name(), ttl=ttl)
    with stop_on_signals(stop):
        migrate(settings.database_url)
        announced = False
        while not stop.is_set():
            if deadline is not None and time.monotonic() > deadline:
                break
            if lease.acquire():
                leader = Leadership(lease, renew).start()
                term = Term(settings, config_path, jobs, leader, max(renew, 0.5))
                if term.lead(stop, deadline) == "failed":
                    stop.wait(poll_seconds)
                announced = False
                continue
            if not announced:
                log.info("another scheduler leads (%s); standing by", lease.description)
                announced = True
            stop.wait(poll_seconds)
    lease.close()
    log.info("scheduler stopped")
    return 0


def run_once(
    config_path: Path, jobs: Sequence[JobSpec], *, lease_seconds: float | None = None
) -> dict[str, str]:
    """``veille schedule --once``: run every due job once (coalesced), then return.

    For cron-only hosts. A job that never ran counts its ticks from the first
    time a scheduler took this database's lease, so the first call of a fresh
    installation runs nothing. Returns job id -> status (``ok``, ``error``,
    ``skipped``, ``interrupted``, ``claimed`` by another instance, ``missed``
    beyond the misfire grace); re-runs of interrupted ticks appear as
    ``"<job> (re-run <tick>)"``.
    """
    config_path = config_path.resolve()
    settings = load_settings(config_path)
    ttl, renew = timings(settings, lease_seconds, None)
    migrate(settings.database_url)
    lease = DatabaseLease(settings.database_url, host=host_name(), ttl=ttl)
    if not lease.acquire():
        raise SchedulerBusyError(
            f"another scheduler is running on this database ({lease.description}); "
            "it already runs the due jobs"
        )
    leader = Leadership(lease, renew).start()
    results: dict[str, str] = {}
    try:
        with stop_on_signals(leader.stop):
            results = _run_due(settings, config_path, jobs, leader)
    finally:
        leader.close(wait=True)
        if leader.valid():
            lease.release()
        lease.close()
    return results


def _run_due(
    settings: Settings, config_path: Path, jobs: Sequence[JobSpec], leader: Leadership
) -> dict[str, str]:
    url, path = settings.database_url, str(config_path)
    results: dict[str, str] = {}
    now = datetime.now(UTC)
    with autocommit_session(url) as session:
        mark_interrupted(session, leader.term)
        reruns = interrupted_runs(session, now - RERUN_WINDOW)
        last = last_ticks(session)
    since = datetime.fromtimestamp(leader.term.created_at, UTC)
    by_id = {spec.id: spec for spec in jobs}
    for run in reruns:
        spec, tick = by_id.get(run.job), parse_tick(run.tick)
        if spec is None or tick is None or not spec.repeat_safe:
            continue
        following = next_fire_after(spec.trigger, tick)
        if (following is not None and following <= now) or not leader.valid():
            continue
        outcome = execute(
            path, spec.id, spec.body, spec.kwargs, tick=tick, attempt=2, leader=leader
        )
        results[f"{spec.id} (re-run {run.tick})"] = outcome.status if outcome else "claimed"
    for spec in jobs:
        if leader.stop.is_set() or not leader.valid():
            break
        previous = parse_tick(last[spec.id]) if spec.id in last else None
        state = due(spec.trigger, previous or since, datetime.now(UTC))
        if state.tick is None:
            continue
        grace = spec.misfire_grace_seconds
        late = (datetime.now(UTC) - state.tick).total_seconds()
        if grace is not None and late > grace:
            record_missed(path, spec.id, state.tick, leader, state.coalesced)
            results[spec.id] = "missed"
            continue
        outcome = execute(
            path,
            spec.id,
            spec.body,
            spec.kwargs,
            tick=state.tick,
            trigger=spec.trigger,
            leader=leader,
        )
        results[spec.id] = outcome.status if outcome is not None else "claimed"
    return results
