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
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import FIXTURES, REPO_ROOT
from tests.toml_text import toml_value
from veille.config import Settings, settings_from_dict

#: Fixtures vendored by this repository (new recordings; existing ones come through FIXTURES).
VENDORED = REPO_ROOT / "tests" / "fixtures"

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


@contextmanager
def serving(host: str = "127.0.0.1", port: int = 0) -> Iterator[Replay]:
    """A replay server on ``host:port`` (0: a free port) until the block ends."""
    state = Replay()
    server = ThreadingHTTPServer((host, port), _handler_for(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://{host}:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def replay() -> Iterator[Replay]:
    with serving() as state:
        yield state


@pytest.fixture
def other_server() -> Iterator[Replay]:
    """A second local server (another loopback port) that nothing may reach."""
    with serving() as state:
        yield state


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


def hosts_of(sources: list[dict[str, Any]]) -> list[str]:
    """``host:port`` of every URL the sources name: exactly what the replay tests allow."""
    out: set[str] = set()
    for src in sources:
        for url in [src.get("base_url", ""), *src.get("targets", [])]:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.hostname:
                out.add(
                    f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
                )
    return sorted(out)


def replay_settings(db_url: str, sources: list[dict[str, Any]], **extra: Any) -> Settings:
    """Replay configuration: only the replay server's ``host:port`` may be private."""
    data: dict[str, Any] = {
        "institution": {
            "slug": "univ-exemple",
            "name": "Université Exemple",
            "aliases": ["UnivEx"],
            "handles": {"twitter": ["Twitter"]},
            "query": TEST_QUERY,
        },
        "peers": [{"slug": "univ-voisine", "name": "Université Voisine", "query": "sorbonne"}],
        "sources": sources,
        **extra,
    }
    if "allow_private_addresses" not in extra and "allow_private_hosts" not in extra:
        data["allow_private_hosts"] = hosts_of(sources)
    s = settings_from_dict(data)
    s.database_url = db_url
    return s


def write_replay_toml(path: Path, sources: list[dict[str, Any]], *, peers: bool = False) -> Path:
    """The replay configuration of ``sources`` as a veille.toml, for the CLI in a subprocess
    (TOML written by hand: no writer installed); ``peers`` writes the peer institutions too."""
    data = replay_settings("", sources).model_dump(
        mode="json", include={"institution", "peers", "sources"}
    )
    lines = ["allow_private_addresses = true", "[institution]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in data["institution"].items()]
    for table in ("peers", "sources") if peers else ("sources",):
        for item in data[table]:
            lines.append(f"[[{table}]]")
            lines += [f"{k} = {toml_value(v)}" for k, v in item.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


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


# ---------------------------------------------------------------------------
# Mastodon: the recorded statuses served as real paginated timelines
# ---------------------------------------------------------------------------


def recorded_statuses() -> list[dict[str, Any]]:
    """365 real recorded statuses (tests/fixtures/mastodon/SOURCES.md), newest first."""
    doc = json.loads((VENDORED / "mastodon" / "recorded_statuses.json").read_text("utf-8"))
    return [entry["status"] for entry in doc["statuses"]]


def _id(value: Any) -> tuple[int, str]:
    return (len(str(value)), str(value))


def mastodon_page(
    statuses: list[Any], query: dict[str, list[str]], base: str, path: str
) -> tuple[list[Any], dict[str, str]]:
    """One page the way Mastodon cuts it: ``limit``, ``max_id``, ``min_id``, ``since_id``.

    ``statuses`` are newest first; ``Link`` carries ``rel="next"`` (``max_id``) and
    ``rel="prev"`` (``min_id``) for a non-empty page, nothing for an empty one. Items
    that are not objects (an injected ``null``) stay where they are in the page.
    """
    limit = int(query.get("limit", ["20"])[0])
    max_id, min_id = query.get("max_id", [None])[0], query.get("since_id", [None])[0]
    above = query.get("min_id", [None])[0]

    def sid(s: Any) -> Any:
        return s.get("id") if isinstance(s, dict) else None

    pool = [(i, s) for i, s in enumerate(statuses)]
    keyed = [(i, s) for i, s in pool if sid(s) is not None]
    if max_id is not None:
        keyed = [(i, s) for i, s in keyed if _id(sid(s)) < _id(max_id)]
    if min_id is not None:
        keyed = [(i, s) for i, s in keyed if _id(sid(s)) > _id(min_id)]
    if above is not None:
        keyed = [(i, s) for i, s in keyed if _id(sid(s)) > _id(above)][-limit:]
    offset = int(query.get("offset", ["0"])[0])  # search pages by offset
    chosen = keyed[offset : offset + limit]
    if not chosen:
        return [], {}
    first, last = chosen[0][0], chosen[-1][0]
    picked = {i for i, _ in chosen}
    page = [s for i, s in pool if first <= i <= last and (sid(s) is None or i in picked)]
    url = f"{base}{path}?limit={limit}"
    link = (
        f'<{url}&max_id={sid(chosen[-1][1])}>; rel="next", '
        f'<{url}&min_id={sid(chosen[0][1])}>; rel="prev"'
    )
    return page, {"Link": link}


def mastodon_handler(
    timelines: dict[str, list[Any]], search: list[Any] | None = None, base: str = ""
) -> Callable[[str, dict[str, list[str]]], Answer | None]:
    """Serve ``/api/v1/timelines/tag/<tag>`` pages and ``/api/v2/search`` from statuses."""

    def handler(path: str, query: dict[str, list[str]]) -> Answer | None:
        ctype = {"Content-Type": "application/json"}
        if path.startswith("/api/v1/timelines/tag/"):
            tag = path.rsplit("/", 1)[-1]
            if tag not in timelines:
                return 200, ctype, b"[]"
            page, headers = mastodon_page(timelines[tag], query, base, path)
            return 200, {**ctype, **headers}, json.dumps(page).encode()
        if path == "/api/v2/search" and search is not None:
            page, _ = mastodon_page(search, query, base, path)
            body = {"accounts": [], "statuses": page, "hashtags": []}
            return 200, ctype, json.dumps(body).encode()
        return None

    return handler
