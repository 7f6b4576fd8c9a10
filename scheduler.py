"""The long-lived service: crawls, NLP, alerts and reports on time, exactly once.

Orchestration only. Jobs are built from ``veille.toml`` (:func:`build_jobs`),
kept in APScheduler's SQLAlchemy job store in the veille database (table
``apscheduler_jobs``) and run by whichever ``veille schedule`` process holds
the lease (:mod:`store.lease`); the others wait as standbys and take over
within their poll interval when the leader dies.

Exactly once, in three layers:

1. one leader per database (advisory lock / file lock);
2. every run first claims its ``(job, tick)`` row in the run log
   (:func:`store.runs.start_run`); a tick already claimed is not run again,
   which covers the seconds of a handover and ``--once`` from cron;
3. ticks are deterministic: interval triggers are anchored on a fixed date, so
   every instance computes the same tick times for the same job.

Restarts: ``coalesce=True`` turns any number of missed ticks into one catch-up
run; ``max_instances=1`` keeps one run of each job at a time; SIGTERM pauses
the scheduler, lets running jobs finish their current batch (stages see the
stop flag in ``ctx.options["stop"]``) and exits 0.

Crawls run out of process (``python -m veille crawl --source NAME``) in their
own process group with a timeout, so scrapy's reactor never shares the
scheduler's process, and die with the scheduler if it is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import itertools
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from store import crawl_state
from store.db import ensure_schema, get_engine, session_scope
from store.lease import Lease, lease_for
from store.runs import finish_run, mark_abandoned, mentions_of_source, start_run
from store.runs import health as runs_health
from veille.config import Settings, load_settings
from veille.errors import StageNotDeliveredError, VeilleError
from veille.stages import PIPELINE, StageContext, StageResult, load, pipeline_stage

log = logging.getLogger("veille.scheduler")

#: APScheduler's own table, in the veille database.
JOBSTORE_TABLE = "apscheduler_jobs"
#: Interval ticks are aligned on this instant, so every instance computes the same ticks.
INTERVAL_ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)
#: How often a standby tries to take the lease (takeover delay after a leader dies).
STANDBY_POLL_SECONDS = 5.0
#: How often the leader checks that it still holds the lease.
LEASE_CHECK_SECONDS = 5.0
#: A missed run still runs once on restart if it is less than one period late
#: (the next run is then due anyway), and never less than this.
MIN_MISFIRE_GRACE_SECONDS = 60
#: A crawl gets twice its interval, within these bounds, before it is killed.
CRAWL_TIMEOUT_BOUNDS = (300, 3600)
#: After SIGTERM, how long a crawl child may take to finish its current batch.
CRAWL_STOP_GRACE_SECONDS = 60.0
#: Stages of the NLP job, in data-flow order.
NLP_STAGES = ("sentiment", "routing", "job_changes", "matching", "suggestions")
DIGEST_TARGET = "reports.digest:digest_stage"
RETENTION_TARGET = "store.retention:retention_stage"
#: Article 14 notices go out daily, with the morning digest.
NOTICES_TARGET = "veille.notices:notices_stage"
DEFAULT_CRAWL_ARGV = "scheduler:crawl_argv"

#: Set by SIGTERM/SIGINT: no new job starts, running ones finish their batch.
STOP = threading.Event()


class SchedulerBusyError(VeilleError):
    """Another scheduler holds the lease of this database."""

    exit_code = 7


# ---------------------------------------------------------------------------
# Jobs: what runs when
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id in the run log, its body and its trigger.

    ``body`` is a ``"module:attribute"`` reference to a function
    ``body(env: JobEnv, **kwargs) -> Outcome``; the job store only keeps
    that string and the plain ``kwargs``, so the stored jobs survive
    upgrades of veille.
    """

    id: str
    body: str
    trigger: BaseTrigger
    kwargs: dict[str, Any] = field(default_factory=dict)
    misfire_grace_seconds: int | None = None
    #: The job's period, for the health summary's staleness check.
    period: timedelta = timedelta(hours=1)


@dataclass
class JobEnv:
    """What a job body receives."""

    settings: Settings
    config_path: Path
    job: str
    tick: str
    stop: threading.Event


@dataclass
class Outcome:
    """How a run ended, as written to the run log."""

    status: str = "ok"
    counts: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def interval_trigger(seconds: float, timezone: str) -> IntervalTrigger:
    """An interval trigger aligned on :data:`INTERVAL_ANCHOR` (deterministic ticks)."""
    return IntervalTrigger(seconds=seconds, start_date=INTERVAL_ANCHOR, timezone=timezone)


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(expr: str, timezone: str) -> CronTrigger:
    """A standard five-field crontab; weekday numbers follow cron (0 or 7 = Sunday).

    APScheduler 3 counts weekdays from Monday = 0, so numbers are turned into
    names before handing the expression over.
    """
    fields = expr.split()
    if len(fields) != 5:
        raise VeilleError(f"invalid cron expression {expr!r}: expected 5 fields")

    def _day(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number > 7:
            raise VeilleError(f"invalid weekday {number} in cron expression {expr!r}")
        return _CRON_DAYS[number]

    fields[4] = re.sub(r"(?<![/\d])(\d+)", _day, fields[4])
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)
    except ValueError as exc:
        raise VeilleError(f"invalid cron expression {expr!r}: {exc}") from exc


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
    """The job that crawls one source out of process."""
    return JobSpec(
        id=f"crawl:{source}",
        body="scheduler:crawl_body",
        trigger=interval_trigger(interval_seconds, timezone),
        kwargs={"source": source, "timeout": timeout, "argv": argv},
        misfire_grace_seconds=_grace(interval_seconds),
        period=timedelta(seconds=interval_seconds),
    )


def cron_job(job_id: str, expr: str, timezone: str, stages: list[str]) -> JobSpec:
    """A job of pipeline stages on a crontab.

    Its period (the longest gap between two runs, measured from a fixed date
    so that every instance and every restart computes the same job) sets the
    misfire grace and the health check's staleness.
    """
    trigger = cron_trigger(expr, timezone)
    fires: list[datetime] = []
    previous: datetime | None = None
    while len(fires) < 12:
        fire = trigger.get_next_fire_time(previous, previous or INTERVAL_ANCHOR)
        if fire is None:
            break
        if previous is not None and fire <= previous:  # pragma: no cover - defensive
            break
        fires.append(fire)
        previous = fire + timedelta(seconds=1)
    if len(fires) < 2:
        raise VeilleError(f"cron expression {expr!r} of {job_id} does not repeat")
    period = max(b - a for a, b in itertools.pairwise(fires))
    return JobSpec(
        id=job_id,
        body="scheduler:stages_body",
        trigger=trigger,
        kwargs={"stages": stages},
        misfire_grace_seconds=_grace(period.total_seconds()),
        period=period,
    )


def _grace(period_seconds: float) -> int:
    return int(max(MIN_MISFIRE_GRACE_SECONDS, period_seconds))


def build_jobs(settings: Settings, *, crawl_argv: str = DEFAULT_CRAWL_ARGV) -> list[JobSpec]:
    """Every job of an installation, from its settings.

    ``crawl_argv`` names the function that builds a crawl's command line
    (:func:`crawl_argv` by default).
    """
    sched = settings.schedule
    tz = sched.timezone
    jobs = [
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
    nlp_seconds = sched.nlp_interval_minutes * 60
    alert_seconds = sched.alerts_interval_minutes * 60
    jobs += [
        JobSpec(
            id="nlp",
            body="scheduler:stages_body",
            trigger=interval_trigger(nlp_seconds, tz),
            kwargs={"stages": list(NLP_STAGES)},
            misfire_grace_seconds=_grace(nlp_seconds),
            period=timedelta(seconds=nlp_seconds),
        ),
        JobSpec(
            id="alerts",
            body="scheduler:stages_body",
            trigger=interval_trigger(alert_seconds, tz),
            kwargs={"stages": ["alerts"]},
            misfire_grace_seconds=_grace(alert_seconds),
            period=timedelta(seconds=alert_seconds),
        ),
        cron_job("digest", sched.digest_cron, tz, [DIGEST_TARGET]),
        cron_job("weekly_report", sched.weekly_cron, tz, ["weekly_report"]),
        cron_job("retention", sched.retention_cron, tz, [RETENTION_TARGET]),
        cron_job("notices", sched.digest_cron, tz, [NOTICES_TARGET]),
    ]
    return jobs


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


# ---------------------------------------------------------------------------
# Running one tick of one job
# ---------------------------------------------------------------------------


def tick_key(run_time: datetime) -> str:
    """The run log's tick: the scheduled time in UTC, to the second."""
    return run_time.astimezone(UTC).replace(microsecond=0).isoformat()


def execute(
    config_path: str,
    job: str,
    body: str,
    kwargs: dict[str, Any],
    *,
    tick: datetime | None = None,
) -> Outcome | None:
    """Claim ``(job, tick)`` in the run log, run the body, record the outcome.

    Returns ``None`` when another instance already claimed this tick. This is
    the only function the job store references; :class:`TickExecutor` passes
    ``tick`` (the scheduled time), which APScheduler itself does not provide.
    """
    if tick is None:
        raise ValueError(f"job {job} was run without its scheduled tick (use TickExecutor)")
    path = Path(config_path)
    settings = load_settings(path)
    url = settings.database_url
    key = tick_key(tick)
    with session_scope(url) as session:
        run = start_run(session, job, key, socket.gethostname(), os.getpid())
    if run is None or run.id is None:
        log.info("%s @ %s already claimed by another instance", job, key)
        return None
    env = JobEnv(settings=settings, config_path=path, job=job, tick=key, stop=STOP)
    try:
        outcome: Outcome = load(body)(env, **kwargs)
    except StageNotDeliveredError as exc:
        outcome = Outcome(status="skipped", error=str(exc))
    except Exception as exc:
        log.exception("job %s @ %s failed", job, key)
        outcome = Outcome(status="error", error=f"{type(exc).__name__}: {exc}")
    with session_scope(url) as session:
        finish_run(session, run.id, outcome.status, outcome.counts, outcome.error)
    log.info("%s @ %s: %s %s", job, key, outcome.status, outcome.counts)
    return outcome


def _output_dir(settings: Settings, config_path: Path) -> Path:
    out = Path(settings.output_dir)
    return out if out.is_absolute() else config_path.parent / out


def stages_body(env: JobEnv, stages: Sequence[str]) -> Outcome:
    """Run pipeline stages in order; undelivered ones are recorded as skipped.

    A name is a stage of :data:`veille.stages.PIPELINE`; a ``"module:attr"``
    is loaded directly. A failing stage does not prevent the next one (each
    reads what is pending in the database), but makes the run an error.
    """
    counts: dict[str, Any] = {}
    skipped: list[str] = []
    errors: list[str] = []
    ran = 0
    for name in stages:
        if env.stop.is_set():
            skipped.append(f"{name}: stopping")
            continue
        label = name.rsplit(":", 1)[-1].removesuffix("_stage")
        ctx = StageContext(
            settings=env.settings,
            db_url=env.settings.database_url,
            output_dir=_output_dir(env.settings, env.config_path),
            options={"stop": env.stop, "scheduled_at": env.tick, "job": env.job},
        )
        try:
            stage = load(name) if ":" in name else pipeline_stage(name)
            result: StageResult = stage(ctx)
        except StageNotDeliveredError as exc:
            skipped.append(f"{label}: {exc}")
            continue
        except Exception as exc:
            log.exception("stage %s of job %s failed", label, env.job)
            errors.append(f"{label}: {type(exc).__name__}: {exc}")
            continue
        ran += 1
        for key, value in result.counts.items():
            counts[f"{label}.{key}" if len(stages) > 1 else key] = value
        if result.outputs:
            counts.setdefault("outputs", []).extend(str(p) for p in result.outputs)
    if skipped:
        counts["skipped"] = skipped
    if errors:
        return Outcome(status="error", counts=counts, error="; ".join(errors))
    if ran == 0:
        return Outcome(status="skipped", counts=counts, error="; ".join(skipped))
    return Outcome(status="ok", counts=counts)


def crawl_argv(config_path: Path, source: str) -> list[str]:
    """The crawl command of one source: the ``veille crawl`` CLI in a fresh interpreter.

    Raises :class:`StageNotDeliveredError` (the run is logged as skipped) when
    the crawl runner is not installed; checked without importing it, so that
    scrapy never loads in the scheduler's process.
    """
    target = next(spec.target for spec in PIPELINE if spec.name == "crawl")
    module = target.partition(":")[0]
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        raise StageNotDeliveredError(f"{target} is not part of this installation")
    return [
        sys.executable,
        "-m",
        "veille",
        "--config",
        str(config_path),
        "crawl",
        "--source",
        source,
    ]


def _libc_prctl() -> Any:
    """``prctl`` from libc, looked up once in the parent (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        return None


_PRCTL = _libc_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """The crawl child gets SIGKILL if the scheduler dies (no orphan crawls)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def _kill_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def crawl_body(env: JobEnv, source: str, timeout: float, argv: str = DEFAULT_CRAWL_ARGV) -> Outcome:
    """Crawl one source in a child process group, with a timeout.

    On SIGTERM of the scheduler the child gets SIGTERM (finish the batch,
    save the cursor) and :data:`CRAWL_STOP_GRACE_SECONDS`; on timeout the
    whole group is killed and the run is an error ``timeout``. The cursor is
    saved per batch by the crawler, so a killed crawl resumes where it stopped.
    """
    url = env.settings.database_url
    with session_scope(url) as session:
        before = mentions_of_source(session, source)
    command = load(argv)(env.config_path, source)
    log.info("crawl %s: %s", source, " ".join(command))
    with tempfile.TemporaryFile() as output:
        proc = subprocess.Popen(  # noqa: S603 - argv built by us, no shell
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if _PRCTL is not None else None,
        )
        deadline = time.monotonic() + timeout
        status, error = "ok", ""
        terminated_at: float | None = None
        while True:
            try:
                rc = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if now > deadline:
                _kill_group(proc, signal.SIGKILL)
                proc.wait()
                rc, status, error = -signal.SIGKILL, "error", "timeout"
                break
            if env.stop.is_set() and terminated_at is None:
                log.info("stopping: asking crawl %s to finish its batch", source)
                _kill_group(proc, signal.SIGTERM)
                terminated_at = now
                deadline = min(deadline, now + CRAWL_STOP_GRACE_SECONDS)
        if status == "ok" and rc != 0:
            output.seek(0)
            tail = output.read()[-1500:].decode("utf-8", "replace").strip()
            stopped = "stopped by the scheduler's shutdown, " if terminated_at is not None else ""
            status, error = "error", f"{stopped}exit code {rc}: {tail}"
        output.seek(0)
        log.debug("crawl %s output:\n%s", source, output.read().decode("utf-8", "replace"))
    with session_scope(url) as session:
        after = mentions_of_source(session, source)
    return Outcome(
        status=status, counts={"exit_code": rc, "new_mentions": after - before}, error=error
    )


# ---------------------------------------------------------------------------
# APScheduler wiring
# ---------------------------------------------------------------------------


class _TickJob:
    """A job as the executor sees it, with the scheduled time passed as ``tick``."""

    def __init__(self, job: Job, run_time: datetime) -> None:
        self._job = job
        self._jobstore_alias = job._jobstore_alias
        self.id = job.id
        self.misfire_grace_time = job.misfire_grace_time
        self.func = job.func
        self.args = job.args
        self.kwargs = {**job.kwargs, "tick": run_time}

    def __str__(self) -> str:
        return str(self._job)


class TickExecutor(ThreadPoolExecutor):
    """A thread pool that tells the job which tick it runs (APScheduler 3 does not).

    Our jobs coalesce, so there is one run time per submission; should there
    be several, only the latest runs.
    """

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        latest = run_times[-1]
        super()._do_submit_job(_TickJob(job, latest), [latest])


def _job_args(config_path: Path, spec: JobSpec) -> list[Any]:
    return [str(config_path), spec.id, spec.body, spec.kwargs]


def _same(job: Job, spec: JobSpec, config_path: Path) -> bool:
    return (
        job.func_ref == "scheduler:execute"
        and list(job.args) == _job_args(config_path, spec)
        and repr(job.trigger) == repr(spec.trigger)
        and job.misfire_grace_time == spec.misfire_grace_seconds
        and job.coalesce
        and job.max_instances == 1
    )


def sync_jobs(sched: BackgroundScheduler, specs: Sequence[JobSpec], config_path: Path) -> None:
    """Make the job store match the configuration.

    Unchanged jobs are kept as they are, so their stored next run time (and
    thus the catch-up of missed ticks) survives a restart; changed jobs are
    replaced, removed ones deleted.
    """
    existing = {job.id: job for job in sched.get_jobs()}
    wanted = {spec.id for spec in specs}
    for job_id, job in existing.items():
        if job_id not in wanted:
            log.info("removing job %s (no longer configured)", job_id)
            job.remove()
    for spec in specs:
        job = existing.get(spec.id)
        if job is not None and _same(job, spec, config_path):
            continue
        log.info("scheduling %s: %s", spec.id, spec.trigger)
        sched.add_job(
            "scheduler:execute",
            trigger=spec.trigger,
            args=_job_args(config_path, spec),
            id=spec.id,
            name=spec.id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=spec.misfire_grace_seconds,
            replace_existing=True,
        )


class VeilleScheduler(BackgroundScheduler):
    """APScheduler's background scheduler that never fires jobs unless running.

    On ``shutdown()`` APScheduler 3 wakes its loop once more with the state
    already "stopped" (not "paused"), processes due jobs against executors
    that are shut down, and advances their stored next run time: the tick
    would be lost, not caught up after the restart. Only process while running.
    """

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        wait: float | None = super()._process_jobs()
        return wait


def make_scheduler(settings: Settings, workers: int) -> BackgroundScheduler:
    """An APScheduler whose job store is the veille database."""
    store = SQLAlchemyJobStore(engine=get_engine(settings.database_url), tablename=JOBSTORE_TABLE)
    return VeilleScheduler(
        jobstores={"default": store},
        executors={"default": TickExecutor(max_workers=max(4, workers))},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=ZoneInfo(settings.schedule.timezone),
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (main thread only; elsewhere, no handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _handler(signum: int, _frame: Any) -> None:
        log.info(
            "received %s: finishing the current batch, then exiting", signal.Signals(signum).name
        )
        stop.set()

    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _prepare(config_path: Path) -> tuple[Settings, Lease]:
    settings = load_settings(config_path)
    return settings, lease_for(settings.database_url)


def _lead(
    settings: Settings,
    config_path: Path,
    specs: Sequence[JobSpec],
    lease: Lease,
    stop: threading.Event,
    check_seconds: float,
    deadline: float | None,
) -> None:
    """Run the jobs while we hold the lease, until stopped or the lease is lost."""
    host = socket.gethostname()
    # Only the leader migrates, so two instances starting together never race on DDL.
    ensure_schema(settings.database_url)
    with session_scope(settings.database_url) as session:
        closed = mark_abandoned(session, host, _pid_alive)
    if closed:
        log.warning("closed %d run(s) interrupted by a previous scheduler on %s", closed, host)
    sched = make_scheduler(settings, workers=len(specs))
    sched.start(paused=True)
    try:
        sync_jobs(sched, specs, config_path)
        sched.resume()
        log.info("leading with %d jobs (%s)", len(specs), lease.description)
        while not stop.wait(check_seconds):
            if deadline is not None and time.monotonic() > deadline:
                stop.set()
                break
            if not lease.held():
                log.error("lost the scheduler lease; stepping down")
                break
    finally:
        sched.pause()
        sched.shutdown(wait=True)


def serve(
    config_path: Path,
    *,
    jobs: Sequence[JobSpec] | None = None,
    poll_seconds: float = STANDBY_POLL_SECONDS,
    check_seconds: float = LEASE_CHECK_SECONDS,
    max_seconds: float | None = None,
) -> int:
    """``veille schedule``: lead or stand by until SIGTERM; returns the exit code.

    ``jobs`` defaults to :func:`build_jobs`; ``max_seconds`` stops the service
    after that long (tests, smoke checks).
    """
    config_path = config_path.resolve()
    STOP.clear()
    deadline = time.monotonic() + max_seconds if max_seconds is not None else None
    settings, lease = _prepare(config_path)
    specs = list(jobs) if jobs is not None else build_jobs(settings)
    with _signals(STOP):
        announced = False
        while not STOP.is_set():
            if deadline is not None and time.monotonic() > deadline:
                break
            if lease.acquire():
                try:
                    _lead(settings, config_path, specs, lease, STOP, check_seconds, deadline)
                except Exception:
                    # The database went away mid-way, most likely: step down, retry.
                    log.exception("leading failed; retrying in %.0f s", poll_seconds)
                    STOP.wait(poll_seconds)
                finally:
                    lease.release()
                announced = False
                continue
            if not announced:
                log.info("another scheduler leads (%s); standing by", lease.description)
                announced = True
            STOP.wait(poll_seconds)
    # Every job has finished (shutdown waited for them): later in-process
    # calls (tests, an embedding application) start with a clear flag.
    STOP.clear()
    log.info("scheduler stopped")
    return 0


def _latest_due(job: Job, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(latest fire time <= now, next fire time > now), coalescing missed ticks."""
    due = job.next_run_time
    if due is None or due > now:
        return None, due
    following = job.trigger.get_next_fire_time(due, now)
    while following is not None and following <= now:
        due, following = following, job.trigger.get_next_fire_time(following, now)
    return due, following


def run_once(config_path: Path, *, jobs: Sequence[JobSpec] | None = None) -> dict[str, str]:
    """``veille schedule --once``: run every due job once (coalesced), then return.

    For cron-only hosts. Jobs are created on the first call with their next
    tick in the future, so the first call of a fresh installation runs
    nothing. Returns job id -> status (``ok``, ``error``, ``skipped``,
    ``claimed`` by another instance, ``missed`` beyond the misfire grace).
    """
    config_path = config_path.resolve()
    STOP.clear()
    settings, lease = _prepare(config_path)
    specs = list(jobs) if jobs is not None else build_jobs(settings)
    if not lease.acquire():
        raise SchedulerBusyError(
            f"another scheduler is running on this database ({lease.description}); "
            "it already runs the due jobs"
        )
    results: dict[str, str] = {}
    try:
        ensure_schema(settings.database_url)
        sched = make_scheduler(settings, workers=1)
    except BaseException:
        lease.release()
        raise
    try:
        with _signals(STOP):
            sched.start(paused=True)
            sync_jobs(sched, specs, config_path)
            for job in sched.get_jobs():
                if STOP.is_set():
                    break
                now = datetime.now(UTC)
                due, following = _latest_due(job, now)
                if due is None:
                    continue
                grace = job.misfire_grace_time
                if grace is not None and (now - due).total_seconds() > grace:
                    log.warning("%s: tick %s missed beyond its grace time", job.id, due)
                    results[job.id] = "missed"
                else:
                    outcome = execute(*job.args, tick=due)
                    results[job.id] = outcome.status if outcome is not None else "claimed"
                if following is None:
                    job.remove()
                else:
                    job.modify(next_run_time=following)
    finally:
        if sched.running:
            sched.shutdown(wait=True)
        lease.release()
    return results
