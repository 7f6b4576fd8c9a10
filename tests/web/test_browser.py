"""Headless Chromium against a live server: the acceptance path of the review UI.

An alumni officer signs in, accepts a suggestion, sees the record and the
audit entry, undoes it; a community manager gets 403 on alumni pages;
hostile text never runs (no dialog opens on any page); the API docs load
with no request leaving the server. A screenshot of the inbox is kept in
``test-artifacts/``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.conftest import REPO_ROOT
from tests.web.conftest import PASSWORD, SECRET, Seed, build_app, seed_database
from web.links import make_token

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = REPO_ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture
def live(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, Seed]]:
    seed = seed_database(sqlite_url)
    app = build_app(sqlite_url, tmp_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}", seed
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_review_accept_undo_roles_and_xss(live, chromium) -> None:
    base, seed = live
    dialogs: list[str] = []
    outside: list[str] = []

    context = chromium.new_context()
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)

    _login(page, base, "officer")
    assert page.url.endswith("/review")
    card = page.locator(f'article[data-suggestion="{seed.high}"]')
    assert "New Corp" in card.inner_text() and "Old Corp" in card.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-inbox.png"), full_page=True)

    with page.expect_navigation():
        card.locator('form[data-action="accept"] button').click()
    assert "Suggestion acceptée" in page.inner_text("main")

    page.goto(f"{base}/alumni/{seed.alumnus}")
    assert page.inner_text('#record dd[data-field="employer"]') == "New Corp"
    entry = page.locator('#history tr[data-action="accept"]')
    assert "officer" in entry.inner_text() and "Old Corp" in entry.inner_text()
    with page.expect_navigation():
        entry.locator("button").click()
    assert page.inner_text('#record dd[data-field="employer"]') == "Old Corp"
    assert page.locator('#history tr[data-action="undo"]').count() == 1

    # keyboard: focus the first card and reject it with "r"
    page.goto(f"{base}/review?band=medium")
    page.locator("article.sugg").first.focus()
    with page.expect_navigation():
        page.keyboard.press("r")
    assert "Suggestion rejetée" in page.inner_text("main")

    # every page showing hostile text stays inert
    for url in ("/review", "/alumni", f"/alumni/{seed.xss_alumnus}", "/review/bulk?band=high"):
        page.goto(base + url)
        page.wait_for_load_state("networkidle")

    # the API docs work offline
    page.goto(f"{base}/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    context.close()

    # the alumnus self-confirmation page with hostile values
    anon = chromium.new_context()
    p2 = anon.new_page()
    p2.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    p2.goto(f"{base}/confirm/{make_token(SECRET, seed.xss_suggestion)}")
    assert "<script>alert(1)</script>" in p2.inner_text("#proposed")
    anon.close()

    # a community manager: 403 on alumni pages, hostile alerts and mentions inert
    cm_context = chromium.new_context()
    cm = cm_context.new_page()
    cm.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _login(cm, base, "cm")
    for url in ("/review", "/alumni", f"/alumni/{seed.alumnus}"):
        response = cm.goto(base + url)
        assert response is not None and response.status == 403, url
    for url in ("/alerts", "/mentions"):
        response = cm.goto(base + url)
        assert response is not None and response.status == 200
        cm.wait_for_load_state("networkidle")
    assert "<script>alert(1)</script>" in cm.inner_text("main")
    cm_context.close()

    assert dialogs == []
    assert outside == []
