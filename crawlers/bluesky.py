"""Bluesky: ``app.bsky.feed.searchPosts`` over plain XRPC HTTP.

Request::

    GET {base_url}/xrpc/app.bsky.feed.searchPosts?q=<term>&sort=latest&limit=100
        [&since=<ISO datetime>][&cursor=<page cursor>]

``base_url`` defaults to the public AppView ``https://public.api.bsky.app``.
Search terms come from the institution's query (or ``query``), then the
local filter applies the whole query. Cursor per term: ``since`` (newest
``indexedAt`` stored) and the ``cursor`` of an unfinished pagination.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from crawlers.base import Batch, CrawlContext
from crawlers.http import polite_client
from crawlers.normalise import parse_datetime
from store.models import Mention
from store.types import utcnow
from veille.query import parse, search_terms

DEFAULT_BASE = "https://public.api.bsky.app"


class BlueskySource:
    kind: ClassVar[str] = "bluesky"

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.source

    def validate(self) -> None:
        return None

    def terms(self) -> list[str]:
        if self.cfg.query:
            return [self.cfg.query]
        return search_terms(parse(self.ctx.institution.effective_query())) + [
            f"#{t.lstrip('#')}" for t in self.cfg.targets
        ]

    def fetch(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        cursor = {k: dict(v) for k, v in cursor.items() if isinstance(v, dict)}
        base = (self.cfg.base_url or DEFAULT_BASE).rstrip("/")
        url = f"{base}/xrpc/app.bsky.feed.searchPosts"
        limit = int(self.cfg.options.get("page_size", 100))
        max_pages = int(self.cfg.options.get("max_pages", 20))
        with polite_client(self.ctx) as http:
            for term in self.terms():
                state = cursor.setdefault(term, {})
                seen: set[str] = set()
                for _ in range(max_pages):
                    params: dict[str, Any] = {"q": term, "sort": "latest", "limit": limit}
                    if state.get("since"):
                        params["since"] = state["since"]
                    if state.get("page"):
                        params["cursor"] = state["page"]
                    body = http.get_json(url, params=params)
                    posts = [p for p in body.get("posts", []) if p["uri"] not in seen]
                    seen.update(p["uri"] for p in posts)
                    newest = max((p.get("indexedAt") or "" for p in posts), default="")
                    if newest > state.get("pending", ""):
                        state["pending"] = newest
                    page = body.get("cursor")
                    done = not page or not posts
                    if done:
                        if state.get("pending", "") > state.get("since", ""):
                            state["since"] = state["pending"]
                        state.pop("pending", None)
                        state.pop("page", None)
                    else:
                        state["page"] = page
                    yield Batch(
                        mentions=[self.to_mention(p) for p in posts],
                        cursor={k: dict(v) for k, v in cursor.items()},
                        counts={"pages": 1},
                    )
                    if done:
                        break

    def to_mention(self, post: dict[str, Any]) -> Mention:
        record = post.get("record") or {}
        author = post.get("author") or {}
        handle = author.get("handle", "")
        rkey = post["uri"].rsplit("/", 1)[-1]
        langs = record.get("langs") or []
        return Mention(
            platform="bluesky",
            platform_id=post["uri"],
            url=f"https://bsky.app/profile/{handle or author.get('did', '')}/post/{rkey}",
            author_id=author.get("did", ""),
            author_handle=handle,
            author_name=author.get("displayName", ""),
            author_followers=author.get("followersCount"),
            text=record.get("text", ""),
            lang=langs[0][:8] if langs else None,
            published_at=parse_datetime(record.get("createdAt"))
            or parse_datetime(post.get("indexedAt"))
            or utcnow(),
            engagement={
                "likes": int(post.get("likeCount") or 0),
                "reposts": int(post.get("repostCount") or 0),
                "replies": int(post.get("replyCount") or 0),
                "quotes": int(post.get("quoteCount") or 0),
            },
            reach=int(author.get("followersCount") or 0),
            raw=post,
            provenance={
                "method": "bluesky_xrpc",
                "source": self.cfg.name,
                "author_url": f"https://bsky.app/profile/{handle}" if handle else "",
            },
        )
