"""Health that means what it says, in `veille sources status`, /health and the admin page.

The data comes from real crawls of replayed recordings (a healthy feed, a dead one, a
page with a ``null`` post), not from rows written by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crawlers.runner import crawl, source_status
from store import crawl_state
from store.db import session_scope
from tests.crawlers.conftest import (
    BLUESKY,
    Replay,
    fixture_body,
    replay_settings,
)
from tests.web.conftest import SECRET, Browser, seed_database
from veille.cli import app as cli
from veille.cli._common import console, state
from veille.config import load_settings
from veille.i18n import set_locale
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

    # Anyone sees only {"status"}; the details are for an admin.
    assert set(TestClient(app).get("/health").json()) == {"status"}
    admin = Browser(app)
    assert admin.login("admin").status_code == 303
    body = admin.get("/health").json()
    sources = {s["name"]: s for s in body["sources"]}
    assert sources["actualites"]["status"] == "degraded"
    assert body["sources_degraded"] == ["actualites"] and body["sources_failing"] == []
    [failing] = sources["actualites"]["failing_targets"]
    assert failing["target"].endswith("/feeds/gone.xml") and failing["status"] == "down"
    assert sources["bluesky"]["status"] == "ok" and sources["bluesky"]["rejected_items"] == 1

    page = admin.get("/sources")
    assert page.status_code == 200
    html = page.text
    assert "Dégradée" in html and "1 cible en échec sur 2" in html
    assert "gone.xml" in html and "Élément vide (null)" in html
    assert "En service" in html and "Flux RSS / Atom" in html
    assert "degraded" not in html and "null_item" not in html  # no internal codes shown
    # The failing target's reason is the catalogue's sentence; the crawler's English
    # is only the technical detail, folded away.
    gone = f"{replay.base_url}/feeds/gone.xml: HTTP 404"
    assert "La page ou le compte n&#39;existe plus (HTTP 404)." in html
    assert f"<summary>Détail technique</summary><small>{gone}</small></details>" in html
    assert gone not in re.sub(r"<details>.*?</details>", "", html, flags=re.S)
    assert "Technical detail" not in html
    # An error no pattern knows says so in French, the raw text still in the detail.
    with session_scope(db_url) as session:
        source_id = crawl_state.ensure_source(session, settings.source("actualites"))
        row = crawl_state.get_target(session, source_id, f"{replay.base_url}/feeds/gone.xml")
        row.last_error = "RuntimeError: something nobody wrote yet"
        crawl_state.touch(session, row)
    html = admin.get("/sources").text
    assert "Erreur non reconnue ; voir le détail technique." in html
    assert "<small>RuntimeError: something nobody wrote yet</small></details>" in html
    cm = Browser(app)
    cm.login("cm")
    assert cm.get("/sources").status_code == 403


def test_sources_status_cli(db_url: str, replay: Replay, tmp_path: Path, monkeypatch) -> None:
    """The admin's terminal says what the admin page says, in the interface's language."""
    _crawled(db_url, replay)
    toml = (
        f"allow_private_addresses = true\n"
        '[institution]\nslug = "univ-exemple"\nname = "Université Exemple"\n'
        '[[sources]]\nname = "actualites"\nkind = "rss"\n'
        f'targets = ["{replay.base_url}/feeds/{FEED}", "{replay.base_url}/feeds/gone.xml"]\n'
        '[[sources]]\nname = "bluesky"\nkind = "bluesky"\n'
    )
    french = tmp_path / "veille.toml"
    french.write_text(toml, encoding="utf-8")
    english = tmp_path / "veille-en.toml"
    english.write_text('locale = "en"\n' + toml, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", db_url)
    # the CLI's console reads COLUMNS once, when first built: set its width itself, so that
    # the table does not wrap whatever ran before in this process
    monkeypatch.setattr(console, "width", 200)

    def status(config: Path) -> str:
        state._settings = None
        try:
            result = CliRunner().invoke(cli, ["-c", str(config), "sources", "status"])
        finally:
            state._settings = None
            set_locale("fr")
        assert result.exit_code == 0, result.output
        return result.output

    out = status(french)
    assert "Sources (" in out and "mentions enregistrées)" in out
    for header in ("Dernier succès", "Éléments lus", "En quarantaine", "Échecs consécutifs"):
        assert header in out
    assert "Dégradée · 1 cible en échec sur 2" in out and "En service" in out
    assert "Flux RSS / Atom" in out and "Bluesky" in out
    assert "Cibles en échec" in out and "gone.xml" in out and "Depuis" in out
    assert "La page ou le compte n'existe plus (HTTP 404)." in out  # the admin page's words
    assert ": HTTP 404" not in out  # not the crawler's raw English
    assert "Éléments en quarantaine (les plus récents)" in out and "Élément vide (null)" in out
    assert "allow_private_addresses = true est obsolète" in out
    # no internal key, no English heading: statuses, kinds and reasons are labels
    for raw in ("degraded", "null_item", "failing", "quarantined", "last success"):
        assert raw not in out.lower(), raw
    cells = {cell.strip() for line in out.splitlines() for cell in line.split("│")}
    assert not cells & {"ok", "rss", "down", "degraded"}, cells  # "bluesky" is the source's name

    out = status(english)  # the same setting as the web UI's
    assert "Degraded · 1 target failing out of 2" in out and "RSS / Atom feeds" in out
    assert "Failing targets" in out and "Consecutive failures" in out
    assert "Quarantined items (most recent)" in out and "Empty item (null)" in out
    assert "Dégradée" not in out and "Cibles en échec" not in out


def test_the_shipped_example_follows_hashtags_its_query_matches() -> None:
    """Posts of a followed hashtag are kept anyway; search-based sources need the query."""
    settings = load_settings(Path(__file__).parents[2] / "veille" / "veille.example.toml")
    query = parse(settings.institution.effective_query())
    tags = [t for s in settings.sources if s.kind in ("mastodon", "bluesky") for t in s.targets]
    assert tags
    for tag in tags:
        assert query.matches_document(Document.of(f"#{tag.lstrip('#')}")), tag


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium missing")
def test_sources_page_in_a_browser_keeps_hostile_items_inert(
    sqlite_url: str, replay: Replay, tmp_path: Path
) -> None:
    """A quarantined item carrying a script is shown as text; nothing runs."""
    import socket
    import threading
    import time

    import uvicorn
    from playwright.sync_api import sync_playwright

    from tests.crawlers.conftest import mastodon_handler, recorded_statuses
    from tests.web.conftest import PASSWORD
    from tests.web.test_browser import ARGS, ARTIFACTS

    statuses: list[object] = recorded_statuses()[:10]
    statuses.insert(3, {"error": "<script>alert('quarantaine')</script>"})
    replay.handler = mastodon_handler({"univexemple": statuses}, base=replay.base_url)
    source = {
        "name": "mastodon",
        "kind": "mastodon",
        "base_url": replay.base_url,
        "targets": ["univexemple", "http://127.0.0.1:9#univexemple"],
        "options": {"search": False, "backfill_days": 0, "max_retries": 0},
    }
    settings = replay_settings(sqlite_url, [source])
    crawl(settings, sqlite_url)
    seed_database(sqlite_url)
    settings.output_dir = str(tmp_path)
    settings.web.secure_cookies = False
    app = create_app(settings, WebConfig(secret_key=SECRET, pseudonym_key=b"k" * 32))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    dialogs: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{base}/login")
            page.fill("#username", "admin")
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            page.goto(f"{base}/sources")
            page.wait_for_load_state("networkidle")
            main = page.inner_text("main")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "sources.png"), full_page=True)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert dialogs == []
    assert "Dégradée" in main and "1 cible en échec sur 2" in main
    assert "<script>alert('quarantaine')</script>" in main  # shown as text
    assert "Élément illisible" in main
    assert "#univexemple (127.0.0.1:9)" in main  # targets as people say them
    # The dead instance's reason reads in French; the raw error stays folded in its detail.
    assert "Le site est injoignable." in main and "Détail technique" in main
    assert "Connection refused" not in main and "attempts" not in main
