"""Web sites with scrapy (+ trafilatura): robots.txt, idempotence, and scrapy-redis workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest

from crawlers.runner import crawl
from store.db import session_scope
from store.mentions import count_mentions
from tests.conftest import REPO_ROOT
from tests.crawlers.conftest import Replay, replay_settings, site_handler, write_replay_toml


def _web(base: str, **options):
    return {
        "name": "site",
        "kind": "web",
        "targets": [f"{base}/"],
        "requests_per_second": 0,
        "options": {"max_depth": 5, **options},
    }


def test_web_crawl_obeys_robots_and_is_idempotent(db_url: str, replay: Replay):
    replay.handler = site_handler(30)
    settings = replay_settings(db_url, [_web(replay.base_url)])
    [report] = crawl(settings, db_url)
    assert report.status == "ok", report
    assert report.fetched == 31  # "/" and every /p/<i>, each once
    assert report.dropped_filter == 15  # odd pages do not name us
    assert report.stored == 16 and report.grouped == 1  # "/" is the same article as /p/0
    assert replay.hits["/private/secret"] == 0  # robots.txt obeyed
    assert all(n == 1 for p, n in replay.hits.items() if p != "/robots.txt")
    [again] = crawl(settings, db_url)
    assert again.stored == 0
    with session_scope(db_url) as s:
        assert count_mentions(s, platform="web") == 16
        assert count_mentions(s, platform="web", unique=True) == 15


def test_web_ssrf_guard(db_url: str, replay: Replay):
    replay.handler = site_handler(3)
    settings = replay_settings(db_url, [_web(replay.base_url)], allow_private_addresses=False)
    [report] = crawl(settings, db_url)
    assert report.status == "blocked" and report.stored == 0
    assert sum(replay.hits.values()) == 0


def test_web_unreachable_robots_txt_forbids_the_site_until_it_answers(db_url: str, replay: Replay):
    """RFC 9309: a robots.txt answering 5xx (after retries) forbids every page; scrapy alone
    would read the error page as an empty robots.txt and crawl /private/ too."""
    replay.handler = site_handler(6)
    text = {"Content-Type": "text/plain"}
    replay.fault("/robots.txt", *[(503, text, b"busy")] * 4)  # the first try and 3 retries
    settings = replay_settings(db_url, [_web(replay.base_url)])
    [report] = crawl(settings, db_url)
    assert report.status == "blocked" and report.stored == 0, report
    assert "robots.txt" in (report.error or ""), report
    assert set(replay.hits) == {"/robots.txt"}  # not one page, /private/ least of all
    [again] = crawl(settings, db_url)  # robots.txt answers again: the site is crawled
    assert again.status == "ok" and again.fetched == 7, again
    assert replay.hits["/private/secret"] == 0


def _slow_robots(site, seconds: float):
    """``site``'s handler, with a robots.txt that answers after ``seconds``."""

    def handler(path: str, query: dict[str, list[str]]):
        if path == "/robots.txt":
            time.sleep(seconds)
        return site(path, query)

    return handler


def test_requests_that_wait_for_robots_txt_obey_it_too(db_url: str, replay: Replay):
    """Scrapy hands the parsed robots.txt to the first request that waited for it only; the
    others got "allow everything". With several start URLs in flight while robots.txt is
    slow, the disallowed one was fetched."""
    replay.handler = _slow_robots(site_handler(6), seconds=0.5)
    source = _web(replay.base_url, max_depth=0)
    source["targets"] = [
        f"{replay.base_url}{p}" for p in ("/", "/p/1", "/private/secret", "/p/2", "/p/3")
    ]
    [report] = crawl(replay_settings(db_url, [source]), db_url)
    assert report.status == "ok", report
    assert replay.hits["/private/secret"] == 0
    assert all(replay.hits[p] == 1 for p in ("/", "/p/1", "/p/2", "/p/3"))


def test_web_robots_txt_timing_out_forbids_the_site(db_url: str, replay: Replay):
    replay.handler = _slow_robots(site_handler(6), seconds=2.5)
    source = _web(replay.base_url, timeout=1, max_retries=0)
    [report] = crawl(replay_settings(db_url, [source]), db_url)
    assert report.status == "blocked" and report.stored == 0, report
    assert set(replay.hits) == {"/robots.txt"}


@pytest.fixture
def redis_prefix():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    prefix = f"veille-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def _worker_config(replay: Replay, tmp_path, redis_prefix: str):
    """A veille.toml whose one web source crawls the synthetic site through Redis."""
    source = _web(replay.base_url, redis_prefix=redis_prefix, idle_seconds=3)
    return write_replay_toml(tmp_path / "veille.toml", [source])


def _run_workers(config, db_url: str, n: int, check: bool = True) -> list[tuple[str, str]]:
    """Run ``n`` crawl workers of crawl id t1 side by side; their (stdout, stderr)."""
    env = {**os.environ, "DATABASE_URL": db_url}
    args = [sys.executable, "-m", "veille", "--config", str(config), "crawl"]
    args += ["--source", "site", "--worker", "--crawl-id", "t1"]
    workers = [
        subprocess.Popen(
            args, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(n)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert not check or all(w.returncode == 0 for w in workers), outputs
    return outputs


@pytest.mark.redis
def test_two_scrapy_redis_workers_never_fetch_one_url_twice(
    db_url: str, replay: Replay, tmp_path, redis_prefix: str
):
    replay.handler = site_handler(60, sleep=0.02)
    _run_workers(_worker_config(replay, tmp_path, redis_prefix), db_url, 2)
    pages = {p: n for p, n in replay.hits.items() if p != "/robots.txt"}
    expected = {"/"} | {f"/p/{i}" for i in range(60)}
    assert set(pages) == expected  # the whole site ("/" and 60 pages), nothing forbidden...
    assert max(pages.values()) == 1  # ...and no URL was fetched twice
    assert replay.hits["/robots.txt"] <= 2  # each worker reads robots.txt once
    with session_scope(db_url) as s:
        assert count_mentions(s, platform="web", unique=True) == 30
    # The frontier outlives the workers (others may join), but not forever.
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    dupefilter = f"{redis_prefix}:site-t1:dupefilter"
    assert client.exists(dupefilter)
    assert 0 < client.ttl(dupefilter) <= 168 * 3600
    client.close()


@pytest.mark.redis
def test_pages_a_worker_held_back_for_an_unreadable_robots_txt_are_crawled_later(
    db_url: str, replay: Replay, tmp_path, redis_prefix: str
):
    """Refused for an unreadable robots.txt is not done: the shared frontier keeps the
    requests and the next run of the crawl id fetches them, each once."""
    replay.handler = site_handler(20, sleep=0.02)
    replay.fault("/robots.txt", *[(503, {"Content-Type": "text/plain"}, b"busy")] * 4)
    config = _worker_config(replay, tmp_path, redis_prefix)
    [(out, err)] = _run_workers(config, db_url, 1, check=False)  # the run says why
    assert "robots.txt could not be read" in out + err
    assert set(replay.hits) == {"/robots.txt"}  # nothing fetched, nothing lost either
    _run_workers(config, db_url, 2)  # robots.txt answers now
    pages = {p: n for p, n in replay.hits.items() if p != "/robots.txt"}
    assert set(pages) == {"/"} | {f"/p/{i}" for i in range(20)}
    assert max(pages.values()) == 1
    with session_scope(db_url) as s:
        assert count_mentions(s, platform="web", unique=True) == 10
