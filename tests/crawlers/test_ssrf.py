"""One SSRF-safe path for every source kind: allow-list, redirect hops, rebinding, pinning.

Only the replay server's ``host:port`` is listed in ``allow_private_hosts``. A redirect
to another loopback port or to the cloud metadata address, and a DNS answer that turns
into 127.0.0.1 between the check and the connection, are refused for each of the nine
source kinds; nothing is fetched from the internal address and the source says
``blocked``, not ``down``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from crawlers.http import (
    AddressPolicy,
    PoliteAdapter,
    PoliteClient,
    Refused,
    RetryPolicy,
    TokenBucket,
)
from crawlers.runner import crawl
from store import crawl_state
from store.db import session_scope
from store.mentions import count_mentions
from tests.crawlers import resolvers
from tests.crawlers.conftest import Replay, replay_settings, serving

ORCID = "0000-0002-1825-0097"
FAST = {"backoff_base": 0.01, "max_retries": 1, "timeout": 5, "max_rate_limit_wait": 1}
KINDS = [
    "twitter",
    "mastodon",
    "bluesky",
    "reddit",
    "rss",
    "web",
    "schema_person",
    "orcid",
    "appointments",
]


def kind_config(kind: str, base: str) -> dict[str, Any]:
    """One source of ``kind`` whose every request goes to ``base``."""
    cfg: dict[str, Any] = {"name": kind, "kind": kind, "requests_per_second": 0, "options": FAST}
    if kind in ("twitter", "mastodon", "bluesky", "reddit", "orcid"):
        cfg["base_url"] = base
    cfg["targets"] = {
        "mastodon": ["hoot"],
        "rss": [f"{base}/feeds/news.xml"],
        "web": [f"{base}/"],
        "schema_person": [f"{base}/people/a.html"],
        "orcid": [ORCID],
        "appointments": [f"{base}/nominations.rss"],
    }.get(kind, [])
    if kind == "bluesky":
        cfg["query"] = "redistricting"
    if kind == "web":
        cfg["options"] = {**FAST, "max_depth": 1, "obey_robots": False}
    return cfg


def _health(db_url: str, name: str) -> crawl_state.SourceHealth:
    with session_scope(db_url) as s:
        return next(h for h in crawl_state.health(s) if h.name == name)


def _assert_refused(db_url: str, report: Any) -> None:
    assert report.status == "blocked", report
    assert report.stored == 0 and report.snapshots == 0
    assert "refus" in report.error, report.error
    with session_scope(db_url) as s:
        assert count_mentions(s) == 0
    assert _health(db_url, report.name).status == "blocked"


@pytest.mark.parametrize("kind", KINDS)
def test_redirect_to_another_loopback_port_is_refused(
    db_url: str, replay: Replay, other_server: Replay, kind: str
):
    other_server.handler = lambda _p, _q: (200, {"Content-Type": "text/html"}, b"secret")
    replay.handler = lambda _p, _q: (302, {"Location": f"{other_server.base_url}/secret"}, b"")
    settings = replay_settings(db_url, [kind_config(kind, replay.base_url)])
    assert settings.allow_private_hosts == [replay.base_url.removeprefix("http://")]
    [report] = crawl(settings, db_url)
    _assert_refused(db_url, report)
    assert sum(replay.hits.values()) > 0  # the listed server was asked...
    assert sum(other_server.hits.values()) == 0  # ...the redirect's target never


@pytest.mark.parametrize("kind", KINDS)
def test_redirect_to_cloud_metadata_is_refused(db_url: str, replay: Replay, kind: str):
    metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    replay.handler = lambda _p, _q: (301, {"Location": metadata}, b"")
    settings = replay_settings(db_url, [kind_config(kind, replay.base_url)])
    [report] = crawl(settings, db_url)
    _assert_refused(db_url, report)
    assert "169.254.169.254" in report.error or kind == "web"


@pytest.fixture
def rebinding() -> Iterator[None]:
    resolvers.reset()
    yield
    resolvers.reset()


@pytest.mark.parametrize("kind", KINDS)
def test_rebinding_resolver_is_refused(db_url: str, replay: Replay, rebinding: None, kind: str):
    """The name answers a public address when checked, 127.0.0.1 when connected: refused.

    ``dns_cache_seconds = 0`` makes every connection resolve again, so the connection's
    own answer is the one checked; the public address is never contacted.
    """
    port = replay.base_url.rsplit(":", 1)[1]
    replay.handler = lambda _p, _q: (200, {"Content-Type": "application/json"}, b"{}")
    settings = replay_settings(
        db_url,
        [kind_config(kind, f"http://rebind.test:{port}")],
        allow_private_hosts=[f"127.0.0.1:{port}"],  # only the replay server itself
        dns_resolver="tests.crawlers.resolvers:rebinding",
        dns_cache_seconds=0,
    )
    [report] = crawl(settings, db_url)
    _assert_refused(db_url, report)
    assert sum(replay.hits.values()) == 0  # nothing reached the loopback server
    if kind != "web":  # (the scrapy child keeps its own count)
        assert resolvers.calls["rebind.test"] >= 2


def test_private_hosts_must_be_listed_with_their_port():
    from veille.config import settings_from_dict
    from veille.errors import ConfigError

    base = {"institution": {"slug": "u", "name": "U"}}
    with pytest.raises(ConfigError, match="host:port"):
        settings_from_dict({**base, "allow_private_hosts": ["intranet.example"]})
    s = settings_from_dict({**base, "allow_private_hosts": ["Intranet.Example:8443", "[::1]:80"]})
    assert AddressPolicy.from_settings(s).allowed_hosts == {
        ("intranet.example", 8443),
        ("::1", 80),
    }


# ---------------------------------------------------------------------------
# Pinning: the connection goes to the address that was checked
# ---------------------------------------------------------------------------


@pytest.fixture
def two_loopbacks() -> Iterator[tuple[Replay, Replay]]:
    """The same port on 127.0.0.1 and 127.0.0.2: which one a connection reached shows."""
    with serving("127.0.0.1") as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        try:
            with serving("127.0.0.2", port) as second:
                yield first, second
        except OSError as exc:  # pragma: no cover - a system without 127.0.0.2
            pytest.skip(f"cannot bind 127.0.0.2: {exc}")


def _ok(_p: str, _q: Any) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, b'{"ok": true}'


def test_httpx_connects_to_the_checked_address(two_loopbacks, rebinding):
    first, second = two_loopbacks
    first.handler = second.handler = _ok
    port = first.base_url.rsplit(":", 1)[1]
    policy = AddressPolicy(
        allowed_hosts=frozenset({("pin.test", int(port))}),
        resolver_path="tests.crawlers.resolvers:pinning",
    )
    with PoliteClient(requests_per_second=0, policy=policy) as http:
        for path in ("/a", "/b", "/c"):
            assert http.get_json(f"http://pin.test:{port}{path}") == {"ok": True}
    # Resolved once (127.0.0.1), checked, and every connection went there; a second
    # resolution would have answered 127.0.0.2.
    assert resolvers.calls["pin.test"] == 1
    assert sum(first.hits.values()) == 3 and sum(second.hits.values()) == 0
    assert {h["Host"] for _, _, h in first.requests} == {f"pin.test:{port}"}


def test_requests_adapter_connects_to_the_checked_address(two_loopbacks, rebinding):
    first, second = two_loopbacks
    first.handler = second.handler = _ok
    port = first.base_url.rsplit(":", 1)[1]
    policy = AddressPolicy(
        allowed_hosts=frozenset({("pin.test", int(port))}),
        resolver_path="tests.crawlers.resolvers:pinning",
    )
    session = requests.Session()
    session.mount(
        "http://", PoliteAdapter(bucket=TokenBucket(0), retry=RetryPolicy(), policy=policy)
    )
    for path in ("/a", "/b"):
        assert session.get(f"http://pin.test:{port}{path}", timeout=5).json() == {"ok": True}
    assert resolvers.calls["pin.test"] == 1
    assert sum(first.hits.values()) == 2 and sum(second.hits.values()) == 0
    assert {h["Host"] for _, _, h in first.requests} == {f"pin.test:{port}"}


def test_requests_redirect_hops_are_checked(replay: Replay, other_server: Replay):
    """requests follows redirects through the adapter: each hop meets the guard."""
    replay.handler = lambda _p, _q: (302, {"Location": f"{other_server.base_url}/x"}, b"")
    host, port = replay.base_url.removeprefix("http://").split(":")
    policy = AddressPolicy(allowed_hosts=frozenset({(host, int(port))}))
    session = requests.Session()
    session.mount(
        "http://", PoliteAdapter(bucket=TokenBucket(0), retry=RetryPolicy(), policy=policy)
    )
    with pytest.raises(Refused):
        session.get(f"{replay.base_url}/start", timeout=5)
    assert replay.hits["/start"] == 1 and sum(other_server.hits.values()) == 0
