"""X/Twitter through tweepy's v2 ``Client``: recent search and mentions of our handles.

Only platform specifics live here. tweepy talks to a hard-coded
``https://api.twitter.com``; the source mounts :class:`crawlers.http.PoliteAdapter`
on the client's public ``session`` so every request gets the source's token
bucket, retry policy and SSRF guard, and is routed to ``base_url`` when one is
set (replay server, demo). Reads are billed per post returned, so each page
asks for at most what the budget still allows.

Targets are ``search`` and ``mentions:<handle>``, each with its own cursor and
health (one rate-limit group: the API host)::

    {"since_id": newest stored id, "next_token": page to resume,
     "pending_newest": newest id of the pagination in progress,
     "user_id": the handle's id (mentions)}

``since_id`` only advances when a pagination completes, so a crash in the
middle resumes at ``next_token`` and loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from typing import Any, ClassVar

import tweepy

from crawlers.base import Batch, CrawlContext, Target, host_group
from crawlers.http import (
    AddressPolicy,
    Down,
    Gone,
    PoliteAdapter,
    TokenBucket,
    guard_session,
    raise_for_status,
    retry_policy,
)
from crawlers.normalise import parse_datetime, snowflake_time
from store.models import Mention
from veille.errors import ConfigError
from veille.i18n import _
from veille.query import parse, to_twitter

log = logging.getLogger(__name__)

TWEET_FIELDS = [
    "created_at",
    "lang",
    "public_metrics",
    "author_id",
    "conversation_id",
    "referenced_tweets",
    "entities",
]
API_HOST = "api.twitter.com"
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
EXPANSIONS = ["author_id", "referenced_tweets.id"]


def _api(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Call tweepy, turning its HTTP errors into the failures the runner classifies."""
    try:
        return call(*args, **kwargs)
    except tweepy.errors.HTTPException as exc:
        status = getattr(exc.response, "status_code", 0) or 0
        url = str(getattr(exc.response, "url", "") or "X API")
        raise_for_status(url, status)
        raise Down(f"{url}: {exc}") from exc


class TwitterSource:
    """Recent search for the institution's query + mentions of its handles."""

    kind: ClassVar[str] = "twitter"

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.source
        self.client: tweepy.Client | None = None

    def validate(self) -> None:
        if not self.ctx.settings.secret("twitter_bearer_token"):
            raise ConfigError(
                _("source %(source)s: set VEILLE_TWITTER_BEARER_TOKEN to an X API bearer token")
                % {"source": repr(self.cfg.name)}
            )

    def _client(self) -> tweepy.Client:
        if self.client is None:
            client = tweepy.Client(
                bearer_token=self.ctx.settings.secret("twitter_bearer_token"),
                return_type=dict,
                wait_on_rate_limit=False,
            )
            adapter = PoliteAdapter(
                bucket=TokenBucket(self.cfg.requests_per_second),
                retry=retry_policy(self.cfg.options),
                policy=AddressPolicy.from_settings(self.ctx.settings),
                base_url=self.cfg.base_url,
                api_host=API_HOST,
            )
            guard_session(client.session, adapter)
            self.client = client
        return self.client

    # -- streams -----------------------------------------------------------

    def targets(self) -> list[Target]:
        group = host_group(self.cfg.base_url or f"https://{API_HOST}")
        out = [Target("search", group=group)] if self.cfg.options.get("search", True) else []
        return out + [Target(f"mentions:{h.lower()}", group=group) for h in self._handles()]

    def close(self) -> None:
        if self.client is not None:
            self.client.session.close()
            self.client = None

    def fetch(self, target: Target, cursor: dict[str, Any]) -> Iterator[Batch]:
        state = dict(cursor)
        if target.name == "search":
            query = self.cfg.query or to_twitter(parse(self.ctx.institution.effective_query()))
            yield from self._paginate(state, self._search_page(query))
            return
        wanted = target.name.removeprefix("mentions:")
        handle = next((h for h in self._handles() if h.lower() == wanted), wanted)
        user_id = state.get("user_id") or self._user_id(handle)
        if not user_id:
            raise Gone(f"X/Twitter: no account named @{handle}")
        state["user_id"] = user_id
        yield from self._paginate(state, self._mentions_page(user_id))

    def _handles(self) -> list[str]:
        configured = self.cfg.options.get("handles")
        handles = (
            configured
            if configured is not None
            else self.ctx.institution.handles.get("twitter", [])
        )
        return [h.lstrip("@") for h in handles if h.strip()]

    def _user_id(self, handle: str) -> str | None:
        body = _api(self._client().get_user, username=handle)
        data = (body or {}).get("data") or {}
        return str(data["id"]) if data.get("id") else None

    def _page_size(self) -> int:
        return max(10, min(100, int(self.cfg.options.get("page_size", self.cfg.max_items_per_run))))

    def _search_page(self, query: str) -> Any:
        def page(since_id: str | None, token: str | None) -> dict[str, Any]:
            return self._client().search_recent_tweets(  # type: ignore[no-any-return,unused-ignore]
                query=query,
                since_id=since_id,
                next_token=token,
                max_results=self._page_size(),
                tweet_fields=TWEET_FIELDS,
                user_fields=USER_FIELDS,
                expansions=EXPANSIONS,
            )

        return page

    def _mentions_page(self, user_id: str) -> Any:
        def page(since_id: str | None, token: str | None) -> dict[str, Any]:
            return self._client().get_users_mentions(  # type: ignore[no-any-return,unused-ignore]
                user_id,
                since_id=since_id,
                pagination_token=token,
                max_results=self._page_size(),
                tweet_fields=TWEET_FIELDS,
                user_fields=USER_FIELDS,
                expansions=EXPANSIONS,
            )

        return page

    def _paginate(self, state: dict[str, Any], page: Any) -> Iterator[Batch]:
        seen: set[str] = set()
        max_pages = int(self.cfg.options.get("max_pages", 50))
        for _page in range(max_pages):
            body = _api(page, state.get("since_id"), state.get("next_token")) or {}
            tweets = body.get("data") or []
            meta = body.get("meta") or {}
            readable = [t for t in tweets if isinstance(t, dict) and t.get("id") is not None]
            new = [t for t in tweets if not (isinstance(t, dict) and str(t.get("id")) in seen)]
            seen.update(str(t["id"]) for t in readable)
            if meta.get("newest_id") and not state.get("next_token"):
                state["pending_newest"] = meta["newest_id"]
            token = meta.get("next_token")
            if not token or not new:
                # Pagination complete: everything up to pending_newest is stored.
                newest = state.pop("pending_newest", None) or meta.get("newest_id")
                if newest and int(newest) > int(state.get("since_id") or 0):
                    state["since_id"] = str(newest)
                state.pop("next_token", None)
            else:
                state["next_token"] = token
            includes = body.get("includes") or {}
            yield Batch(
                items=new,
                convert=partial(self.to_mention, includes=includes),
                cursor=dict(state),
                counts={"pages": 1},
            )
            if not token or not new:
                return

    # -- normalisation -----------------------------------------------------

    def to_mention(self, tweet: dict[str, Any], includes: dict[str, Any]) -> Mention:
        """A v2 tweet to a Mention; author fields come from ``includes`` when expanded."""
        users = {u["id"]: u for u in includes.get("users") or [] if isinstance(u, dict)}
        author = users.get(tweet.get("author_id", ""), {})
        metrics = tweet.get("public_metrics") or {}
        followers = (author.get("public_metrics") or {}).get("followers_count")
        refs = tweet.get("referenced_tweets") or []
        is_repost = any(r.get("type") == "retweeted" for r in refs)
        handle = author.get("username", "")
        url = (
            f"https://x.com/{handle}/status/{tweet['id']}"
            if handle
            else f"https://x.com/i/web/status/{tweet['id']}"
        )
        engagement = {
            "likes": int(metrics.get("like_count", 0)),
            "reposts": int(metrics.get("retweet_count", 0)),
            "replies": int(metrics.get("reply_count", 0)),
            "quotes": int(metrics.get("quote_count", 0)),
        }
        if "impression_count" in metrics:
            engagement["views"] = int(metrics["impression_count"])
        return Mention(
            platform="twitter",
            platform_id=str(tweet["id"]),
            url=url,
            author_id=str(tweet.get("author_id", "")),
            author_handle=handle,
            author_name=author.get("name", ""),
            author_followers=followers,
            text=tweet.get("text", ""),
            lang=tweet.get("lang"),
            published_at=parse_datetime(tweet.get("created_at")) or snowflake_time(tweet["id"]),
            engagement=engagement,
            reach=int(followers or 0),
            is_repost=is_repost,
            raw={"tweet": tweet, "author": author},
            provenance={
                "method": "x_api_v2",
                "source": self.cfg.name,
                "author_url": f"https://x.com/{handle}" if handle else "",
            },
        )
