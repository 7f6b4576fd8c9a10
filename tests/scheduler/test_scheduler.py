"""The scheduler's pieces on a real database: jobs, claims, stages, crawls, leases."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import update

import scheduler
from store.db import session_scope
from store.lease import DatabaseLease, lease_for
from store.models import SchedulerLease
from store.runs import (
    finish_run,
    health,
    health_summary,
    mark_interrupted,
    recent_runs,
    runs_for_job,
    start_run,
)
from tests.conftest import make_settings

PARIS = ZoneInfo("Europe/Paris")


# --- jobs from the configuration ---------------------------------------------------------


def test_build_jobs_from_settings() -> None:
    settings = make_settings(
        sources=[
            {"name": "news", "kind": "rss", "interval_minutes": 15},
            {"name": "toots", "kind": "mastodon", "interval_minutes": 5},
            {"name": "off", "kind": "rss", "enabled": False},
        ]
    )
    jobs = {spec.id: spec for spec in scheduler.build_jobs(settings)}
    assert set(jobs) == {
        "crawl:news",
        "crawl:toots",
        "nlp",
        "alerts",
        "digest",
        "weekly_report",
        "retention",
        "notices",
    }
    news = jobs["crawl:news"]
    assert isinstance(news.trigger, IntervalTrigger)
    assert news.trigger.interval == timedelta(minutes=15)
    assert news.kwargs == {"source": "news", "timeout": 1800, "argv": "scheduler:crawl_argv"}
    assert jobs["crawl:toots"].kwargs["timeout"] == 600  # twice the interval
    assert jobs["nlp"].kwargs["stages"] == [
        "sentiment",
        "routing",
        "job_changes",
        "matching",
        "suggestions",
    ]
    assert jobs["nlp"].trigger.interval == timedelta(minutes=5)  # type: ignore[attr-defined]
    assert jobs["alerts"].trigger.interval == timedelta(hours=1)  # type: ignore[attr-defined]
    # The weekly report: Monday 08:00 Europe/Paris, whatever the season.
    weekly = jobs["weekly_report"].trigger
    assert isinstance(weekly, CronTrigger)
    for start in (datetime(2026, 1, 7, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)):
        fire = weekly.get_next_fire_time(None, start)
        assert fire is not None
        local = fire.astimezone(PARIS)
        assert (local.weekday(), local.hour, local.minute) == (0, 8, 0)
    # A missed run is caught up (once) until the next one is due.
    assert jobs["weekly_report"].misfire_grace_seconds == 7 * 24 * 3600
    assert jobs["digest"].misfire_grace_seconds == 24 * 3600
    assert jobs["crawl:news"].misfire_grace_seconds == 15 * 60
    # Jobs are built identically every time (the job store keeps unchanged ones).
    again = {spec.id: spec for spec in scheduler.build_jobs(settings)}
    assert {k: repr(v.trigger) for k, v in again.items()} == {
        k: repr(v.trigger) for k, v in jobs.items()
    }
    assert again["weekly_report"].period == jobs["weekly_report"].period
    digest = jobs["digest"].trigger.get_next_fire_time(None, datetime(2026, 3, 3, 12, tzinfo=UTC))
    assert digest is not None and digest.astimezone(PARIS).hour == 7
    assert digest.astimezone(PARIS).day == 4


def test_interval_ticks_are_the_same_for_every_instance() -> None:
    a = scheduler.interval_trigger(300, "Europe/Paris")
    time.sleep(0.01)
    b = scheduler.interval_trigger(300, "Europe/Paris")
    now = datetime.now(UTC)
    fa, fb = a.get_next_fire_time(None, now), b.get_next_fire_time(None, now)
    assert fa == fb and fa is not None
    assert fa.astimezone(UTC).minute % 5 == 0 and fa.second == 0
    assert repr(a) == repr(b)


def test_cron_weekday_numbers_follow_crontab() -> None:
    start = datetime(2026, 5, 6, tzinfo=UTC)  # a Wednesday
    for expr, weekday in (("0 8 * * 1", 0), ("0 8 * * 0", 6), ("0 8 * * 7", 6), ("0 8 * * mon", 0)):
        fire = scheduler.cron_trigger(expr, "Europe/Paris").get_next_fire_time(None, start)
        assert fire is not None and fire.astimezone(PARIS).weekday() == weekday, expr
    fire = scheduler.cron_trigger("0 8 * * 1-5", "UTC").get_next_fire_time(
        None,
        datetime(2026, 5, 9, tzinfo=UTC),  # Saturday -> Monday
    )
    assert fire is not None and fire.weekday() == 0
    with pytest.raises(scheduler.VeilleError):
        scheduler.cron_trigger("0 8 * *", "UTC")
    with pytest.raises(scheduler.VeilleError):
        scheduler.cron_trigger("0 8 * * 9", "UTC")


# --- run log ---------------------------------------------------------------------------


def test_start_run_claims_each_tick_once(db_url: str) -> None:
    with session_scope(db_url) as s:
        first = start_run(s, "crawl:news", "2026-01-01T00:00:00+00:00", "h1", 1)
        again = start_run(s, "crawl:news", "2026-01-01T00:00:00+00:00", "h2", 2)
        other = start_run(s, "crawl:news", "2026-01-01T00:30:00+00:00", "h2", 2)
    assert first is not None and first.status == "running" and first.host == "h1"
    assert again is None
    assert other is not None
    with session_scope(db_url) as s:
        assert first.id is not None
        finish_run(s, first.id, "ok", {"new_mentions": 4})
        runs = runs_for_job(s, "crawl:news")
        assert [(r.tick[-15:], r.status, r.counts) for r in runs] == [
            ("T00:00:00+00:00", "ok", {"new_mentions": 4}),
            ("T00:30:00+00:00", "running", {}),
        ]
        assert runs[0].finished_at is not None
        assert [r.id for r in recent_runs(s, limit=1)] == [other.id]


#: Tests of expiry give each lease operation this long, not the 1 s a 3 s lease gets by
#: default: the suite runs three workers on two cores, and a first SQLite operation once took
#: longer than 1 s there (the acquire then failed as a timeout, which these tests are not about).
EXPIRY_TEST_TIMEOUT = 5.0


def test_mark_interrupted_closes_runs_of_earlier_terms_on_any_host(db_url: str) -> None:
    old = lease_for(db_url, host="host-a", ttl=3, timeout=EXPIRY_TEST_TIMEOUT)
    assert old.acquire() and old.term is not None
    with session_scope(db_url) as s:
        # A run of the old leader on another host, and one left by an older veille.
        theirs = start_run(s, "nlp", "t1", "host-a", 999_999, term=old.term)
        legacy = start_run(s, "nlp", "t2", "host-a", 999_998)
    old.forget()  # the old leader went silent
    new = lease_for(db_url, host="host-b", ttl=3, timeout=EXPIRY_TEST_TIMEOUT)
    assert not new.acquire()  # not before the lease expired
    time.sleep(3.2)
    assert new.acquire() and new.term is not None
    with session_scope(db_url) as s:
        mine = start_run(s, "nlp", "t3", "host-b", os.getpid(), term=new.term)
        closed = mark_interrupted(s, new.term)
    assert theirs and legacy and mine
    assert sorted(r.tick for r in closed) == ["t1", "t2"]
    with session_scope(db_url) as s:
        status = {r.tick: (r.status, r.error) for r in runs_for_job(s, "nlp")}
        # A late answer from the old leader changes nothing.
        assert theirs.id is not None and finish_run(s, theirs.id, "ok") is None
    assert status["t1"][0] == "interrupted" and "host-a" in status["t1"][1]
    assert status["t2"][0] == "interrupted"
    assert status["t3"] == ("running", "")
    new.release()


def test_health_summary(db_url: str) -> None:
    now = datetime.now(UTC)
    with session_scope(db_url) as s:
        for job, tick, status in (
            ("crawl:news", "a", "ok"),
            ("crawl:news", "b", "error"),
            ("nlp", "a", "ok"),
        ):
            run = start_run(s, job, tick, "h", 1)
            assert run is not None and run.id is not None
            finish_run(s, run.id, status, {}, "boom" if status == "error" else "")
    expected = {
        "crawl:news": timedelta(minutes=30),
        "nlp": timedelta(minutes=5),
        "digest": timedelta(days=1),
    }
    with session_scope(db_url) as s:
        summary = health_summary(s, expected, now=now)
    assert summary["ok"] is False
    assert summary["failing"] == ["crawl:news"]
    assert summary["failures_24h"] == 1
    assert summary["never_run"] == ["digest"]
    assert summary["stale"] == []
    jobs = {j["job"]: j for j in summary["jobs"]}
    assert jobs["crawl:news"]["status"] == "error" and jobs["crawl:news"]["last_ok_at"]
    # Three hours later nlp (every 5 min) is stale.
    with session_scope(db_url) as s:
        later = health_summary(s, expected, now=now + timedelta(hours=3))
    assert later["stale"] == ["crawl:news", "nlp"]
    body = health(db_url, {"nlp": timedelta(minutes=5)})
    assert body["ok"] is False and body["stale"] == []


# --- executing jobs -------------------------------------------------------------------


def _tick() -> datetime:
    return datetime(2026, 2, 2, 8, 0, tzinfo=UTC)


def test_undelivered_stages_are_recorded_as_skipped(db_url: str, write_config) -> None:
    config = write_config(db_url)
    outcome = scheduler.execute(
        str(config),
        "nlp",
        "scheduler:stages_body",
        {"stages": ["veille_future_module:extra_stage"]},
        tick=_tick(),
    )
    assert outcome is not None
    with session_scope(db_url) as s:
        [run] = runs_for_job(s, "nlp")
    assert run.status == "skipped"
    assert "extra" in run.error and "not part of this installation" in run.error
    assert run.tick == "2026-02-02T08:00:00+00:00"
    # The same tick is never run twice, even after a restart.
    again = scheduler.execute(
        str(config),
        "nlp",
        "scheduler:stages_body",
        {"stages": ["veille_future_module:extra_stage"]},
        tick=_tick(),
    )
    assert again is None


def test_stage_counts_errors_and_stop_flag(db_url: str, write_config) -> None:
    config = write_config(db_url)
    stages = [
        "tests.scheduler.helpers:counting_stage",
        "reports.nowhere:missing_stage",
        "tests.scheduler.helpers:broken_stage",
    ]
    scheduler.execute(
        str(config), "mixed", "scheduler:stages_body", {"stages": stages}, tick=_tick()
    )
    scheduler.execute(
        str(config),
        "one",
        "scheduler:stages_body",
        {"stages": ["tests.scheduler.helpers:counting_stage"]},
        tick=_tick(),
    )
    with session_scope(db_url) as s:
        [mixed] = runs_for_job(s, "mixed")
        [one] = runs_for_job(s, "one")
    assert mixed.status == "error"
    assert mixed.error == "broken: RuntimeError: model exploded"
    assert mixed.counts["counting.processed"] == 3
    assert mixed.counts["skipped"] == [
        "missing: reports.nowhere:missing_stage is not part of this installation"
    ]
    assert one.status == "ok" and one.counts == {"processed": 3, "scheduled": 1}


def test_crawl_runs_out_of_process_and_stores_mentions(db_url: str, write_config) -> None:
    config = write_config(
        db_url,
        sources=[{"name": "news", "kind": "rss", "options": {"total": 7, "batch": 3, "delay": 0}}],
    )
    kwargs = {"source": "news", "timeout": 60, "argv": "tests.scheduler.helpers:crawl_script_argv"}
    outcome = scheduler.execute(
        str(config), "crawl:news", "scheduler:crawl_body", kwargs, tick=_tick()
    )
    assert outcome is not None and outcome.status == "ok", outcome
    assert outcome.counts == {"exit_code": 0, "new_mentions": 7}
    # A second tick resumes from the saved cursor: nothing new, nothing duplicated.
    later = _tick() + timedelta(minutes=30)
    outcome = scheduler.execute(
        str(config), "crawl:news", "scheduler:crawl_body", kwargs, tick=later
    )
    assert outcome is not None and outcome.counts == {"exit_code": 0, "new_mentions": 0}


def test_crawl_timeout_kills_the_process_group(db_url: str, write_config, tmp_path: Path) -> None:
    config = write_config(db_url, sources=[{"name": "slow", "kind": "rss"}])
    kwargs = {"source": "slow", "timeout": 3, "argv": "tests.scheduler.helpers:hang_argv"}
    outcome = scheduler.execute(
        str(config), "crawl:slow", "scheduler:crawl_body", kwargs, tick=_tick()
    )
    assert outcome is not None
    assert (outcome.status, outcome.error) == ("error", "timeout")
    pids = [int(p) for p in (tmp_path / "slow.pids").read_text().split()]
    time.sleep(0.5)
    for pid in pids:  # the crawl and its own child are gone
        assert not _alive(pid), pid
    with session_scope(db_url) as s:
        [run] = runs_for_job(s, "crawl:slow")
    assert (run.status, run.error) == ("error", "timeout")


def test_crawl_failure_keeps_the_tail_of_its_output(db_url: str, write_config) -> None:
    config = write_config(db_url, sources=[{"name": "bad", "kind": "rss"}])
    kwargs = {"source": "bad", "timeout": 30, "argv": "tests.scheduler.helpers:failing_argv"}
    outcome = scheduler.execute(
        str(config), "crawl:bad", "scheduler:crawl_body", kwargs, tick=_tick()
    )
    assert outcome is not None and outcome.status == "error"
    assert outcome.error.startswith("exit code 3") and "no route to host" in outcome.error


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its parent's reaper counts as dead.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# --- restart behaviour: coalescing and --once -------------------------------------------


def _probe_spec(path: Path, seconds: float = 3600) -> scheduler.JobSpec:
    # Hourly: a test never straddles a regular tick by accident.
    return scheduler.JobSpec(
        id="probe",
        body="tests.scheduler.helpers:probe_body",
        trigger=scheduler.interval_trigger(seconds, "Europe/Paris"),
        kwargs={"path": str(path)},
        misfire_grace_seconds=3600,
        period=timedelta(seconds=seconds),
    )


def _rewind(db_url: str, hours: int) -> None:
    """Pretend the scheduler was down: its first lease was taken ``hours`` earlier.

    A job that never ran counts its ticks from then (the run log is the
    scheduler's only state).
    """
    with session_scope(db_url) as s:
        s.exec(  # type: ignore[call-overload]
            update(SchedulerLease).values(created_at=SchedulerLease.created_at - hours * 3600)
        )


def test_once_runs_due_jobs_once_with_one_catch_up(
    db_url: str, write_config, tmp_path: Path
) -> None:
    config = write_config(db_url)
    probe = tmp_path / "probe.txt"
    spec = _probe_spec(probe)
    assert scheduler.run_once(config, jobs=[spec]) == {}  # first call: jobs created, none due yet
    _rewind(db_url, hours=5)  # five missed hourly ticks
    assert scheduler.run_once(config, jobs=[spec]) == {"probe": "ok"}
    assert scheduler.run_once(config, jobs=[spec]) == {}  # next tick is in the future again
    lines = probe.read_text().splitlines()
    assert len(lines) == 2  # one start + one end: one catch-up run, not five
    with session_scope(db_url) as s:
        [run] = runs_for_job(s, "probe")
    # The catch-up run is the latest missed tick.
    tick = datetime.fromisoformat(run.tick)
    assert timedelta(0) <= datetime.now(UTC) - tick < timedelta(hours=1)
    assert tick.minute == tick.second == 0
    assert run.coalesced == 4  # and the run log says so


def test_service_coalesces_missed_ticks_into_one_run(
    db_url: str, write_config, tmp_path: Path
) -> None:
    config = write_config(db_url)
    probe = tmp_path / "probe.txt"
    spec = _probe_spec(probe)
    scheduler.run_once(config, jobs=[spec])
    _rewind(db_url, hours=10)
    started = datetime.now(UTC)
    assert (
        scheduler.serve(config, jobs=[spec], poll_seconds=0.2, check_seconds=0.2, max_seconds=3)
        == 0
    )
    with session_scope(db_url) as s:
        runs = runs_for_job(s, "probe")
    catch_up = [r for r in runs if datetime.fromisoformat(r.tick) < started]
    assert len(catch_up) == 1 and catch_up[0].status == "ok"  # ten missed ticks, one run
    assert catch_up[0].coalesced == 9
    assert len(runs) == 1 or (len(runs) == 2 and runs[1].tick[14:] == "00:00+00:00")
    assert len(probe.read_text().splitlines()) == 2 * len(runs)


def test_once_refuses_while_another_scheduler_leads(db_url: str, write_config) -> None:
    config = write_config(db_url)
    lease = lease_for(db_url)
    assert lease.acquire()
    try:
        with pytest.raises(scheduler.SchedulerBusyError):
            scheduler.run_once(config, jobs=[])
    finally:
        lease.release()
    assert scheduler.run_once(config, jobs=[]) == {}


# --- leases ----------------------------------------------------------------------------


def test_lease_is_exclusive_until_released_or_expired(db_url: str) -> None:
    a = DatabaseLease(db_url, host="a", ttl=3, timeout=EXPIRY_TEST_TIMEOUT)
    b = DatabaseLease(db_url, host="b", ttl=3, timeout=EXPIRY_TEST_TIMEOUT)
    assert a.acquire() and a.held() and a.term is not None
    generation = a.term.generation
    assert not b.acquire() and not b.held()
    assert a.renew()
    a.release()
    assert not a.held()
    assert b.acquire() and b.term is not None
    assert b.term.generation == generation + 1
    first = b.term
    # b goes silent: after its expiry (database clock) a takes over, with a new token,
    # and b's renewal is refused.
    b.forget()
    b.term = first
    time.sleep(3.2)
    assert a.acquire() and a.term is not None
    assert a.term.generation == first.generation + 1
    assert not b.renew() and b.term is None
    a.release()
    assert lease_for(db_url).description.startswith("lease")


@pytest.mark.postgres
def test_postgres_leases_of_different_schemas_do_not_contend(postgres_url: str) -> None:
    from urllib.parse import quote

    from sqlalchemy import create_engine, text

    from store.db import upgrade
    from tests.conftest import postgres_base_url

    base = postgres_base_url()
    assert base is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    other = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    a = DatabaseLease(postgres_url, host="a")
    b = DatabaseLease(other, host="b")
    try:
        upgrade(other)
        assert a.acquire() and b.acquire()
    finally:
        a.close()
        b.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_lease_operations_never_block_on_a_silent_database(tmp_path: Path) -> None:
    from store.lease import LeaseTimeout, bounded

    started = time.monotonic()
    with pytest.raises(LeaseTimeout):
        bounded(lambda: time.sleep(5), 0.3, "renew")
    assert time.monotonic() - started < 2


def test_a_change_of_schedule_needs_no_stored_state(
    db_url: str, write_config, tmp_path: Path
) -> None:
    """The run log is the only state: a new interval applies from the last run on."""
    config = write_config(db_url)
    probe = tmp_path / "probe.txt"
    scheduler.run_once(config, jobs=[_probe_spec(probe)])
    _rewind(db_url, hours=3)
    assert scheduler.run_once(config, jobs=[_probe_spec(probe)]) == {"probe": "ok"}
    # Every two hours now: the last run was this hour's tick, so nothing is due.
    assert scheduler.run_once(config, jobs=[_probe_spec(probe, 7200)]) == {}
    with session_scope(db_url) as s:
        assert len(runs_for_job(s, "probe")) == 1


def test_default_crawl_command_is_the_veille_crawl_cli(tmp_path: Path) -> None:
    import importlib.util

    config = tmp_path / "veille.toml"
    if importlib.util.find_spec("crawlers.runner") is None:
        # Until the crawler lands, a crawl job is logged as skipped, not as a failure.
        with pytest.raises(scheduler.StageNotDeliveredError, match=r"crawlers\.runner"):
            scheduler.crawl_argv(config, "news")
    else:
        argv = scheduler.crawl_argv(config, "news")
        assert argv[1:] == ["-m", "veille", "--config", str(config), "crawl", "--source", "news"]


def test_health_of_an_installation(db_url: str, write_config) -> None:
    config = write_config(db_url)
    settings = scheduler.load_settings(config)
    fresh = scheduler.health(settings)
    assert fresh["ok"] is True and fresh["jobs"] == []
    assert fresh["never_run"] == [
        "alerts",
        "digest",
        "nlp",
        "notices",
        "retention",
        "weekly_report",
    ]
    scheduler.execute(
        str(config),
        "alerts",
        "scheduler:stages_body",
        {"stages": ["tests.scheduler.helpers:broken_stage"]},
        tick=_tick(),
    )
    after = scheduler.health(settings)
    assert after["ok"] is False and after["failing"] == ["alerts"]


def test_scheduler_runs_the_real_crawler_out_of_process(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default crawl argv (`python -m veille crawl --source N`) against a replayed feed."""
    from veille.demo.replay import ReplayServer, Route
    from veille.demo.run import demo_data_dir

    monkeypatch.delenv("DATABASE_URL", raising=False)
    routes = [Route(path="/feed.rss", file="rss/univ-paris3.rss", type="application/rss+xml")]
    with ReplayServer(routes, demo_data_dir()) as server:
        config = tmp_path / "veille.toml"
        config.write_text(
            f'database_url = "{db_url}"\n'
            "allow_private_addresses = true\n"
            '[institution]\nslug = "p3"\nname = "Université Sorbonne Nouvelle"\n'
            '[[sources]]\nname = "news"\nkind = "rss"\n'
            f'targets = ["{server.base_url}/feed.rss"]\n'
            "[sources.options]\nown_channel = true\n",
            encoding="utf-8",
        )
        kwargs = {"source": "news", "timeout": 120}  # default argv: the real `veille crawl`
        outcome = scheduler.execute(
            str(config), "crawl:news", "scheduler:crawl_body", kwargs, tick=_tick()
        )
        assert outcome is not None and outcome.status == "ok", outcome
        assert outcome.counts["exit_code"] == 0 and outcome.counts["new_mentions"] == 10
        again = scheduler.execute(
            str(config),
            "crawl:news",
            "scheduler:crawl_body",
            kwargs,
            tick=_tick() + timedelta(minutes=30),
        )
        assert again is not None and again.counts["new_mentions"] == 0


def test_each_scheduled_crawl_has_its_own_crawl_id_and_a_rerun_resumes_it(
    db_url: str, write_config, tmp_path: Path
) -> None:
    config = write_config(db_url, sources=[{"name": "site", "kind": "web"}])
    kwargs = {"source": "site", "timeout": 30, "argv": "tests.scheduler.helpers:crawl_id_argv"}
    for tick, attempt in ((_tick(), 1), (_tick() + timedelta(minutes=30), 1), (_tick(), 2)):
        outcome = scheduler.execute(
            str(config), "crawl:site", "scheduler:crawl_body", kwargs, tick=tick, attempt=attempt
        )
        assert outcome is not None and outcome.status == "ok", outcome
    ids = (tmp_path / "site.crawl-ids").read_text().split()
    assert ids == ["20260202T080000Z", "20260202T083000Z", "20260202T080000Z"]


def test_a_tick_missed_beyond_its_grace_is_recorded_not_run(
    db_url: str, write_config, tmp_path: Path
) -> None:
    from dataclasses import replace

    config = write_config(db_url)
    probe = tmp_path / "probe.txt"
    spec = replace(_probe_spec(probe), misfire_grace_seconds=0)
    assert scheduler.run_once(config, jobs=[spec]) == {}
    _rewind(db_url, hours=3)
    assert scheduler.run_once(config, jobs=[spec]) == {"probe": "missed"}
    assert not probe.exists()
    with session_scope(db_url) as s:
        [run] = runs_for_job(s, "probe")
    assert (run.status, run.coalesced) == ("missed", 2) and "missed" in run.error
    assert scheduler.run_once(config, jobs=[spec]) == {}  # accounted for: not again


def test_a_tick_that_comes_during_a_long_run_runs_right_after_it(
    sqlite_url: str, write_config, tmp_path: Path
) -> None:
    """No tick is swallowed by a run still going: the latest runs next, the rest are counted."""
    config = write_config(sqlite_url)
    probe = tmp_path / "probe.txt"
    spec = scheduler.JobSpec(
        id="probe",
        body="tests.scheduler.helpers:probe_body",
        trigger=scheduler.interval_trigger(2, "UTC"),
        kwargs={"path": str(probe), "sleep": 4.5},  # two ticks come during each run
        misfire_grace_seconds=60,
        period=timedelta(seconds=2),
    )
    assert scheduler.serve(config, jobs=[spec], poll_seconds=0.2, max_seconds=8) == 0
    with session_scope(sqlite_url) as s:
        runs = runs_for_job(s, "probe")
    assert len(runs) >= 2 and all(r.status == "ok" for r in runs)
    ticks = [datetime.fromisoformat(r.tick) for r in runs]
    for before, after, run in zip(ticks, ticks[1:], runs[1:], strict=False):
        # Every tick in between was folded into this run, and the run log says how many.
        assert (after - before).total_seconds() / 2 - 1 == run.coalesced
    assert any(r.coalesced >= 1 for r in runs[1:])
    trace = [line.split() for line in probe.read_text().splitlines()]
    ends = [datetime.fromisoformat(t) for e, t, *_ in trace if e == "end"]
    assert len(ends) == len(runs)  # graceful stop: the last run finished its batch
    started = [r.started_at for r in runs]
    finished = [r.finished_at for r in runs]
    for end, start in zip(finished, started[1:], strict=False):
        assert end is not None and (start - end).total_seconds() < 1.5  # right after
