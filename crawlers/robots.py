"""robots.txt as RFC 9309 reads it: an unreachable robots.txt forbids the whole site.

Scrapy's own middleware allows everything when robots.txt cannot be fetched (a timeout, a
reset connection, a 5xx answer), so a site under load, or a worker under load, could have its
disallowed pages crawled. RFC 9309 §2.3.1.3-4 says the opposite: when robots.txt is
unreachable the crawler must assume complete disallow; only "unavailable" (4xx) means allow
all. This subclass keeps scrapy's fetching, caching and parser, and changes only that reading
(and mends scrapy's answer to requests that waited for a robots.txt being downloaded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

#: The scrapy stats counter of sites whose robots.txt could not be read.
UNREACHABLE_STAT = "veille/robots_unreachable"


class RobotsUnreachable(IgnoreRequest):
    """A request refused because its site's robots.txt could not be read.

    Not "done": a shared frontier keeps it in flight, so it goes back to the queue when the
    worker ends, for a worker (or a later run) that can read robots.txt.
    """


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with "unreachable" read as "disallow everything"."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._unreachable: set[str] = set()

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The site's parser; a failed download (scrapy's ``None``) marks it unreachable.

        Scrapy also answers ``None`` to every request that awaited a robots.txt still being
        downloaded but the first (the pending Deferred hands its result to its first waiter
        only), and scrapy reads ``None`` as "allow everything": the requests of a crawl's first
        instants skipped robots.txt (a disallowed page was fetched now and then). The parser
        scrapy stored meanwhile is the answer for them.
        """
        parser = await super().robot_parser(request)
        if parser is None:
            netloc = urlparse_cached(request).netloc
            stored = self._parsers.get(netloc)
            if stored is not None and not isinstance(stored, Deferred):
                return stored
            self._mark_unreachable(netloc)
        return parser

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        """Refuse every request to an unreachable site, as held back rather than forbidden."""
        if urlparse_cached(request).netloc in self._unreachable:
            self.crawler.stats.inc_value("robotstxt/forbidden")
            raise RobotsUnreachable("robots.txt could not be read")
        super().process_request_2(rp, request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        """A 5xx answer (after scrapy's retries) is unreachable, not an empty robots.txt."""
        if response.status >= 500:
            self._mark_unreachable(netloc)
        await super()._parse_robots(response, netloc, request)

    def _mark_unreachable(self, netloc: str) -> None:
        if netloc not in self._unreachable:  # counted once a site, not once a request
            self._unreachable.add(netloc)
            self.crawler.stats.inc_value(UNREACHABLE_STAT)
