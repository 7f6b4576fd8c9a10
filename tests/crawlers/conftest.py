"""Replay servers for crawler tests.

A threaded ``http.server`` on 127.0.0.1 (port 0) serves the real recorded
responses of ``tests/fixtures`` at the URL paths of the real APIs, the
way the lead's ``veille demo`` does: the same body for every page of a path
(so sources must stop paginating on their own). Faults are injected per path
as a queue of (status, headers, body) answered before the normal body.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import FIXTURES
from veille.config import Settings, settings_from_dict

Answer = tuple[int, dict[str, str], bytes]


def fixture_body(rel: str) -> bytes:
    """The recorded body of a fixture file (JSON envelope or raw file)."""
    path = FIXTURES / rel
    data = path.read_bytes()
    if path.suffix == ".json" and "bodies/" in rel:
        envelope = json.loads(data)
        if isinstance(envelope, dict) and {"request", "body"} <= set(envelope):
            return json.dumps(envelope["body"]).encode()
    return data


@dataclass
class Route:
    body: bytes
    content_type: str = "application/json"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Replay:
    routes: dict[str, Route] = field(default_factory=dict)
    faults: dict[str, list[Answer]] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = field(default_factory=list)
    delay: float = 0.0
    handler: Callable[[str, dict[str, list[str]]], Answer | None] | None = None
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, body: bytes, content_type: str = "application/json") -> None:
        self.routes[path] = Route(body, content_type)

    def fault(self, path: str, *answers: Answer) -> None:
        self.faults.setdefault(path, []).extend(answers)

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        with self.lock:
            self.hits[path] += 1
            queue = self.faults.get(path)
            if queue:
                return queue.pop(0)
        if self.handler is not None:
            custom = self.handler(path, query)
            if custom is not None:
                return custom
        route = self.routes.get(path)
        if route is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        return route.status, {"Content-Type": route.content_type, **route.headers}, route.body


def _handler_for(replay: Replay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without NODELAY, Nagle + delayed
            # ACK add ~40 ms to every keep-alive response.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            with replay.lock:
                replay.requests.append((parts.path, query, dict(self.headers.items())))
            if replay.delay:
                time.sleep(replay.delay)
            status, headers, body = replay.answer(parts.path, query)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def replay() -> Iterator[Replay]:
    state = Replay()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------
# The recorded APIs at their real paths
# ---------------------------------------------------------------------------

TWITTER = {
    "/2/tweets/search/recent": "twitter/v2_bodies/test_client_search_recent_tweets__0.json",
    "/2/users/by/username/Twitter": "twitter/v2_bodies/test_client_get_user__0.json",
    "/2/users/783214/mentions": "twitter/v2_bodies/test_client_get_users_mentions__0.json",
}
MASTODON = {
    "/api/v2/search": "mastodon/bodies/test_entity_searchv2__2.json",
    "/api/v1/timelines/tag/hoot": "mastodon/bodies/test_hashtag_tl__2.json",
}
BLUESKY = {"/xrpc/app.bsky.feed.searchPosts": "bluesky/bodies/f_search__0.json"}
REDDIT = {"/search.json": "reddit/bodies/TestSubreddit.test_search__1.json"}
FEEDS = [
    "unm-backend_univ-paris3_001.rss",
    "unm-backend_univ-paris10_001.rss",
    "unm-backend_epi-univ-paris1_001.rss",
    "rss-parser_feed-test-source.xml",
    "rss-parser_feed-dcdate.xml",
    "rss-parser_atom-feed-reddit.xml",
    "trafilatura_npr_technology_feed.json",
    "rss-parser_feed-test-malformed.xml",
]


def serve_all(replay: Replay) -> None:
    for table in (TWITTER, MASTODON, BLUESKY, REDDIT):
        for path, rel in table.items():
            replay.add(path, fixture_body(rel))
    for name in FEEDS:
        ctype = "application/json" if name.endswith(".json") else "application/xml"
        replay.add(f"/feeds/{name}", fixture_body(f"rss/{name}"), ctype)


#: The institution query the replay tests use: it names what the recordings talk about.
TEST_QUERY = (
    '"Université Exemple" OR tweepy OR redistricting OR praw OR hoot OR halcy '
    "OR (universite NOT recrutement) OR sorbonne OR minecraft OR technology OR kotlin"
)


def source_configs(base: str, **options: Any) -> list[dict[str, Any]]:
    """One source of each API kind, pointed at the replay server (the TOML in the docs)."""
    fast = {"backoff_base": 0.01, "max_rate_limit_wait": 5, **options}
    return [
        {
            "name": "x",
            "kind": "twitter",
            "base_url": base,
            "requests_per_second": 50,
            "options": fast,
        },
        {
            "name": "mastodon",
            "kind": "mastodon",
            "base_url": base,
            "targets": ["hoot"],
            "requests_per_second": 50,
            "options": fast,
        },
        {
            "name": "bluesky",
            "kind": "bluesky",
            "base_url": base,
            "query": "redistricting",
            "requests_per_second": 50,
            "options": fast,
        },
        {
            "name": "reddit",
            "kind": "reddit",
            "base_url": base,
            "requests_per_second": 50,
            "options": fast,
        },
        {
            "name": "news",
            "kind": "rss",
            "targets": [f"{base}/feeds/{n}" for n in FEEDS],
            "requests_per_second": 50,
            "options": fast,
        },
    ]


def replay_settings(db_url: str, sources: list[dict[str, Any]], **extra: Any) -> Settings:
    data: dict[str, Any] = {
        "institution": {
            "slug": "univ-exemple",
            "name": "Université Exemple",
            "aliases": ["UnivEx"],
            "handles": {"twitter": ["Twitter"]},
            "query": TEST_QUERY,
        },
        "peers": [{"slug": "univ-voisine", "name": "Université Voisine", "query": "sorbonne"}],
        "allow_private_addresses": True,
        "sources": sources,
        **extra,
    }
    s = settings_from_dict(data)
    s.database_url = db_url
    return s


@pytest.fixture(autouse=True)
def _crawler_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Secrets come from the environment: a dummy bearer token and a fixed pseudonym key."""
    monkeypatch.setenv("VEILLE_TWITTER_BEARER_TOKEN", "replay-token")
    monkeypatch.setenv("VEILLE_PSEUDONYM_KEY", "test-pseudonym-key")


def site_handler(n_pages: int, *, fanout: int = 5, sleep: float = 0.0):
    """A synthetic site (clearly fake French articles): /, /p/<i>, robots.txt forbidding /private/.

    Every page links to a few others and to /private/secret; pages whose number is even
    name the institution, odd ones do not.
    """

    def page(i: int) -> bytes:
        links = "".join(
            f'<li><a href="/p/{(i * fanout + k) % n_pages}">page {k}</a></li>'
            for k in range(1, fanout + 1)
        )
        subject = "l'Université Exemple" if i % 2 == 0 else "la météo de la semaine"
        return (
            f"<html lang='fr'><head><title>Article {i}</title></head><body>"
            f"<article><h1>Article {i}</h1><p>Article synthétique numéro {i} sur {subject}. "
            "Ce texte est inventé pour les tests de veille et ne décrit rien de réel. "
            f"Il est assez long pour qu'un extracteur le garde comme texte principal {i}.</p>"
            f"</article><ul>{links}<li><a href='/private/secret'>x</a></li></ul></body></html>"
        ).encode()

    def handler(path: str, _query: dict[str, list[str]]) -> Answer | None:
        if sleep:
            time.sleep(sleep)
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
        if path == "/":
            return 200, html, page(0)
        if path.startswith("/p/"):
            try:
                i = int(path[3:])
            except ValueError:
                return None
            if 0 <= i < n_pages:
                return 200, html, page(i)
        if path.startswith("/private/"):
            return 200, html, b"<html><body>secret</body></html>"
        return None

    return handler
