"""Health that means what it says, in `veille sources status`, /health and the admin page.

The data comes from real crawls of replayed recordings (a healthy feed, a dead one, a
page with a ``null`` post), not from rows written by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crawlers.runner import crawl, source_status
from tests.crawlers.conftest import (
    BLUESKY,
    Replay,
    fixture_body,
    replay_settings,
)
from tests.web.conftest import SECRET, Browser, seed_database
from veille.cli import app as cli
from veille.cli._common import state
from veille.config import load_settings
from veille.query import Document, parse
from web.app import WebConfig, create_app

FEED = "unm-backend_univ-paris3_001.rss"


def _crawled(db_url: str, replay: Replay):
    replay.add(f"/feeds/{FEED}", fixture_body(f"rss/{FEED}"), "application/rss+xml")
    body = json.loads(fixture_body(BLUESKY["/xrpc/app.bsky.feed.searchPosts"]))
    body["posts"].insert(2, None)
    replay.add("/xrpc/app.bsky.feed.searchPosts", json.dumps(body).encode())
    sources = [
        {
            "name": "actualites",
            "kind": "rss",
            "targets": [f"{replay.base_url}/feeds/{FEED}", f"{replay.base_url}/feeds/gone.xml"],
            "requests_per_second": 0,
            "options": {"own_channel": True, "max_retries": 0},
        },
        {
            "name": "bluesky",
            "kind": "bluesky",
            "base_url": replay.base_url,
            "query": "redistricting",
            "requests_per_second": 0,
            "options": {"max_pages": 1},
        },
    ]
    settings = replay_settings(db_url, sources)
    reports = {r.name: r for r in crawl(settings, db_url)}
    assert reports["actualites"].status == "degraded" and reports["bluesky"].status == "ok"
    return settings


def test_source_status_from_its_targets() -> None:
    assert source_status([]) == "ok"
    assert source_status(["ok", "ok"]) == "ok"
    assert source_status(["ok", "down"]) == "degraded"
    assert source_status(["degraded"]) == "degraded"
    assert source_status(["rate_limited", "rate_limited"]) == "rate_limited"
    assert source_status(["blocked", "blocked"]) == "blocked"
    assert source_status(["blocked", "rate_limited"]) == "blocked"
    assert source_status(["blocked", "down"]) == "down"


def test_health_endpoint_and_admin_page(db_url: str, replay: Replay, tmp_path: Path) -> None:
    settings = _crawled(db_url, replay)
    seed_database(db_url)
    settings.output_dir = str(tmp_path)
    settings.web.secure_cookies = False
    settings.web.base_url = "http://testserver"
    app = create_app(settings, WebConfig(secret_key=SECRET, pseudonym_key=b"k" * 32))

    body = TestClient(app).get("/health").json()
    sources = {s["name"]: s for s in body["sources"]}
    assert sources["actualites"]["status"] == "degraded"
    assert body["sources_degraded"] == ["actualites"] and body["sources_failing"] == []
    [failing] = sources["actualites"]["failing_targets"]
    assert failing["target"].endswith("/feeds/gone.xml") and failing["status"] == "down"
    assert sources["bluesky"]["status"] == "ok" and sources["bluesky"]["rejected_items"] == 1

    admin = Browser(app)
    assert admin.login("admin").status_code == 303
    page = admin.get("/sources")
    assert page.status_code == 200
    html = page.text
    assert "Dégradée" in html and "1 cible en échec sur 2" in html
    assert "gone.xml" in html and "Élément vide (null)" in html
    assert "En service" in html and "Flux RSS / Atom" in html
    assert "degraded" not in html and "null_item" not in html  # no internal codes shown
    cm = Browser(app)
    cm.login("cm")
    assert cm.get("/sources").status_code == 403


def test_sources_status_cli(db_url: str, replay: Replay, tmp_path: Path, monkeypatch) -> None:
    _crawled(db_url, replay)
    config = tmp_path / "veille.toml"
    config.write_text(
        f"allow_private_addresses = true\n"
        '[institution]\nslug = "univ-exemple"\nname = "Université Exemple"\n'
        '[[sources]]\nname = "actualites"\nkind = "rss"\n'
        f'targets = ["{replay.base_url}/feeds/{FEED}", "{replay.base_url}/feeds/gone.xml"]\n'
        '[[sources]]\nname = "bluesky"\nkind = "bluesky"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    state._settings = None
    result = CliRunner().invoke(cli, ["-c", str(config), "sources", "status"])
    state._settings = None
    assert result.exit_code == 0, result.output
    out = result.output
    assert "degraded (1/2 targets failing)" in out
    assert "failing targets" in out and "gone.xml" in out and "HTTP 404" in out
    assert "quarantined items" in out and "empty item (null)" in out
    assert "allow_private_addresses = true is deprecated" in out


def test_the_shipped_example_follows_hashtags_its_query_matches() -> None:
    """Posts of a followed hashtag are kept anyway; search-based sources need the query."""
    settings = load_settings(Path(__file__).parents[2] / "veille" / "veille.example.toml")
    query = parse(settings.institution.effective_query())
    tags = [t for s in settings.sources if s.kind in ("mastodon", "bluesky") for t in s.targets]
    assert tags
    for tag in tags:
        assert query.matches_document(Document.of(f"#{tag.lstrip('#')}")), tag
