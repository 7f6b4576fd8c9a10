"""Configured web sites, crawled with scrapy; article text by trafilatura.

``targets`` are start URLs; links are followed inside their domains up to
``options.max_depth``. The crawl runs in a child process
(:mod:`crawlers.scrapy_worker`, because Twisted's reactor starts once per
process) and streams each page's HTML back; this source extracts the article
(:mod:`crawlers.extract`, beside the crawl rather than inside its reactor),
turns pages into mentions in batches, and the runner keeps those matching an
institution's query.

Options: ``max_depth`` (2), ``max_pages`` (0 = no limit), ``concurrency`` (8),
``concurrency_per_domain`` (2), ``obey_robots`` (true), ``batch_size`` (50),
``extractor`` (``"fast"`` or ``"full"``, see :mod:`crawlers.extract`),
``frontier`` (``"memory"`` or ``"redis"``), ``redis_url``, ``redis_prefix``,
``crawl_id`` (workers sharing a Redis frontier use the same id; the same id
again resumes that crawl; default: a new crawl each run),
``idle_seconds`` (how long a Redis worker waits for new URLs before closing),
``heartbeat_seconds`` (10: a Redis worker silent for three times this is
dead, and its in-flight requests go back to the queue; see
:mod:`crawlers.frontier`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from crawlers.base import Batch, CrawlContext, Target
from crawlers.extract import EXTRACTORS, extract_page
from crawlers.frontier import Frontier
from crawlers.http import AddressPolicy, Blocked, Down, check_url
from crawlers.normalise import canonical_url, parse_datetime
from store.models import Mention
from store.types import utcnow
from veille.errors import ConfigError
from veille.i18n import _
from veille.process import die_with_parent

log = logging.getLogger(__name__)

#: Pipe buffer asked for the child's output (Linux caps it at /proc/sys/fs/pipe-max-size).
_PIPE_BYTES = 1 << 20


def _widen_pipe(fd: int) -> None:
    """Let the scrapy child run ahead of the parent by ~1 MB of pages, not 64 KB.

    With the default pipe the child blocks on every write while the parent
    stores a batch, which stalls the crawl's single reactor thread.
    """
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    try:
        fcntl.fcntl(fd, set_size, _PIPE_BYTES)
    except OSError:  # above the system's limit: keep the default
        log.debug("pipe size left at its default")


class WebSource:
    kind: ClassVar[str] = "web"

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.source
        self.summary: dict[str, Any] = {}
        nonce = uuid.uuid4().hex[:6]
        #: Without a ``crawl_id`` option each run is a crawl of its own.
        self.default_crawl_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{nonce}"
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{nonce}"

    def validate(self) -> None:
        if not self.cfg.targets:
            raise ConfigError(
                _("source %(source)s: list start URLs in targets") % {"source": repr(self.cfg.name)}
            )
        policy = AddressPolicy.from_settings(self.ctx.settings)
        for url in self.cfg.targets:
            check_url(url, policy)
        extractor = self.cfg.options.get("extractor", "fast")
        if extractor not in EXTRACTORS:
            raise ConfigError(
                _("source %(source)s: extractor must be one of %(extractors)s, not %(extractor)s")
                % {
                    "source": repr(self.cfg.name),
                    "extractors": ", ".join(EXTRACTORS),
                    "extractor": repr(extractor),
                }
            )

    def spec(self) -> dict[str, Any]:
        """Everything the scrapy child needs, as JSON."""
        opts = self.cfg.options
        frontier = str(opts.get("frontier", "memory"))
        crawl_id = str(opts.get("crawl_id") or self.default_crawl_id)
        spider_name = f"{self.cfg.name}-{crawl_id}" if frontier == "redis" else self.cfg.name
        return {
            "worker_id": self.worker_id,
            **{k: v for k, v in opts.items() if isinstance(v, str | int | float | bool)},
            "spider_name": spider_name,
            "targets": list(self.cfg.targets),
            "domains": sorted({urlsplit(u).hostname or "" for u in self.cfg.targets}),
            "requests_per_second": self.cfg.requests_per_second,
            "address_policy": AddressPolicy.from_settings(self.ctx.settings).as_spec(),
            "frontier": frontier,
            "idle_seconds": float(opts.get("idle_seconds", 5 if frontier == "redis" else 0)),
        }

    def targets(self) -> list[Target]:
        """One target: the start URLs are crawled together by one scrapy process."""
        return [Target("sites")]

    def close(self) -> None:
        return None

    def fetch(self, target: Target, cursor: dict[str, Any]) -> Iterator[Batch]:
        batch_size = int(self.cfg.options.get("batch_size", 50))
        extractor = str(self.cfg.options.get("extractor", "fast"))
        started = utcnow().isoformat()
        spec = self.spec()
        frontier = Frontier.from_spec(spec) if spec["frontier"] == "redis" else None
        closing = threading.Event()
        if frontier is not None:
            frontier.register()
            frontier.requeue_orphans()
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawlers.scrapy_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            preexec_fn=die_with_parent(),  # a killed worker leaves no crawl running
        )
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        _widen_pipe(proc.stdout.fileno())
        proc.stdin.write(json.dumps(spec))
        proc.stdin.close()
        if frontier is not None:  # after the fork: no thread of ours is copied into it
            threading.Thread(
                target=_keep_alive, args=(frontier, closing), name="frontier", daemon=True
            ).start()
        stderr_tail: list[str] = []
        err_stream = proc.stderr

        def drain() -> None:
            for line in err_stream:
                stderr_tail.append(line)
                del stderr_tail[:-40]

        lines: queue.Queue[str | None] = queue.Queue()
        out_stream = proc.stdout

        def read() -> None:
            # Read eagerly so the crawl never waits while a batch is being stored.
            for line in out_stream:
                lines.put(line)
            lines.put(None)

        threads = [threading.Thread(target=f, daemon=True) for f in (drain, read)]
        for t in threads:
            t.start()
        pending: list[Mention] = []
        pages = 0
        #: Frontier keys of the requests consumed since the last stored batch.
        keys: list[str] = []
        completed = False
        try:
            while True:
                try:
                    line = lines.get(timeout=1.0)
                except queue.Empty:
                    if pending:  # a slow site: store what we have
                        done, keys = keys, []
                        yield Batch(mentions=pending, cursor={"last_crawl": started})
                        pending = []
                        _ack(frontier, done)  # stored: the frontier may forget them
                    continue
                if line is None:
                    break
                msg = json.loads(line)
                if "summary" in msg:
                    self.summary = msg["summary"]
                    continue
                if "ack" in msg:
                    keys.append(msg["ack"])
                    continue
                page = msg["page"]
                pages += 1
                key = page.pop("frontier_key", None)
                if key:
                    keys.append(key)
                page.update(extract_page(page.pop("html", ""), page["url"], extractor))
                mention = self.to_mention(page)
                if mention is not None:
                    pending.append(mention)
                if len(pending) >= batch_size:
                    done, keys = keys, []
                    yield Batch(mentions=pending, cursor={"last_crawl": started})
                    pending = []
                    _ack(frontier, done)
            if pending:
                done, keys = keys, []
                yield Batch(mentions=pending, cursor={"last_crawl": started})
                pending = []
                _ack(frontier, done)
            _ack(frontier, keys)  # requests that produced nothing to store
            completed = True
        finally:
            if not completed and proc.poll() is None:
                proc.kill()  # stopped early (budget, error): do not leave the crawl running
            proc.wait()
            for t in threads:
                t.join(timeout=5)
            closing.set()
            if frontier is not None:
                _release(frontier)
        if proc.returncode:
            raise Down(
                f"scrapy worker exited with {proc.returncode}: {''.join(stderr_tail)[-800:]}"
            )
        s = self.summary
        if pages == 0 and s.get("refused"):
            raise Blocked(f"{s['refused']} request(s) refused by the address guard")
        if pages == 0 and s.get("robots_unreachable"):
            raise Blocked(
                "robots.txt could not be read: the site counts as forbidden until it can (RFC 9309)"
            )
        if pages == 0 and (s.get("blocked") or s.get("robots_forbidden")):
            raise Blocked(
                f"every page refused (blocked {s.get('blocked')}, "
                f"robots {s.get('robots_forbidden')})"
            )
        problems = []
        if s.get("blocked"):
            problems.append(f"{s['blocked']} page(s) answered 403 or a captcha")
        if s.get("robots_unreachable"):
            problems.append(f"robots.txt unreachable on {s['robots_unreachable']} site(s)")
        if s.get("refused"):
            problems.append(f"{s['refused']} request(s) refused by the address guard")
        if problems:
            yield Batch(cursor={"last_crawl": started}, warning="; ".join(problems))

    def to_mention(self, page: dict[str, Any]) -> Mention | None:
        text = page.get("text") or ""
        if not text and not page.get("title"):
            return None
        url = canonical_url(page["url"])
        pid = url if len(url) <= 255 else "sha256:" + hashlib.sha256(url.encode()).hexdigest()
        return Mention(
            platform="web",
            platform_id=pid,
            url=url,
            author_name=page.get("author") or "",
            title=page.get("title") or "",
            text=text,
            lang=(page.get("lang") or None) and str(page["lang"])[:8],
            published_at=parse_datetime(page.get("published")) or utcnow(),
            raw={"url": page["url"]},
            provenance={
                "method": "scrapy+trafilatura",
                "source": self.cfg.name,
                "fetched_at": utcnow().isoformat(),
            },
        )


def _ack(frontier: Frontier | None, keys: list[str]) -> None:
    if frontier is not None and keys:
        frontier.ack(keys)


def _keep_alive(frontier: Frontier, closing: threading.Event) -> None:
    """The worker's heartbeat, and the requeueing of workers that died."""
    import redis

    while not closing.wait(frontier.heartbeat_seconds):
        try:
            frontier.beat()
            frontier.requeue_orphans()
        except redis.RedisError as exc:
            log.warning("frontier heartbeat failed: %s", exc)


def _release(frontier: Frontier) -> None:
    """Requeue what this worker still holds (its pages were not all stored)."""
    import redis

    try:
        frontier.release()
    except redis.RedisError as exc:  # its heartbeat expires: another worker requeues them
        log.warning("could not hand the frontier back: %s", exc)
    finally:
        frontier.client.close()
