"""Acceptance across hosts, with real processes on PostgreSQL.

* Two schedulers with different hostnames; the leader goes silent behind a
  frozen proxy (sockets open, no bytes): the standby leads within the lease,
  the silent leader fences itself, every tick of the 1 s job runs at most
  once with none unaccounted for, and the leader's "long" run is marked
  interrupted by the other host and re-run once there. When the network
  comes back, the old leader's late messages change nothing.
* A lone scheduler keeps scheduling through database blips while a long job
  runs: a short blip costs nothing; a blip longer than the lease ends the
  term, and the next one starts at once without waiting for the long job.
* SIGTERM during a real ``veille crawl`` run by the scheduler: the crawl
  stores its current batch and exits 0, the run is logged ok, and a later
  crawl completes exactly what an uninterrupted one stores.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import select

from store.db import session_scope
from store.lease import lease_for
from store.models import CrawlTarget, JobRun, Mention
from store.runs import runs_for_job
from tests.scheduler.conftest import wait_until
from tests.scheduler.proxy import FreezableProxy
from tests.scheduler.run_service import LEASE_SECONDS

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

#: The issue's bound for a silent leader to be replaced.
TAKEOVER_LIMIT_S = 60


def _trace(path: Path) -> list[tuple[str, str, int]]:
    """(event, tick, pid) lines written by tests.scheduler.helpers:probe_body."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        event, tick, pid, *_ = line.split()
        rows.append((event, tick, int(pid)))
    return rows


def _starts(path: Path, pid: int) -> list[str]:
    return [tick for event, tick, p in _trace(path) if event == "start" and p == pid]


def _config(write_config, tmp_path: Path, name: str, url: str, **schedule) -> Path:
    path = write_config(url, **schedule)
    target = tmp_path / name / "veille.toml"
    target.parent.mkdir(exist_ok=True)
    path.rename(target)
    return target


def _runs(url: str, job: str) -> list[JobRun]:
    with session_scope(url) as session:
        return runs_for_job(session, job)


def _first_lease(url: str) -> None:
    """Create the lease row now, as a first scheduler would: ticks count from here.

    A scheduler slow to start still runs the long job's first tick (as a catch-up).
    """
    lease = lease_for(url, host="setup")
    assert lease.acquire()
    lease.close()


@pytest.fixture
def proxy():
    p = FreezableProxy()
    yield p
    p.close()


def test_a_silent_leader_is_replaced_fenced_and_its_run_rerun_once(
    postgres_url: str, write_config, services, tmp_path: Path, proxy: FreezableProxy
) -> None:
    probe, long = tmp_path / "probe.txt", tmp_path / "long.txt"
    config_a = _config(write_config, tmp_path, "a", proxy.url(postgres_url))
    config_b = _config(write_config, tmp_path, "b", postgres_url)
    _first_lease(postgres_url)
    first_long_tick = int(time.time()) + 8
    args = ("twojobs", str(probe), str(long), str(first_long_tick), "6")
    a = services(config_a, *args, env={"VEILLE_HOSTNAME": "host-a"})
    wait_until(lambda: len(_starts(probe, a.pid)) > 0, 60, "host-a to lead")
    b = services(config_b, *args, env={"VEILLE_HOSTNAME": "host-b"})
    wait_until(lambda: len(_starts(long, a.pid)) == 1, 60, "the long job to start on host-a")

    proxy.freeze()  # host-a's network goes silent in the middle of the long run
    frozen_at = time.monotonic()
    wait_until(lambda: len(_starts(probe, b.pid)) > 0, TAKEOVER_LIMIT_S, "host-b to lead")
    takeover = time.monotonic() - frozen_at
    wait_until(lambda: len(_starts(long, b.pid)) == 1, 30, "the long run to be re-run")
    wait_until(
        lambda: any(r.attempt == 2 and r.status == "ok" for r in _runs(postgres_url, "long")),
        30,
        "the re-run to finish",
    )
    # The network comes back: host-a's held messages arrive late, and change nothing.
    proxy.thaw()
    thawed_ticks = len(_starts(probe, b.pid))
    wait_until(lambda: len(_starts(probe, b.pid)) >= thawed_ticks + 4, 30, "more ticks")
    # The old leader stands by (stopped first, or it would lead again once b is gone).
    assert "standing by" in a.output()
    assert a.terminate() == 0, a.output()[-3000:]
    assert b.terminate() == 0, b.output()[-3000:]

    # Takeover within the lease (plus the standby's poll and start-up), far inside 60 s.
    assert takeover < TAKEOVER_LIMIT_S
    assert takeover < LEASE_SECONDS + 10, takeover

    # The 1 s job: no tick ran twice, anywhere; every tick from the first to the last
    # is either a run or counted as coalesced into the run that followed it.
    starts = Counter(tick for event, tick, _ in _trace(probe) if event == "start")
    assert max(starts.values()) == 1, [t for t, n in starts.items() if n > 1]
    runs = _runs(postgres_url, "probe")
    assert Counter((r.tick, r.attempt) for r in runs).most_common(1)[0][1] == 1
    assert {r.attempt for r in runs} == {1}  # not safe to repeat: never re-run
    ticks = sorted(datetime.fromisoformat(r.tick) for r in runs)
    span = int((ticks[-1] - ticks[0]).total_seconds()) + 1
    assert 1 + sum(1 + r.coalesced for r in runs[1:]) == span
    # Leadership changed hands once, at a new generation; host-a ran nothing after it.
    hosts = [r.host for r in sorted(runs, key=lambda r: r.tick)]
    switch = hosts.index("host-b")
    assert set(hosts[:switch]) == {"host-a"} and set(hosts[switch:]) == {"host-b"}
    generations = {r.host: r.lease_generation for r in runs}
    assert generations["host-b"] > generations["host-a"]  # type: ignore[operator]
    assert all(r.status in ("ok", "interrupted") for r in runs)
    assert all(r.host == "host-a" for r in runs if r.status == "interrupted")

    # The long job: interrupted on host-a (marked by host-b), re-run once on host-b.
    first, second = _runs(postgres_url, "long")
    assert (first.attempt, first.status, first.host) == (1, "interrupted", "host-a")
    assert "host-a" in first.error
    assert (second.attempt, second.status, second.host) == (2, "ok", "host-b")
    assert first.tick == second.tick
    assert [pid for event, _, pid in _trace(long) if event == "start"] == [a.pid, b.pid]


def test_a_lone_scheduler_keeps_scheduling_through_database_blips(
    postgres_url: str, write_config, services, tmp_path: Path, proxy: FreezableProxy
) -> None:
    probe, long = tmp_path / "probe.txt", tmp_path / "long.txt"
    config = _config(write_config, tmp_path, "a", proxy.url(postgres_url))
    _first_lease(postgres_url)
    # The long job's batch takes 25 s and ignores the stop flag (the worst case).
    args = ("twojobs", str(probe), str(long), str(int(time.time()) + 6), "25")
    service = services(config, *args, env={"VEILLE_HOSTNAME": "lone"})
    wait_until(lambda: len(_starts(long, service.pid)) == 1, 60, "the long job to start")

    def long_ended() -> bool:
        return any(event == "end" for event, _, _ in _trace(long))

    def generations() -> set[int | None]:
        return {r.lease_generation for r in _runs(postgres_url, "probe")}

    # 1. A blip shorter than the lease: the same term goes on, and so does the long run.
    proxy.cut(1.5)
    seen = len(_starts(probe, service.pid))
    wait_until(lambda: len(_starts(probe, service.pid)) >= seen + 3, 20, "ticks after a blip")
    assert not long_ended()
    assert len(generations()) == 1  # nothing was fenced
    [long_run] = _runs(postgres_url, "long")
    assert long_run.status == "running"

    # 2. A blip longer than the lease: the term is fenced; the next one starts as soon
    # as the database answers, while the old long run is still going (not waited for).
    proxy.cut(LEASE_SECONDS + 2)
    came_back = time.monotonic()
    wait_until(lambda: len(generations()) == 2, 30, "a new term")
    seen = len(_starts(probe, service.pid))
    wait_until(lambda: len(_starts(probe, service.pid)) >= seen + 2, 20, "ticks in the new term")
    assert time.monotonic() - came_back < 15
    assert not long_ended(), "the new term waited for the old term's long run"
    # The fenced long run is marked interrupted by the new term and re-run once.
    wait_until(lambda: len(_starts(long, service.pid)) == 2, 30, "the long run's re-run")
    first, second = _runs(postgres_url, "long")
    assert (first.attempt, first.status) == (1, "interrupted")
    assert (second.attempt, second.status) == (2, "running")
    service.kill()
    runs = _runs(postgres_url, "probe")
    assert Counter(r.tick for r in runs).most_common(1)[0][1] == 1
    starts = Counter(tick for event, tick, _ in _trace(probe) if event == "start")
    assert max(starts.values()) == 1


@pytest.fixture
def slow_feeds():
    """The demo's real RSS feeds, served slowly (one batch per feed)."""
    import threading
    from http.server import ThreadingHTTPServer

    from tests.crawlers.conftest import Replay, _handler_for
    from veille.demo.run import demo_data_dir

    state = Replay()
    for name in ("univ-paris1.rss", "univ-paris10.rss", "univ-paris3.rss"):
        body = (demo_data_dir() / "rss" / name).read_bytes()
        state.add(f"/feeds/{name}", body, "application/rss+xml")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _mentions(url: str) -> int:
    with session_scope(url) as session:
        return len(session.exec(select(Mention.id)).all())


def test_sigterm_reaches_the_real_crawl_which_stores_its_batch_and_exits_0(
    postgres_url: str,
    write_config,
    services,
    tmp_path: Path,
    slow_feeds,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT
    from tests.scheduler.conftest import child_env

    monkeypatch.setenv("VEILLE_PSEUDONYM_KEY", "test-pseudonym-key")
    feeds = [f"{slow_feeds.base_url}{path}" for path in sorted(slow_feeds.routes)]
    source = {
        "name": "news",
        "kind": "rss",
        "targets": feeds,
        "requests_per_second": 50,
        "options": {"own_channel": True},
    }
    config = write_config(postgres_url, sources=[source])
    text = config.read_text().replace(
        "[institution]", "allow_private_addresses = true\n[institution]"
    )
    config.write_text(text)
    slow_feeds.delay = 2.0  # each feed is one batch, and takes two seconds

    service = services(config, "realcrawl")
    wait_until(lambda: _mentions(postgres_url) > 0, 90, "a first batch")
    stored_before = _mentions(postgres_url)
    assert service.terminate(timeout=90) == 0, service.output()[-3000:]
    stored = _mentions(postgres_url)

    [run] = _runs(postgres_url, "crawl:news")
    # The child got SIGTERM, stored the feed it was reading, and exited 0.
    assert (run.status, run.counts["exit_code"]) == ("ok", 0), run
    assert run.counts["new_mentions"] == stored
    with session_scope(postgres_url) as session:
        targets = session.exec(select(CrawlTarget)).all()
        done = {t.label for t in targets if t.last_success_at is not None}
    assert done and done < set(feeds)  # whole feeds only, each with its own cursor
    assert stored >= stored_before

    # The next crawl resumes after the stored feeds and ends where a whole crawl ends.
    slow_feeds.delay = 0.0
    finish = subprocess.run(
        [sys.executable, "-m", "veille", "--config", str(config), "crawl"],
        cwd=REPO_ROOT,
        env={**child_env(), "VEILLE_PSEUDONYM_KEY": "test-pseudonym-key"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finish.returncode == 0, finish.stderr[-2000:]
    assert _mentions(postgres_url) == _expected_total(tmp_path, source)


def _expected_total(tmp_path: Path, source: dict) -> int:
    """What one uninterrupted crawl stores, in its own database."""
    from crawlers.runner import crawl
    from store.db import upgrade
    from tests.conftest import make_settings

    url = f"sqlite:///{tmp_path / 'baseline.db'}"
    upgrade(url)
    settings = make_settings(sources=[source])
    settings.database_url = url
    [report] = crawl(settings, url)
    assert report.status == "ok", report
    return report.stored
