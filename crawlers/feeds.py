"""RSS, Atom and JSON Feed (news sites, Google Alerts feeds) with feedparser.

Each target is a feed URL, fetched through :class:`crawlers.http.PoliteClient`
(token bucket, retries, address guard) with conditional GET: each feed's
cursor keeps its ``ETag`` / ``Last-Modified`` so an unchanged feed costs one
304. A feed that cannot be read at all fails as a target of its own (the
other feeds go on); a malformed feed whose entries a lenient parse still
recovers keeps them and is reported ``degraded``, never ``ok``. Entries go to
the runner one by one: an entry that cannot be read is quarantined.

Entry identity is its canonical link (Google redirect wrappers unwrapped),
so one article syndicated by several feeds is one mention. A link that is
not a valid URL (``http://[x``) is kept as text, and the entry's id (or a
hash of its title and text) becomes its key.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import feedparser

from crawlers.base import Batch, Convert, CrawlContext, Target, host_group
from crawlers.http import Down, PoliteClient, polite_client, raise_for_status
from crawlers.normalise import canonical_url, html_to_text, parse_datetime
from store.models import Mention
from store.types import utcnow
from veille.errors import ConfigError
from veille.i18n import _


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
        self._http: PoliteClient | None = None

    def validate(self) -> None:
        if not self.cfg.targets:
            raise ConfigError(
                _("source %(source)s: list feed URLs in targets") % {"source": repr(self.cfg.name)}
            )

    @property
    def http(self) -> PoliteClient:
        if self._http is None:
            self._http = polite_client(self.ctx)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def targets(self) -> list[Target]:
        return [Target(url, group=host_group(url)) for url in self.cfg.targets]

    def fetch(self, target: Target, cursor: dict[str, Any]) -> Iterator[Batch]:
        url = target.name
        state = dict(cursor)
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        response = self.http.get(url, headers=headers)
        if response.status_code == 304:
            yield Batch(cursor=state, counts={"304": 1})
            return
        raise_for_status(url, response.status_code)
        try:
            entries, problem, convert = self.parse(url, response.content)
        except ValueError as exc:
            raise Down(f"{url}: {exc}") from exc
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
        warning = (
            f"{url}: malformed feed ({problem}); kept {len(entries)} entries" if problem else ""
        )
        yield Batch(
            items=entries, convert=convert, cursor=state, counts={"feeds": 1}, warning=warning
        )

    def parse(self, url: str, body: bytes) -> tuple[list[Any], str, Convert]:
        """(raw entries, the parser's complaint, the converter of one entry)."""
        stripped = body.lstrip()
        if stripped.startswith(b"{"):
            return self._json_feed(url, body)
        parsed = feedparser.parse(body)
        problem = str(parsed.get("bozo_exception", "")) if parsed.get("bozo") else ""
        if not parsed.entries:
            raise ValueError(f"not a feed ({problem or 'no entries'})")
        feed_title = str(parsed.feed.get("title", ""))
        lang = (str(parsed.feed.get("language") or ""))[:2] or None

        def convert(entry: Any) -> Mention:
            link = entry.get("link") or entry.get("id") or ""
            summary = entry.get("summary", "")
            content = " ".join(c.get("value", "") for c in entry.get("content") or [])
            return self._mention(
                url,
                feed_title,
                link=link,
                entry_id=entry.get("id", ""),
                title=html_to_text(entry.get("title", "")),
                text=html_to_text(content or summary),
                author=entry.get("author", ""),
                published=_entry_time(entry),
                lang=lang,
                raw={k: entry.get(k) for k in ("id", "link", "title", "author", "published")},
            )

        return list(parsed.entries), problem, convert

    def _json_feed(self, url: str, body: bytes) -> tuple[list[Any], str, Convert]:
        try:
            feed = json.loads(body)
        except ValueError as exc:
            raise ValueError(f"invalid JSON feed: {exc}") from exc
        if not isinstance(feed, dict) or not isinstance(feed.get("items"), list):
            raise ValueError("JSON without feed items")
        title = str(feed.get("title", ""))
        lang = (str(feed.get("language") or ""))[:2] or None

        def convert(item: dict[str, Any]) -> Mention:
            authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
            return self._mention(
                url,
                title,
                link=item.get("url") or item.get("external_url") or "",
                entry_id=str(item.get("id", "")),
                title=item.get("title", ""),
                text=item.get("content_text") or html_to_text(item.get("content_html", "")),
                author=(authors[0] or {}).get("name", "") if authors else "",
                published=parse_datetime(item.get("date_published")),
                lang=lang,
                raw={k: item.get(k) for k in ("id", "url", "title", "date_published")},
            )

        return list(feed["items"]), "", convert

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
            # An invalid link stays as text (the runner keeps it in provenance.url_text).
            url=canonical or link,
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
