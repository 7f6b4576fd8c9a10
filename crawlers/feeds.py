"""RSS, Atom and JSON Feed (news sites, Google Alerts feeds) with feedparser.

Each target is a feed URL, fetched through :class:`crawlers.http.PoliteClient`
(token bucket, retries, SSRF guard) with conditional GET: the cursor keeps
each feed's ``ETag`` / ``Last-Modified`` so an unchanged feed costs one 304.
A feed that cannot be parsed is recorded as an error of this source
(:class:`crawlers.http.PartialFailure`) after the other feeds are stored;
entries a lenient parse still recovers are kept.

Entry identity is its canonical link (Google redirect wrappers unwrapped),
so one article syndicated by several feeds is one mention.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import feedparser

from crawlers.base import Batch, CrawlContext
from crawlers.http import FetchError, PartialFailure, polite_client
from crawlers.normalise import canonical_url, html_to_text, parse_datetime
from store.models import Mention
from store.types import utcnow
from veille.errors import ConfigError


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


class FeedSource:
    kind: ClassVar[str] = "rss"

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.source

    def validate(self) -> None:
        if not self.cfg.targets:
            raise ConfigError(f"source {self.cfg.name!r}: list feed URLs in targets")

    def fetch(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        cursor = {k: dict(v) for k, v in cursor.items() if isinstance(v, dict)}
        failures: list[str] = []
        with polite_client(self.ctx) as http:
            for url in self.cfg.targets:
                state = cursor.setdefault(url, {})
                headers = {}
                if state.get("etag"):
                    headers["If-None-Match"] = state["etag"]
                if state.get("modified"):
                    headers["If-Modified-Since"] = state["modified"]
                try:
                    response = http.get(url, headers=headers)
                except FetchError as exc:
                    failures.append(f"{url}: {exc}")
                    continue
                if response.status_code == 304:
                    yield Batch(cursor={k: dict(v) for k, v in cursor.items()}, counts={"304": 1})
                    continue
                if response.status_code >= 400:
                    failures.append(f"{url}: HTTP {response.status_code}")
                    continue
                try:
                    mentions, problem = self.parse(url, response.content)
                except ValueError as exc:
                    failures.append(f"{url}: {exc}")
                    continue
                if problem:
                    failures.append(f"{url}: malformed feed ({problem}); kept {len(mentions)}")
                state.update(
                    {
                        k: v
                        for k, v in (
                            ("etag", response.headers.get("etag")),
                            ("modified", response.headers.get("last-modified")),
                        )
                        if v
                    }
                )
                yield Batch(
                    mentions=mentions,
                    cursor={k: dict(v) for k, v in cursor.items()},
                    counts={"feeds": 1},
                )
        if failures:
            raise PartialFailure("; ".join(failures))

    def parse(self, url: str, body: bytes) -> tuple[list[Mention], str]:
        """Entries of one feed and the parser's complaint, if any."""
        stripped = body.lstrip()
        if stripped.startswith(b"{"):
            return self._json_feed(url, body), ""
        parsed = feedparser.parse(body)
        problem = str(parsed.get("bozo_exception", "")) if parsed.get("bozo") else ""
        if not parsed.entries:
            raise ValueError(f"not a feed ({problem or 'no entries'})")
        feed_title = parsed.feed.get("title", "")
        out = []
        for entry in parsed.entries:
            link = entry.get("link") or entry.get("id") or ""
            summary = entry.get("summary", "")
            content = " ".join(c.get("value", "") for c in entry.get("content") or [])
            text = html_to_text(content or summary)
            out.append(
                self._mention(
                    url,
                    feed_title,
                    link=link,
                    entry_id=entry.get("id", ""),
                    title=html_to_text(entry.get("title", "")),
                    text=text,
                    author=entry.get("author", ""),
                    published=_entry_time(entry),
                    lang=(parsed.feed.get("language") or "")[:2] or None,
                    raw={k: entry.get(k) for k in ("id", "link", "title", "author", "published")},
                )
            )
        return out, problem

    def _json_feed(self, url: str, body: bytes) -> list[Mention]:
        try:
            feed = json.loads(body)
        except ValueError as exc:
            raise ValueError(f"invalid JSON feed: {exc}") from exc
        if not isinstance(feed, dict) or "items" not in feed:
            raise ValueError("JSON without feed items")
        out = []
        for item in feed.get("items") or []:
            authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
            out.append(
                self._mention(
                    url,
                    feed.get("title", ""),
                    link=item.get("url") or item.get("external_url") or "",
                    entry_id=str(item.get("id", "")),
                    title=item.get("title", ""),
                    text=item.get("content_text") or html_to_text(item.get("content_html", "")),
                    author=(authors[0] or {}).get("name", "") if authors else "",
                    published=parse_datetime(item.get("date_published")),
                    lang=(feed.get("language") or "")[:2] or None,
                    raw={k: item.get(k) for k in ("id", "url", "title", "date_published")},
                )
            )
        return out

    def _mention(
        self,
        feed_url: str,
        feed_title: str,
        *,
        link: str,
        entry_id: str,
        title: str,
        text: str,
        author: str,
        published: datetime | None,
        lang: str | None,
        raw: dict[str, Any],
    ) -> Mention:
        canonical = canonical_url(link) if link else ""
        key = canonical or entry_id or hashlib.sha256(f"{title}{text}".encode()).hexdigest()
        if len(key) > 255:
            key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return Mention(
            platform="news",
            platform_id=key,
            url=canonical,
            author_name=author,
            title=title,
            text=text,
            lang=lang,
            published_at=published or utcnow(),
            raw={**raw, "feed": feed_url, "feed_title": feed_title},
            provenance={
                "method": "feed",
                "source": self.cfg.name,
                "feed": feed_url,
                "fetched_at": utcnow().isoformat(),
            },
        )
