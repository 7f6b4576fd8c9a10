"""The shared scrapy-redis frontier loses nothing when a worker dies (real processes).

Two ``veille crawl --worker`` processes share one crawl of a local site of
300 pages; one is killed -9 in the middle, with requests in flight and pages
fetched but not stored. The other worker puts the dead one's in-flight
requests back in the queue once its heartbeat expires, and a resume of the
same crawl id finishes whatever is left: every page is stored, exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlmodel import select

from store.db import session_scope
from store.models import Mention
from tests.conftest import REPO_ROOT
from tests.crawlers.conftest import Answer, Replay, write_replay_toml

PAGES = 300


def _site(n_pages: int, sleep: float):
    """A synthetic site (clearly fake French articles), every page about the institution."""

    def page(i: int) -> bytes:
        links = "".join(
            f'<li><a href="/p/{(i * 5 + k) % n_pages}">suite</a></li>' for k in (1, 2, 3, 4, 5)
        )
        return (
            f"<html lang='fr'><head><title>Article {i}</title></head><body>"
            f"<article><h1>Article {i}</h1><p>Article synthétique numéro {i} sur "
            "l'Université Exemple. Ce texte est inventé pour les tests de veille et ne "
            f"décrit rien de réel. Il est assez long pour rester le texte principal {i}.</p>"
            f"</article><ul>{links}</ul></body></html>"
        ).encode()

    def handler(path: str, _query: dict[str, list[str]]) -> Answer | None:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        time.sleep(sleep)
        if path == "/":
            return 200, html, page(0)
        if path.startswith("/p/") and path[3:].isdigit() and int(path[3:]) < n_pages:
            return 200, html, page(int(path[3:]))
        return None

    return handler


@pytest.fixture
def redis_client():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    prefix = f"veille-test-{uuid.uuid4().hex[:10]}"
    yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def _config(path: Path, base: str, prefix: str) -> Path:
    source = {
        "name": "site",
        "kind": "web",
        "targets": [f"{base}/"],
        "requests_per_second": 0,
        "options": {
            "max_depth": 10,
            "frontier": "redis",
            "redis_prefix": prefix,
            "idle_seconds": 2,
            "heartbeat_seconds": 1,
            "batch_size": 20,
        },
    }
    return write_replay_toml(path, [source])


def _stored(url: str) -> list[str]:
    with session_scope(url) as session:
        return list(session.exec(select(Mention.url)).all())


@pytest.mark.redis
def test_frontier_requeues_the_requests_of_a_dead_worker(redis_client) -> None:
    from crawlers.frontier import Frontier

    client, prefix = redis_client
    a = Frontier(client, prefix, "site-x", "a", heartbeat_seconds=0.2)
    b = Frontier(client, prefix, "site-x", "b", heartbeat_seconds=0.2)
    a.register()
    b.register()
    client.lpush(a.requests, b"r1", b"r2", b"r3")  # scrapy-redis pushes left, pops right
    first, second = a.pop(), a.pop()
    assert first is not None and second is not None
    assert (first[1], second[1]) == (b"r1", b"r2")
    a.ack([first[0]])  # r1's page is stored; r2 is still in flight
    assert b.busy_elsewhere()
    assert b.requeue_orphans() == 0  # a is alive
    time.sleep(0.8)  # a's heartbeat (3 x 0.2 s) expires: it died
    b.beat()
    assert b.requeue_orphans() == 1
    assert client.hlen(a.processing()) == 0 and client.sismember(a.workers, "a") == 0
    found = b.pop()
    assert found is not None and found[1] == b"r2"  # back at the head of the queue
    # A worker that ends hands back what it still holds.
    assert b.release() == 1
    assert client.llen(b.requests) == 2


@pytest.mark.redis
def test_a_request_is_marked_seen_and_queued_in_one_step(redis_client) -> None:
    """A worker killed between scrapy-redis's SADD and LPUSH lost the URL for good (CI saw it)."""
    from types import SimpleNamespace

    import scrapy

    from crawlers.frontier import KEY_META, Frontier
    from crawlers.scrapy_worker import ReliableQueue, ReliableScheduler, scrapy_settings

    client, prefix = redis_client
    frontier = Frontier(client, prefix, "site-x", "a")
    spider = SimpleNamespace(frontier=frontier, name="site-x")
    queue = ReliableQueue(client, spider, frontier.requests)
    assert queue.push_unseen(scrapy.Request("http://example.org/p/1"), "fp1")
    assert len(queue) == 1 and client.sismember(frontier.dupefilter, "fp1")
    assert not queue.push_unseen(scrapy.Request("http://example.org/p/1"), "fp1")
    assert len(queue) == 1  # seen: nothing more queued
    popped = queue.pop()
    assert popped is not None and client.hlen(frontier.processing()) == 1
    # A redirect to a page already seen queues nothing, and its origin is done with.
    redirect = popped.replace(url="http://example.org/p/1")
    assert KEY_META in redirect.meta
    assert not queue.push_unseen(redirect, "fp1")
    assert client.hlen(frontier.processing()) == 0 and len(queue) == 0
    spec = {"frontier": "redis", "spider_name": "site-x", "worker_id": "a", "targets": []}
    assert scrapy_settings(spec)["SCHEDULER"].endswith(ReliableScheduler.__name__)


def test_each_web_crawl_has_its_own_id_unless_one_is_given() -> None:
    from crawlers.base import CrawlContext
    from crawlers.web import WebSource
    from tests.conftest import make_settings

    source = {
        "name": "site",
        "kind": "web",
        "targets": ["https://www.example.org/"],
        "options": {"frontier": "redis"},
    }
    settings = make_settings(sources=[source])
    cfg = settings.sources[0]

    def spec(cfg: object) -> dict[str, object]:
        return WebSource(CrawlContext(settings, cfg, settings.institution)).spec()  # type: ignore[arg-type]

    one, two = spec(cfg), spec(cfg)
    assert one["spider_name"] != two["spider_name"]  # no hourly id: each run crawls
    assert one["worker_id"] != two["worker_id"]
    given = cfg.model_copy(update={"options": {**cfg.options, "crawl_id": "20260105T070000Z"}})
    assert spec(given)["spider_name"] == spec(given)["spider_name"] == "site-20260105T070000Z"


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.slow
def test_a_worker_killed_mid_crawl_loses_nothing(
    postgres_url: str, replay: Replay, tmp_path: Path, redis_client
) -> None:
    client, prefix = redis_client
    replay.handler = _site(PAGES, sleep=0.05)
    config = _config(tmp_path / "veille.toml", replay.base_url, prefix)
    env = {**os.environ, "DATABASE_URL": postgres_url, "PYTHONPATH": str(REPO_ROOT)}
    args = [sys.executable, "-m", "veille", "--config", str(config), "crawl"]
    args += ["--source", "site", "--worker", "--crawl-id", "c1"]

    def worker(name: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{name}.log").open("wb")
        return subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=log, stderr=log)

    first = worker("first")
    processing = f"{prefix}:site-c1:processing:"

    def held_by_first() -> int:
        keys = [k for k in client.scan_iter(f"{processing}*") if f"-{first.pid}-" in k.decode()]
        return sum(client.hlen(k) for k in keys)

    second = None
    try:
        deadline = time.monotonic() + 120
        while held_by_first() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        second = worker("second")  # joins a crawl under way
        # Kill the first worker once the crawl is well under way and it holds requests.
        while time.monotonic() < deadline:
            if len(_stored(postgres_url)) >= 40 and held_by_first() > 0:
                break
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        stored_at_kill = len(_stored(postgres_url))
        assert stored_at_kill < PAGES, "the crawl ended before the kill"
        # What the dead worker held: popped from the queue, not yet stored.
        in_flight = held_by_first()
        assert in_flight > 0
        assert second.wait(timeout=240) == 0, (tmp_path / "second.log").read_text()[-3000:]
        # A resume of the same crawl id finishes whatever is left.
        resume = worker("resume")
        assert resume.wait(timeout=240) == 0, (tmp_path / "resume.log").read_text()[-3000:]
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()

    expected = {replay.base_url} | {f"{replay.base_url}/p/{i}" for i in range(PAGES)}
    stored = _stored(postgres_url)
    assert len(stored) == len(set(stored))  # each page once
    assert set(stored) == expected  # and every page
    pages = {p: n for p, n in replay.hits.items() if p != "/robots.txt"}
    refetched = sum(n - 1 for n in pages.values())
    print(f"in flight at the kill: {in_flight}; pages fetched twice: {refetched}")
    # Nothing left in flight anywhere, and no worker registered.
    assert not [k for k in client.scan_iter(f"{processing}*") if client.hlen(k)]
    assert client.scard(f"{prefix}:site-c1:workers") == 0
