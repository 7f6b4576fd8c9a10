"""Mastodon: status search and hashtag timelines on configured instances.

Plain HTTP through :class:`crawlers.http.PoliteClient` (the API is simple and
this keeps one retry path and one address guard). Requests::

    GET {base_url}/api/v2/search?q=<term>&type=statuses&limit=40[&offset=..]
    GET {instance}/api/v1/timelines/tag/<tag>?limit=40[&max_id=..]

Each search term (from the institution's query, :func:`veille.query.search_terms`,
unless ``query`` overrides it) and each followed hashtag (``targets``: ``tag``,
``#tag`` or ``https://other.instance#tag``) is a target of its own, with its
own cursor and health: a down instance or a 401 on search never stops the
hashtag timelines. Every post of a followed hashtag belongs to the source's
institution, whether or not the query names the hashtag.

Timelines are paged newest first, following ``Link: rel="next"`` (its
``max_id``; the smallest id of the page on a server that sends no Link
header); search results, whose order need not be by id, are paged by
``offset``. Both go back to what the previous run stored (``newest`` in the cursor) or, on a
first run, to the horizon (``options.backfill_days``, 30 by default). So a
first run takes the whole recent history and a run after an outage fills the
gap. A pagination cut short (``options.max_pages`` per run, budget, crash)
resumes from its ``next_max_id`` (``next_offset``); ``newest`` only moves once it completed.
Ids are compared as numbers (Mastodon 1.x sent integers, later strings).
Search needs ``VEILLE_MASTODON_ACCESS_TOKEN`` on most instances; the token
is sent to ``base_url`` only, never to the other instances.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from crawlers.base import Batch, CrawlContext, Target, host_group
from crawlers.http import Down, PoliteClient, next_link, polite_client, query_param
from crawlers.normalise import html_to_text, parse_datetime
from store.models import Mention
from store.types import utcnow
from veille.errors import ConfigError
from veille.i18n import _
from veille.query import parse, search_terms


def id_key(value: object) -> tuple[int, str]:
    """Sort key of a status id: integer (1.x) or numeric string, of growing length."""
    text = str(value)
    return (len(text), text)


class MastodonSource:
    kind: ClassVar[str] = "mastodon"

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.source
        self._http: PoliteClient | None = None
        #: ActivityPub URIs sent this run: a status found by several streams is sent once.
        self._seen: set[str] = set()

    def validate(self) -> None:
        if not self.cfg.base_url:
            raise ConfigError(
                _("source %(source)s: set base_url to the instance URL")
                % {"source": repr(self.cfg.name)}
            )

    @property
    def base(self) -> str:
        return self.cfg.base_url.rstrip("/")

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
        """One target per search term, then one per followed hashtag."""
        out: list[Target] = []
        if self.cfg.options.get("search", True):
            terms = (
                [self.cfg.query]
                if self.cfg.query
                else search_terms(parse(self.ctx.institution.effective_query()))
            )
            out += [Target(f"search:{term}", group=host_group(self.base)) for term in terms]
        for target in self.cfg.targets:
            instance, _, tag = target.rpartition("#") if "://" in target else ("", "", target)
            root = instance.rstrip("/") or self.base
            out.append(
                Target(f"tag:{root}#{tag.lstrip('#')}", followed=True, group=host_group(root))
            )
        return out

    def _endpoint(self, target: Target) -> tuple[str, str, dict[str, Any]]:
        """(instance root, URL, params) of a target."""
        kind, _, rest = target.name.partition(":")
        if kind == "search":
            params = {"q": rest.strip('"'), "type": "statuses", "resolve": "false"}
            return self.base, f"{self.base}/api/v2/search", params
        root, _, tag = rest.rpartition("#")
        return root, f"{root}/api/v1/timelines/tag/{quote(tag)}", {}

    def fetch(self, target: Target, cursor: dict[str, Any]) -> Iterator[Batch]:
        root, url, params = self._endpoint(target)
        search = target.name.startswith("search:")
        token = self.ctx.settings.secret("mastodon_access_token")
        headers = {"Authorization": f"Bearer {token}"} if token and root == self.base else {}
        limit = int(self.cfg.options.get("page_size", 40))
        max_pages = int(self.cfg.options.get("max_pages", 20))
        days = float(self.cfg.options.get("backfill_days", 30))
        horizon = utcnow() - timedelta(days=days) if days > 0 else None
        state = dict(cursor)
        newest = state.get("newest")
        # Timelines page by max_id (from Link rel="next"); search by offset, because its
        # results need not be in id order.
        paging = "next_offset" if search else "next_max_id"
        for _page in range(max_pages):
            query: dict[str, Any] = {**params, "limit": limit}
            offset = int(state.get("next_offset", 0)) if search else 0
            if offset:
                query["offset"] = offset
            if not search and state.get("next_max_id"):
                query["max_id"] = state["next_max_id"]
            response = self.http.get_ok(url, params=query, headers=headers)
            body = self.http.json_of(response, expect="statuses" if search else None)
            statuses = body.get("statuses") if search and isinstance(body, dict) else body
            if not isinstance(statuses, list):
                raise Down(f"{url}: unexpected answer (no list of statuses)")
            readable = [s for s in statuses if isinstance(s, dict) and s.get("id") is not None]
            ids = [str(s["id"]) for s in readable]
            if ids:
                top = max(ids, key=id_key)
                if id_key(top) > id_key(state.get("pending_newest") or "0"):
                    state["pending_newest"] = top
            old = [newest is not None and id_key(i) <= id_key(newest) for i in ids]
            # Newest first: one known status means the rest is known; in search order, a
            # page of known statuses only.
            reached_known = bool(ids) and (all(old) if search else any(old))
            fresh = [s for s in statuses if not self._known(s, newest)]
            oldest = min(
                (d for d in (parse_datetime(s.get("created_at")) for s in readable) if d),
                default=None,
            )
            past_horizon = horizon is not None and oldest is not None and oldest < horizon
            if search:
                more, following = len(statuses) >= limit, str(offset + len(statuses))
            else:
                link = next_link(response.headers)
                # No Link header at all (an older server): a full page may have more.
                more = link is not None if "link" in response.headers else len(statuses) >= limit
                following = (query_param(link, "max_id") if link else None) or (
                    min(ids, key=id_key) if ids else ""
                )
            done = not statuses or reached_known or past_horizon or not more or not following
            if done:
                top = state.pop("pending_newest", None)
                if top and (newest is None or id_key(top) > id_key(newest)):
                    state["newest"] = top
                state.pop(paging, None)
            else:
                state[paging] = int(following) if search else following
            yield Batch(
                items=fresh,
                convert=partial(self.to_mention, instance=root),
                cursor=dict(state),
                counts={"pages": 1},
            )
            if done:
                break

    def _known(self, status: Any, newest: str | None) -> bool:
        """Already stored by an earlier run, or sent by another stream of this run."""
        if not isinstance(status, dict):
            return False  # the runner quarantines it
        sid = status.get("id")
        if newest is not None and sid is not None and id_key(sid) <= id_key(newest):
            return True
        uri = str(status.get("uri") or status.get("url") or sid)
        if uri in self._seen:
            return True
        self._seen.add(uri)
        return False

    def to_mention(self, status: dict[str, Any], instance: str = "") -> Mention:
        """A Mastodon Status; a reblog is stored as a repost of the original's content."""
        original = status.get("reblog") or status
        account = status.get("account") or {}
        text = html_to_text(original.get("content") or "")
        if original.get("spoiler_text"):
            text = f"{original['spoiler_text']}\n{text}"
        acct = account.get("acct", "")
        if acct and "@" not in acct:
            acct = f"{acct}@{urlsplit(account.get('url') or instance or self.base).hostname}"
        tags = [t.get("name", "") for t in original.get("tags") or [] if isinstance(t, dict)]
        return Mention(
            platform="mastodon",
            # The ActivityPub URI is global: the same status seen from two instances is one row.
            platform_id=str(status.get("uri") or status["url"]),
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
            hashtags=[t for t in tags if t],
            raw=status,
            provenance={
                "method": "mastodon_api",
                "source": self.cfg.name,
                "instance": instance or self.base,
                "author_url": account.get("url", ""),
            },
        )
