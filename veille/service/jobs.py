"""What a scheduled job is, and when its ticks fall.

A job is a :class:`JobSpec`: an id for the run log, a body (``"module:attr"``),
an APScheduler trigger and whether the job is safe to repeat. Ticks are
deterministic (interval triggers anchored on a fixed date, cron triggers
are cron), so every scheduler instance on every host computes the same
ticks, and the run log alone says which ones ran: it is the scheduler's
only state (APScheduler keeps its jobs in memory).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from veille.config import Settings
from veille.errors import VeilleError

#: Interval ticks are aligned on this instant, so every instance computes the same ticks.
INTERVAL_ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)
#: A missed run still runs once if it is less than one period late (the next
#: run is then due anyway), and never less than this.
MIN_MISFIRE_GRACE_SECONDS = 60
#: Catch-up never counts more missed ticks than this (a minute job down for months).
MAX_COUNTED_TICKS = 100_000


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id in the run log, its body, its trigger, its re-run policy.

    ``body`` is a ``"module:attribute"`` reference to a function
    ``body(env: JobEnv, **kwargs) -> Outcome``. ``repeat_safe`` says whether
    running one tick twice is harmless (idempotent writes, nothing sent
    twice): only such jobs get an interrupted tick re-run once.
    """

    id: str
    body: str
    trigger: BaseTrigger
    kwargs: dict[str, Any] = field(default_factory=dict)
    misfire_grace_seconds: int | None = None
    #: The job's period, for the health summary's staleness check.
    period: timedelta = timedelta(hours=1)
    repeat_safe: bool = False


@dataclass
class JobEnv:
    """What a job body receives."""

    settings: Settings
    config_path: Path
    job: str
    tick: str
    #: Set by SIGTERM or a lost lease: finish the current batch and return.
    stop: threading.Event
    #: Set when the leader lost its lease: stop at once (child processes are killed).
    fence: threading.Event = field(default_factory=threading.Event)
    #: 1 for the tick's run, 2 for its re-run after an interruption.
    attempt: int = 1


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


def cron_period(job_id: str, expr: str, trigger: CronTrigger) -> timedelta:
    """The longest gap between two fires, measured from a fixed date (the same everywhere)."""
    fires: list[datetime] = []
    previous: datetime | None = INTERVAL_ANCHOR
    while len(fires) < 12 and previous is not None:
        fire = next_fire_after(trigger, previous)
        if fire is None:
            break
        fires.append(fire)
        previous = fire
    if len(fires) < 2:
        raise VeilleError(f"cron expression {expr!r} of {job_id} does not repeat")
    return max(b - a for a, b in itertools.pairwise(fires))


def misfire_grace(period_seconds: float) -> int:
    return int(max(MIN_MISFIRE_GRACE_SECONDS, period_seconds))


def tick_key(run_time: datetime) -> str:
    """The run log's tick: the scheduled time in UTC, to the second."""
    return run_time.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_tick(key: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(key)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def next_fire_after(trigger: BaseTrigger, moment: datetime) -> datetime | None:
    """The trigger's first fire time in a later second than ``moment``.

    Ticks are keyed to the second (:func:`tick_key`), so a fire time within
    the same second as ``moment`` is the same tick.
    """
    start = moment.replace(microsecond=0) + timedelta(seconds=1)
    fire: datetime | None = trigger.get_next_fire_time(None, start)
    return fire


@dataclass(frozen=True)
class Due:
    """Where a job stands against its ticks at ``now``."""

    #: The latest tick at or before ``now`` that was never claimed (None: nothing due).
    tick: datetime | None
    #: Earlier unclaimed ticks folded into it (coalesced).
    coalesced: int
    #: The first tick after ``now``.
    following: datetime | None


def due(trigger: BaseTrigger, since: datetime, now: datetime) -> Due:
    """The ticks of ``trigger`` after ``since`` (the last claimed tick) up to ``now``."""
    fire = next_fire_after(trigger, since)
    if fire is None or fire > now:
        return Due(None, 0, fire)
    if isinstance(trigger, IntervalTrigger):  # arithmetic: a minute job may be months behind
        steps = int((now - trigger.start_date) / trigger.interval)
        latest = trigger.start_date + steps * trigger.interval
        return Due(latest, int((latest - fire) / trigger.interval), latest + trigger.interval)
    latest, count = fire, 0
    following = next_fire_after(trigger, latest)
    while following is not None and following <= now:
        latest, count = following, count + 1
        following = next_fire_after(trigger, latest)
    return Due(latest, count, following)


def ticks_between(trigger: BaseTrigger, after: datetime, before: datetime) -> int:
    """How many ticks fall strictly between ``after`` and ``before`` (coalesced counts)."""
    if isinstance(trigger, IntervalTrigger):
        first = next_fire_after(trigger, after)
        if first is None or first >= before:
            return 0
        return int((before - first - timedelta(microseconds=1)) / trigger.interval) + 1
    count = 0
    fire = next_fire_after(trigger, after)
    while fire is not None and fire < before and count < MAX_COUNTED_TICKS:
        count += 1
        fire = next_fire_after(trigger, fire)
    return count
