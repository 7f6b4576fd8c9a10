"""Bluesky: ``app.bsky.feed.searchPosts`` over plain XRPC HTTP.

Request::

    GET {base_url}/xrpc/app.bsky.feed.searchPosts?q=<term>&sort=latest&limit=100
        [&since=<ISO datetime>][&cursor=<page cursor>]

``base_url`` defaults to the public AppView ``https://public.api.bsky.app``.
Each search term (from the institution's query, or ``query``) and each
followed hashtag (``targets``, searched as ``#tag``) is a target with its own
cursor: ``since`` (newest ``indexedAt`` stored) and the ``cursor`` of an
unfinished pagination. Posts of a followed hashtag belong to the source's
institution; the others must match a query (text, ``record.tags`` and tag
facets are read).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from crawlers.base import Batch, CrawlContext, Target, host_group
from crawlers.http import Down, PoliteClient, polite_client
from crawlers.normalise import parse_datetime
from store.models import Mention
from store.types import utcnow
from veille.query import parse, search_terms

DEFAULT_BASE = "https://public.api.bsky.app"


def post_hashtags(record: dict[str, Any]) -> list[str]:
    """``record.tags`` and the tags of ``#tag`` facets, without ``#``, in order."""
    tags = [t for t in record.get("tags") or [] if isinstance(t, str)]
    for facet in record.get("facets") or []:
        for feature in (facet or {}).get("features") or [] if isinstance(facet, dict) else []:
            if isinstance(feature, dict) and str(feature.get("$type", "")).endswith("#tag"):
                tags.append(str(feature.get("tag", "")))
    out: list[str] = []
    for t in tags:
        t = t.lstrip("#")
        if t and t not in out:
            out.append(t)
    return out


class BlueskySource:
    kind: ClassVar[str] = "bluesky"

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.source
        self._http: PoliteClient | None = None

    def validate(self) -> None:
        return None

    @property
    def base(self) -> str:
        return (self.cfg.base_url or DEFAULT_BASE).rstrip("/")

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
        group = host_group(self.base)
        if self.cfg.query:
            terms = [self.cfg.query]
        else:
            terms = search_terms(parse(self.ctx.institution.effective_query()))
        tags = [f"#{t.lstrip('#')}" for t in self.cfg.targets]
        return [Target(t, group=group) for t in terms if t not in tags] + [
            Target(t, followed=True, group=group) for t in tags
        ]

    def fetch(self, target: Target, cursor: dict[str, Any]) -> Iterator[Batch]:
        url = f"{self.base}/xrpc/app.bsky.feed.searchPosts"
        limit = int(self.cfg.options.get("page_size", 100))
        max_pages = int(self.cfg.options.get("max_pages", 20))
        state = dict(cursor)
        seen: set[str] = set()
        for _ in range(max_pages):
            params: dict[str, Any] = {"q": target.name, "sort": "latest", "limit": limit}
            if state.get("since"):
                params["since"] = state["since"]
            if state.get("page"):
                params["cursor"] = state["page"]
            body = self.http.get_json(url, params=params, expect="posts")
            posts = body.get("posts") if isinstance(body, dict) else None
            if not isinstance(posts, list):
                raise Down(f"{url}: unexpected answer (no list of posts)")
            fresh = [p for p in posts if not (isinstance(p, dict) and p.get("uri") in seen)]
            readable = [p for p in fresh if isinstance(p, dict)]
            seen.update(str(p.get("uri")) for p in readable)
            newest = max((str(p.get("indexedAt") or "") for p in readable), default="")
            if newest > state.get("pending", ""):
                state["pending"] = newest
            page = body.get("cursor")
            done = not page or not fresh
            if done:
                if state.get("pending", "") > state.get("since", ""):
                    state["since"] = state["pending"]
                state.pop("pending", None)
                state.pop("page", None)
            else:
                state["page"] = page
            yield Batch(
                items=fresh, convert=self.to_mention, cursor=dict(state), counts={"pages": 1}
            )
            if done:
                break

    def to_mention(self, post: dict[str, Any]) -> Mention:
        record = post.get("record") or {}
        author = post.get("author") or {}
        handle = author.get("handle", "")
        uri = str(post["uri"])
        rkey = uri.rsplit("/", 1)[-1]
        langs = record.get("langs") or []
        return Mention(
            platform="bluesky",
            platform_id=uri,
            url=f"https://bsky.app/profile/{handle or author.get('did', '')}/post/{rkey}",
            author_id=author.get("did", ""),
            author_handle=handle,
            author_name=author.get("displayName", ""),
            author_followers=author.get("followersCount"),
            text=record.get("text", ""),
            lang=str(langs[0])[:8] if langs else None,
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
            hashtags=post_hashtags(record),
            raw=post,
            provenance={
                "method": "bluesky_xrpc",
                "source": self.cfg.name,
                "author_url": f"https://bsky.app/profile/{handle}" if handle else "",
            },
        )
