"""The scrapy side of the web source, run as its own process.

Twisted's reactor can start only once per process, so :class:`crawlers.web.WebSource`
runs this module as ``python -m crawlers.scrapy_worker`` with a JSON spec on
stdin and reads one JSON line per extracted page on stdout. Politeness here
is scrapy's own machinery fed by the same settings and the same helpers as
the HTTP client: robots.txt obeyed, a per-domain delay from
``requests_per_second``, retries on timeouts and 5xx, ``Retry-After`` /
``x-rate-limit-reset`` honoured on 429 (:func:`crawlers.http.retry_after_seconds`),
403 and captcha pages counted as *blocked*, and the address guard of
:mod:`crawlers.http` twice: :func:`crawlers.http.check_url` on every request
(redirect hops included: scrapy's redirect middleware sends each hop back
through the downloader middlewares) and :class:`GuardedResolver`, the
reactor's name resolver, which hands Twisted only the checked address of a
host, so the socket goes where the check said (DNS rebinding cannot reach an
internal service).

With ``frontier = "redis"`` the scheduler and the duplicate filter live in
Redis (scrapy-redis): several workers share one frontier and no URL is
fetched twice; :mod:`crawlers.frontier` keeps every popped request in the
worker's processing hash until it is done with, so a worker that dies loses
nothing (:class:`ReliableQueue`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy_redis.queue import FifoQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from zope.interface import implementer

from crawlers.frontier import DEFAULT_REDIS_URL, KEY_META, Frontier, frontier_key
from crawlers.http import (
    AddressPolicy,
    Refused,
    check_url,
    looks_like_captcha,
    pinned_address,
    retry_after_seconds,
)
from crawlers.robots import UNREACHABLE_STAT, RobotsUnreachable

log = logging.getLogger(__name__)


_SKIP_EXT = re.compile(
    r"\.(?:pdf|jpe?g|png|gif|svg|webp|ico|css|js|zip|gz|mp[34]|avi|mov|docx?|xlsx?|pptx?)$",
    re.IGNORECASE,
)


def address_policy(settings: Any) -> AddressPolicy:
    """The address policy the parent passed in the spec (strict when absent)."""
    return AddressPolicy.from_spec(settings.getdict("VEILLE_ADDRESS_POLICY"))


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - Twisted never cancels ours
        return None


@implementer(IHostnameResolver)
class GuardedResolver:
    """The reactor's name resolver: one checked address per host, or none.

    Resolution and check are :func:`crawlers.http.pinned_address` (the same
    rule and cache as httpx and requests), run in the reactor's thread pool;
    Twisted connects to the single address it is given. A refused host gets
    no address, so the request fails without any connection, and counts in
    :attr:`refused`.
    """

    #: Refusals in this process (the crawl summary reports them).
    refused = 0

    def __init__(self, reactor: Any, policy: AddressPolicy) -> None:
        self.reactor = reactor
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        return cls(reactor, address_policy(crawler.settings))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Any = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        from twisted.internet import threads

        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        found = threads.deferToThreadPool(
            self.reactor,
            self.reactor.getThreadPool(),
            pinned_address,
            hostName,
            portNumber or 80,
            self.policy,
        )

        def resolved(ip: str) -> None:
            kind = IPv6Address if ":" in ip else IPv4Address
            resolutionReceiver.addressResolved(kind("TCP", ip, portNumber))
            resolutionReceiver.resolutionComplete()

        def failed(failure: Any) -> None:
            if failure.check(Refused):
                GuardedResolver.refused += 1
                log.warning("%s", failure.value)
            resolutionReceiver.resolutionComplete()

        found.addCallbacks(resolved, failed)
        return resolution


class GuardMiddleware:
    """SSRF guard, blocked/captcha classification and 429 waits, as a downloader middleware."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        s = crawler.settings
        self.policy = address_policy(s)
        self.max_wait = s.getfloat("VEILLE_MAX_RATE_LIMIT_WAIT", 60.0)
        self.max_retries = s.getint("RETRY_TIMES", 3)

    @classmethod
    def from_crawler(cls, crawler: Any) -> GuardMiddleware:
        guard = cls(crawler)
        # Also when a request is scheduled: scrapy's offsite filter drops a redirect to
        # another host right there, and such a hop to an internal address must count
        # as a refusal, not vanish.
        crawler.signals.connect(guard.request_scheduled, signal=signals.request_scheduled)
        return guard

    def request_scheduled(self, request: scrapy.Request, spider: Any = None) -> None:
        self.process_request(request)

    def process_request(self, request: scrapy.Request) -> None:
        try:
            check_url(request.url, self.policy)
        except Refused as exc:
            self.crawler.stats.inc_value("veille/refused")
            raise IgnoreRequest(str(exc)) from exc
        return None

    async def process_response(
        self, request: scrapy.Request, response: Response
    ) -> Response | scrapy.Request:
        from scrapy.utils.defer import deferred_to_future
        from twisted.internet import reactor, task  # the reactor scrapy installed

        if response.status == 429:
            headers = {
                str(k).lower(): str(v) for k, v in response.headers.to_unicode_dict().items()
            }
            wait = retry_after_seconds(headers) or 1.0
            tries = request.meta.get("veille_429", 0)
            if wait <= self.max_wait and tries < self.max_retries + 2:
                self.crawler.stats.inc_value("veille/rate_limited")
                await deferred_to_future(task.deferLater(reactor, wait, lambda: None))
                retry = request.replace(dont_filter=True)
                retry.meta["veille_429"] = tries + 1
                return retry
            self.crawler.stats.inc_value("veille/rate_limited_gave_up")
        if response.status == 403 or (response.status == 200 and looks_like_captcha(response.body)):
            self.crawler.stats.inc_value("veille/blocked")
        return response


class StdoutPipeline:
    """One JSON line per page (or per request done without a page) on stdout, for the parent.

    The parent stores pages in batches and acknowledges their frontier keys
    once the batch is committed.
    """

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        line = {"ack": item["frontier_ack"]} if "frontier_ack" in item else {"page": item}
        try:
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # the parent died (SIGKILL): stop at once
            os._exit(1)
        return item


class ReliableQueue(FifoQueue):
    """scrapy-redis's FIFO queue, popping into the worker's processing hash.

    A request put back in the queue (a retry, a redirect) releases the entry
    of the request it replaces once it is safely queued.
    """

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.frontier: Frontier = spider.frontier

    def push(self, request: scrapy.Request) -> None:
        replaced = request.meta.pop(KEY_META, None)
        super().push(request)
        if replaced:
            self.frontier.ack([replaced])

    def push_unseen(self, request: scrapy.Request, fingerprint: str) -> bool:
        """Queue ``request`` unless seen, in one step with the duplicate filter.

        The request it replaces (a redirect to a page already seen) is done
        with either way: the page it leads to is someone else's request.
        """
        replaced = request.meta.pop(KEY_META, None)
        added = self.frontier.enqueue_unseen(fingerprint, self._encode_request(request))
        if replaced:
            self.frontier.ack([replaced])
        return added

    def pop(self, timeout: int = 0) -> scrapy.Request | None:
        found = self.frontier.pop()
        if found is None:
            return None
        key, data = found
        request: scrapy.Request = self._decode_request(data)
        request.meta[KEY_META] = key
        return request


class ReliableScheduler(RedisScheduler):
    """scrapy-redis's scheduler, with the duplicate check and the push as one Redis step."""

    queue: ReliableQueue

    def enqueue_request(self, request: scrapy.Request) -> bool:
        if request.dont_filter:
            return bool(super().enqueue_request(request))
        if not self.queue.push_unseen(request, self.df.request_fingerprint(request)):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        return True


class VeilleSpider(scrapy.Spider):
    """Follows links inside the configured sites and yields their article text."""

    name = "veille"

    def __init__(self, spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(name=spec["spider_name"], **kwargs)
        self.spec = spec
        self.start_urls = list(spec["targets"])
        self.allowed_domains = list(spec["domains"])
        self.idle_seconds = float(spec.get("idle_seconds", 0))
        self.last_activity = time.monotonic()
        self.frontier = Frontier.from_spec(spec) if spec.get("frontier") == "redis" else None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> VeilleSpider:
        spider: VeilleSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    def on_idle(self) -> None:
        # Shared frontier: the crawl is not over while another worker holds requests in
        # flight (their pages may add URLs; if it died, they come back to the queue).
        if self.frontier is not None:
            self.frontier.requeue_orphans()
            if self.frontier.busy_elsewhere():
                self.last_activity = time.monotonic()
                raise DontCloseSpider
        if self.idle_seconds and time.monotonic() - self.last_activity < self.idle_seconds:
            raise DontCloseSpider

    async def start(self) -> Any:  # scrapy >= 2.13 (its default sets dont_filter=True)
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        for url in self.start_urls:
            # dont_filter=False: with a shared frontier only one worker enqueues each start URL.
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error, dont_filter=False)

    def on_error(self, failure: Any) -> Iterator[dict[str, Any]]:
        """A request that ends without a page (error after retries, robots.txt, 4xx/5xx)."""
        if failure.check(RobotsUnreachable):
            return  # held, not done: back in the shared queue when this worker ends
        request = getattr(failure, "request", None)
        key = request.meta.get(KEY_META) if request is not None else None
        if key:
            yield {"frontier_ack": key}

    def parse(self, response: Response, **_: Any) -> Iterator[Any]:
        self.last_activity = time.monotonic()
        key = response.request.meta.get(KEY_META) if response.request is not None else None
        if not isinstance(response, TextResponse) or response.status != 200:
            if key:
                yield {"frontier_ack": key}
            return
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if "html" not in ctype:
            if key:
                yield {"frontier_ack": key}
            return
        follow = []
        for href in response.css("a::attr(href), area::attr(href)").getall():
            url = response.urljoin(href.strip()).split("#", 1)[0]
            if (
                url.startswith(("http://", "https://"))
                and self._inside(url)
                and not _SKIP_EXT.search(urlsplit(url).path)
            ):
                follow.append(url)
        # Links first: they are in the shared queue before the page can be acknowledged.
        for url in follow:
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error)
        # Extraction runs in the parent (crawlers.extract): this reactor is the critical path.
        yield {"url": response.url, "html": response.text, "frontier_key": key}

    def _inside(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


__all__ = ["DEFAULT_REDIS_URL", "frontier_key", "run", "scrapy_settings"]


def scrapy_settings(spec: dict[str, Any]) -> dict[str, Any]:
    """Scrapy settings from the source's settings (politeness knobs, frontier)."""
    rps = float(spec.get("requests_per_second", 1.0))
    settings: dict[str, Any] = {
        "BOT_NAME": "veille",
        "USER_AGENT": spec.get("user_agent", "veille/0.1 (social listening)"),
        "ROBOTSTXT_OBEY": bool(spec.get("obey_robots", True)),
        "DOWNLOAD_DELAY": (1.0 / rps) if rps > 0 else 0,
        "RANDOMIZE_DOWNLOAD_DELAY": True,
        "CONCURRENT_REQUESTS": int(spec.get("concurrency", 8)),
        "CONCURRENT_REQUESTS_PER_DOMAIN": int(spec.get("concurrency_per_domain", 2)),
        "DEPTH_LIMIT": int(spec.get("max_depth", 2)),
        "CLOSESPIDER_PAGECOUNT": int(spec.get("max_pages", 0)),
        "DOWNLOAD_TIMEOUT": float(spec.get("timeout", 20)),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": int(spec.get("max_retries", 3)),
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
        # First of all (before the offsite filter at 50): every request and redirect hop
        # meets the address guard, and a refusal is counted as one.
        # robots.txt read as RFC 9309 reads it: unreachable forbids the site.
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.scrapy_worker.GuardMiddleware": 10,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawlers.robots.StrictRobotsTxtMiddleware": 100,
        },
        "ITEM_PIPELINES": {"crawlers.scrapy_worker.StdoutPipeline": 100},
        "VEILLE_ADDRESS_POLICY": dict(spec.get("address_policy") or {}),
        "TWISTED_DNS_RESOLVER": "crawlers.scrapy_worker.GuardedResolver",
        "VEILLE_MAX_RATE_LIMIT_WAIT": float(spec.get("max_rate_limit_wait", 60)),
        "LOG_LEVEL": spec.get("log_level", "WARNING"),
        "TELNETCONSOLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
    if spec.get("frontier") == "redis":
        prefix = spec.get("redis_prefix", "veille")
        spider = "%(spider)s"  # scrapy-redis fills in the spider's name
        settings.update(
            {
                "SCHEDULER": "crawlers.scrapy_worker.ReliableScheduler",
                "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
                "SCHEDULER_PERSIST": True,
                "SCHEDULER_QUEUE_CLASS": "crawlers.scrapy_worker.ReliableQueue",
                "SCHEDULER_QUEUE_KEY": frontier_key(prefix, spider, "requests"),
                "SCHEDULER_DUPEFILTER_KEY": frontier_key(prefix, spider, "dupefilter"),
                "DUPEFILTER_KEY": frontier_key(prefix, spider, "dupefilter"),
                "REDIS_URL": spec.get("redis_url", DEFAULT_REDIS_URL),
            }
        )
    return settings


def expire_frontier(spec: dict[str, Any]) -> None:
    """Let a finished crawl's Redis frontier expire (``frontier_ttl_hours``, default a week).

    The queue and duplicate filter persist so that workers of one crawl id
    can join or resume it; kept forever, every crawl id would leave its keys
    behind. Each worker refreshes the expiry when it closes, so the keys
    outlive the last worker by the TTL. A Redis error here loses nothing (the
    pages are stored) and is only logged.
    """
    if spec.get("frontier") != "redis":
        return
    import redis

    ttl = max(1, int(float(spec.get("frontier_ttl_hours", 168)) * 3600))
    client = redis.Redis.from_url(spec.get("redis_url", DEFAULT_REDIS_URL))
    try:
        Frontier.from_spec(spec, client).expire(ttl)
    except redis.RedisError as exc:
        sys.stderr.write(f"could not set the frontier's expiry: {exc}\n")
    finally:
        client.close()


def run(spec: dict[str, Any]) -> int:
    """Crawl, then print one summary line with scrapy's counters."""
    process = CrawlerProcess(settings=scrapy_settings(spec))
    crawler = process.create_crawler(VeilleSpider)
    process.crawl(crawler, spec=spec)
    process.start()
    expire_frontier(spec)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    summary = {
        "pages": int(stats.get("response_received_count", 0)),
        "refused": int(stats.get("veille/refused", 0)) + GuardedResolver.refused,
        "blocked": int(stats.get("veille/blocked", 0)),
        "robots_forbidden": int(stats.get("robotstxt/forbidden", 0)),
        "robots_unreachable": int(stats.get(UNREACHABLE_STAT, 0)),
        "errors": int(stats.get("log_count/ERROR", 0)),
        "retries": int(stats.get("retry/count", 0)),
        "rate_limited": int(stats.get("veille/rate_limited", 0)),
        "finish_reason": str(stats.get("finish_reason", "")),
    }
    sys.stdout.write(json.dumps({"summary": summary}) + "\n")
    sys.stdout.flush()
    return 0 if summary["finish_reason"] else 1  # no finish reason: the crawl never ran


def main() -> None:
    spec = json.loads(sys.stdin.read())
    raise SystemExit(run(spec))


if __name__ == "__main__":
    main()
