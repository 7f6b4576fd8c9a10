"""Mastodon: status search and hashtag timelines on configured instances.

Plain HTTP through :class:`crawlers.http.PoliteClient` (the API is simple and
this keeps one retry path). Requests::

    GET {base_url}/api/v2/search?q=<term>&type=statuses&limit=40[&min_id=..]
    GET {base_url}/api/v1/timelines/tag/<tag>?limit=40[&min_id=..]

``targets`` are hashtags (``#`` optional) or ``instance_url#tag`` pairs for
other instances; search terms come from the institution's query
(:func:`veille.query.search_terms`) unless ``query`` overrides them. Status
ids grow with time on one instance, so the cursor keeps the newest id per
stream and asks for ``min_id`` (statuses after it), page by page.
Search without a token only returns statuses on some instances; set
``VEILLE_MASTODON_ACCESS_TOKEN`` for full search.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from crawlers.base import Batch, CrawlContext
from crawlers.http import polite_client
from crawlers.normalise import html_to_text, parse_datetime
from store.models import Mention
from store.types import utcnow
from veille.errors import ConfigError
from veille.query import parse, search_terms


def _id_key(value: str) -> tuple[int, str]:
    return (len(value), value)  # numeric strings of growing length


class MastodonSource:
    kind: ClassVar[str] = "mastodon"

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.source

    def validate(self) -> None:
        if not self.cfg.base_url:
            raise ConfigError(f"source {self.cfg.name!r}: set base_url to the instance URL")

    def streams(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(stream name, URL, params) for every search term and hashtag."""
        base = self.cfg.base_url.rstrip("/")
        out: list[tuple[str, str, dict[str, Any]]] = []
        if self.cfg.options.get("search", True):
            terms = (
                [self.cfg.query]
                if self.cfg.query
                else search_terms(parse(self.ctx.institution.effective_query()))
            )
            for term in terms:
                out.append(
                    (
                        f"search:{term}",
                        f"{base}/api/v2/search",
                        {"q": term.strip('"'), "type": "statuses", "resolve": "false"},
                    )
                )
        for target in self.cfg.targets:
            instance, _, tag = target.rpartition("#") if "://" in target else ("", "", target)
            tag = tag.lstrip("#")
            root = instance.rstrip("/") or base
            out.append((f"tag:{root}#{tag}", f"{root}/api/v1/timelines/tag/{quote(tag)}", {}))
        return out

    def fetch(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        cursor = dict(cursor)
        token = self.ctx.settings.secret("mastodon_access_token")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        limit = int(self.cfg.options.get("page_size", 40))
        max_pages = int(self.cfg.options.get("max_pages", 20))
        seen: set[str] = set()  # one status found by several terms is sent once
        with polite_client(self.ctx, headers) as http:
            for stream, url, params in self.streams():
                for _ in range(max_pages):
                    min_id = cursor.get(stream)
                    query = {**params, "limit": limit}
                    if min_id:
                        query["min_id"] = min_id
                    body = http.get_json(url, params=query)
                    statuses = body.get("statuses", []) if isinstance(body, dict) else body
                    if min_id:
                        statuses = [s for s in statuses if _id_key(s["id"]) > _id_key(min_id)]
                    if statuses:
                        cursor[stream] = max((s["id"] for s in statuses), key=_id_key)
                    fresh = [s for s in statuses if s.get("uri", s["id"]) not in seen]
                    seen.update(s.get("uri", s["id"]) for s in statuses)
                    yield Batch(
                        mentions=[self.to_mention(s) for s in fresh],
                        cursor=dict(cursor),
                        counts={"pages": 1},
                    )
                    if len(statuses) < limit:
                        break

    def to_mention(self, status: dict[str, Any]) -> Mention:
        """A Mastodon Status; a reblog is stored as a repost of the original's content."""
        original = status.get("reblog") or status
        account = status.get("account") or {}
        text = html_to_text(original.get("content", ""))
        if original.get("spoiler_text"):
            text = f"{original['spoiler_text']}\n{text}"
        acct = account.get("acct", "")
        if acct and "@" not in acct:
            acct = f"{acct}@{urlsplit(account.get('url') or self.cfg.base_url).hostname}"
        return Mention(
            platform="mastodon",
            # The ActivityPub URI is global: the same status seen from two instances is one row.
            platform_id=status.get("uri") or status["url"],
            url=original.get("url") or original.get("uri") or "",
            author_id=str(account.get("id", "")),
            author_handle=acct,
            author_name=account.get("display_name", ""),
            author_followers=account.get("followers_count"),
            text=text,
            lang=original.get("language"),
            published_at=parse_datetime(status.get("created_at")) or utcnow(),
            engagement={
                "likes": int(original.get("favourites_count") or 0),
                "reposts": int(original.get("reblogs_count") or 0),
                "replies": int(original.get("replies_count") or 0),
            },
            reach=int(account.get("followers_count") or 0),
            is_repost=status.get("reblog") is not None,
            raw=status,
            provenance={
                "method": "mastodon_api",
                "source": self.cfg.name,
                "instance": self.cfg.base_url,
                "author_url": account.get("url", ""),
            },
        )
