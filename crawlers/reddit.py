"""Reddit: search through the public JSON listing endpoints.

Requests::

    GET {base_url}/search.json?q=<query>&sort=new&limit=100&raw_json=1[&after=t3_x]
    GET {base_url}/r/<subreddit>/search.json?...&restrict_sr=1     (one per target)

``base_url`` defaults to ``https://www.reddit.com``. The query is the
institution's, translated by :func:`veille.query.to_reddit`. Listings are
newest first: a run pages with ``after`` until it reaches the newest post of
the previous run (``newest`` in the cursor); an unfinished pagination resumes
from its saved ``after``. Each subreddit (or the site-wide search) is a target
with its own cursor and health.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

from crawlers.base import Batch, CrawlContext, Target, host_group
from crawlers.http import Down, PoliteClient, polite_client
from crawlers.normalise import html_to_text
from store.models import Mention
from veille.query import parse, to_reddit

DEFAULT_BASE = "https://www.reddit.com"


class RedditSource:
    kind: ClassVar[str] = "reddit"

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
            agent = str(self.cfg.options.get("user_agent", "veille/0.1 (social listening)"))
            self._http = polite_client(self.ctx, {"User-Agent": agent})
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def targets(self) -> list[Target]:
        group = host_group(self.base)
        if not self.cfg.targets:
            return [Target("all", group=group)]
        return [Target(f"r/{t.removeprefix('r/')}", group=group) for t in self.cfg.targets]

    def _endpoint(self, target: Target) -> tuple[str, dict[str, Any]]:
        q = self.cfg.query or to_reddit(parse(self.ctx.institution.effective_query()))
        params: dict[str, Any] = {"q": q, "sort": "new", "raw_json": 1}
        if target.name == "all":
            return f"{self.base}/search.json", params
        return f"{self.base}/{target.name}/search.json", {**params, "restrict_sr": 1}

    def fetch(self, target: Target, cursor: dict[str, Any]) -> Iterator[Batch]:
        url, params = self._endpoint(target)
        limit = int(self.cfg.options.get("page_size", 100))
        max_pages = int(self.cfg.options.get("max_pages", 10))
        state = dict(cursor)
        seen: set[str] = set()
        for _ in range(max_pages):
            query = {**params, "limit": limit}
            if state.get("after"):
                query["after"] = state["after"]
            body = self.http.get_json(url, params=query, expect="data")
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, dict):
                raise Down(f"{url}: unexpected answer (no listing)")
            children = [
                c.get("data") if isinstance(c, dict) else c for c in data.get("children") or []
            ]
            previous = float(state.get("newest", 0))
            fresh = [
                c
                for c in children
                if not isinstance(c, dict)
                or (float(c.get("created_utc", 0)) > previous and c.get("name") not in seen)
            ]
            readable = [c for c in fresh if isinstance(c, dict)]
            seen.update(str(c.get("name")) for c in children if isinstance(c, dict))
            newest = max((float(c.get("created_utc", 0)) for c in readable), default=0.0)
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
                items=fresh, convert=self.to_mention, cursor=dict(state), counts={"pages": 1}
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
