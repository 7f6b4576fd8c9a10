"""robots.txt as RFC 9309 reads it: an unreachable robots.txt forbids the whole site.

Scrapy's own middleware allows everything when robots.txt cannot be fetched (a timeout, a
reset connection, a 5xx answer), so a site under load, or a worker under load, could have its
disallowed pages crawled. RFC 9309 §2.3.1.3-4 says the opposite: when robots.txt is
unreachable the crawler must assume complete disallow; only "unavailable" (4xx) means allow
all. This subclass keeps scrapy's fetching, caching and parser, and changes only that reading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

#: The robots.txt body that forbids every path to every agent.
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
#: The scrapy stats counter of sites whose robots.txt could not be read.
UNREACHABLE_STAT = "veille/robots_unreachable"


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with "unreachable" read as "disallow everything"."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._disallow_all: RobotParser = build_from_crawler(
            self._parserimpl, crawler, DISALLOW_ALL
        )
        self._unreachable: set[str] = set()

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The site's parser; a failed download (scrapy's ``None``) forbids the site."""
        parser = await super().robot_parser(request)
        if parser is None:
            netloc = urlparse_cached(request).netloc
            if netloc not in self._unreachable:  # counted once a site, not once a request
                self._unreachable.add(netloc)
                self.crawler.stats.inc_value(UNREACHABLE_STAT)
            return self._disallow_all
        return parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        """A 5xx answer (after scrapy's retries) is unreachable, not an empty robots.txt."""
        if response.status >= 500:
            self.crawler.stats.inc_value(UNREACHABLE_STAT)
            response = response.replace(body=DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)
