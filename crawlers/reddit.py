"""Reddit: search through the public JSON listing endpoints.

Requests::

    GET {base_url}/search.json?q=<query>&sort=new&limit=100&raw_json=1[&after=t3_x]
    GET {base_url}/r/<subreddit>/search.json?...&restrict_sr=1     (one per target)

``base_url`` defaults to ``https://www.reddit.com``. The query is the
institution's, translated by :func:`veille.query.to_reddit`. Listings are
newest first: a run pages with ``after`` until it reaches the newest post of
the previous run (``newest`` in the cursor); an unfinished pagination resumes
from its saved ``after``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

from crawlers.base import Batch, CrawlContext
from crawlers.http import polite_client
from crawlers.normalise import html_to_text
from store.models import Mention
from veille.query import parse, to_reddit

DEFAULT_BASE = "https://www.reddit.com"


class RedditSource:
    kind: ClassVar[str] = "reddit"

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.source

    def validate(self) -> None:
        return None

    def streams(self) -> list[tuple[str, str, dict[str, Any]]]:
        base = (self.cfg.base_url or DEFAULT_BASE).rstrip("/")
        q = self.cfg.query or to_reddit(parse(self.ctx.institution.effective_query()))
        params = {"q": q, "sort": "new", "raw_json": 1}
        if not self.cfg.targets:
            return [("all", f"{base}/search.json", params)]
        return [
            (f"r/{t}", f"{base}/r/{t.removeprefix('r/')}/search.json", {**params, "restrict_sr": 1})
            for t in self.cfg.targets
        ]

    def fetch(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        cursor = {k: dict(v) for k, v in cursor.items() if isinstance(v, dict)}
        limit = int(self.cfg.options.get("page_size", 100))
        max_pages = int(self.cfg.options.get("max_pages", 10))
        agent = str(self.cfg.options.get("user_agent", "veille/0.1 (social listening)"))
        with polite_client(self.ctx, {"User-Agent": agent}) as http:
            for stream, url, params in self.streams():
                state = cursor.setdefault(stream, {})
                seen: set[str] = set()
                for _ in range(max_pages):
                    query = {**params, "limit": limit}
                    if state.get("after"):
                        query["after"] = state["after"]
                    body = http.get_json(url, params=query)
                    data = body.get("data") or {}
                    children = [c["data"] for c in data.get("children", []) if c.get("data")]
                    previous = float(state.get("newest", 0))
                    fresh = [
                        c
                        for c in children
                        if float(c.get("created_utc", 0)) > previous and c["name"] not in seen
                    ]
                    seen.update(c["name"] for c in children)
                    newest = max((float(c.get("created_utc", 0)) for c in fresh), default=0.0)
                    state["pending"] = max(float(state.get("pending", 0)), newest)
                    after = data.get("after")
                    # Older than what we have, or the end: this pagination is complete.
                    done = not after or len(fresh) < len(children) or not fresh
                    if done:
                        state["newest"] = max(previous, float(state.pop("pending", 0)))
                        state.pop("after", None)
                    else:
                        state["after"] = after
                    yield Batch(
                        mentions=[self.to_mention(c) for c in fresh],
                        cursor={k: dict(v) for k, v in cursor.items()},
                        counts={"pages": 1},
                    )
                    if done:
                        break

    def to_mention(self, item: dict[str, Any]) -> Mention:
        """A t3 (post) or t1 (comment) to a Mention; crossposts are reposts."""
        is_comment = item.get("name", "").startswith("t1_")
        text = item.get("selftext") or item.get("body") or ""
        if not text and (item.get("selftext_html") or item.get("body_html")):
            text = html_to_text(item.get("selftext_html") or item.get("body_html") or "")
        permalink = item.get("permalink", "")
        url = f"https://www.reddit.com{permalink}" if permalink else item.get("url", "")
        author = item.get("author") or ""
        if author == "[deleted]":
            author = ""
        return Mention(
            platform="reddit",
            platform_id=item["name"],
            url=url,
            author_id=item.get("author_fullname", ""),
            author_handle=author,
            title="" if is_comment else item.get("title", ""),
            text=text,
            published_at=datetime.fromtimestamp(float(item.get("created_utc", 0)), tz=UTC),
            engagement={
                "score": int(item.get("score") or 0),
                "replies": int(item.get("num_comments") or 0),
            },
            reach=int(item.get("subreddit_subscribers") or 0),
            is_repost=bool(item.get("crosspost_parent")),
            raw=item,
            provenance={
                "method": "reddit_json",
                "source": self.cfg.name,
                "subreddit": item.get("subreddit", ""),
                "author_url": f"https://www.reddit.com/user/{author}" if author else "",
            },
        )
