"""Every role walks its pages in headless Chromium, on data the real pipeline produced.

Data: suggestions from the real matching and suggestion stages (splink's
fake_1000 people), mentions from a real university feed, the alert the
real detector raises on them, a week archived by the real weekly stage.
Each page must read as French for people: no Python or JSON dump
(``[[``, ``{'``, ``": {``) and no internal key in the visible text. One
screenshot per page and role is kept (1280x900, and 390x844 for the community
manager's and the officer's first pages): in a temporary folder, or in
``docs/img/`` with ``VEILLE_UPDATE_SCREENSHOTS=1``, to refresh the docs' pictures
(a plain test run never rewrites tracked files).
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import select

from store.db import session_scope
from store.models import Alert, Mention, User
from tests.conftest import REPO_ROOT, make_settings
from tests.web.conftest import PASSWORD, SECRET, _password_hash
from tests.web.pipeline_data import listening_data, run_pipeline
from tests.web.test_browser import ARGS, CHROMIUM
from web.app import WebConfig, create_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]
IMG = (
    REPO_ROOT / "docs" / "img"
    if os.environ.get("VEILLE_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "veille-walk-screenshots"
)
DUMPS = ("[[", "{'", '": {')
#: Internal keys that must never reach a French reader's eyes (visible text).
KEYS = re.compile(
    r"\b(negative|neutral|pending|accepted|rejected|snoozed|superseded|reverted|acknowledged|"
    r"volume_spike|negative_share|crisis_keywords|high_reach_negative|critical|warning|"
    r"first_name|last_name|birth_date|job_title|linkedin_url|graduation_year|"
    r"same_local_part|jw>=[\d.]+|token_set>=\d+|never_run|student_services|"
    r"sample_mention_ids|threshold_sigma|top_terms|Not Found)\b"
)
#: An identifier in snake_case, and the addresses (URLs, e-mails) where one may stand.
SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
ADDRESSES = re.compile(r"https?://\S+|\S+@\S+")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    from store.db import dispose_engines, upgrade

    work = tmp_path_factory.mktemp("walk")
    url = f"sqlite:///{work / 'veille.db'}"
    upgrade(url)
    settings = make_settings(
        output_dir=str(work),
        web={"secure_cookies": False, "base_url": "http://testserver"},
        teams={"communications": {}, "it": {}, "student_services": {}},
    )
    settings.database_url = url
    run_pipeline(settings, url, work)
    facts = listening_data(settings, url, work)
    with session_scope(url) as s:
        for username, role in (
            ("admin", "admin"),
            ("officer", "alumni_officer"),
            ("cm", "community_manager"),
            ("comms", "communications"),
        ):
            s.add(User(username=username, password_hash=_password_hash(), role=role))
        alert = s.exec(select(Alert).where(Alert.dedupe_key.startswith("spike:"))).first()  # type: ignore[attr-defined]
        assert alert is not None
        facts["alert"] = alert.id
        negative = s.exec(select(Mention).where(Mention.sentiment_label == "negative")).first()
        assert negative is not None
        facts["mention"] = negative.id
    app = create_app(settings, WebConfig(secret_key=SECRET, pseudonym_key=b"k" * 32))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield {"base": f"http://127.0.0.1:{sock.getsockname()[1]}", "db": url, **facts}
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        dispose_engines()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


def _session(chromium, base: str, username: str, *, mobile: bool = False):
    size = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
    context = chromium.new_context(viewport=size, locale="fr-FR")
    page = context.new_page()
    page.on("dialog", lambda d: pytest.fail(f"a dialog opened: {d.message}"))
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return context, page


def _check(page, name: str, *, status: int = 200) -> str:
    """Assert the page reads as French for people; keep its screenshot."""
    html = page.content()
    # what a reader unfolds counts too (evidence, provenance)
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    text = page.inner_text("body")
    for dump in DUMPS:
        assert dump not in html, f"{name}: {dump!r} on the page"
    leak = KEYS.search(text)
    assert leak is None, f"{name}: internal key {leak.group(0)!r} shown"
    # any snake_case identifier (a provenance method, a counter) outside addresses
    leak = SNAKE_CASE.search(ADDRESSES.sub(" ", text))
    assert leak is None, f"{name}: identifier {leak.group(0)!r} shown"
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / f"{name}.png"))
    return text


def _visit(page, base: str, path: str, name: str, status: int = 200) -> str:
    response = page.goto(f"{base}{path}")
    assert response is not None and response.status == status, (path, response and response.status)
    return _check(page, name, status=status)


def test_alumni_officer(site, chromium) -> None:
    base = str(site["base"])
    context, page = _session(chromium, base, "officer")
    text = _visit(page, base, "/review", "officer-review")
    assert page.locator("[data-evidence-row]").count() >= 20
    assert "Pourquoi nous pensons que c'est cette personne" in text
    assert page.locator("[data-name-only]").count() >= 1  # the homonym warning
    assert page.locator("[data-profile-link]").count() >= 1
    _visit(page, base, "/review?band=high", "officer-review-high")
    assert page.locator("[data-name-only]").count() == 0
    _visit(page, base, "/alumni", "officer-alumni")
    page.goto(f"{base}/alerts")
    _check(page, "officer-forbidden")
    assert "Accès refusé" in page.inner_text("main")
    context.close()
    context, page = _session(chromium, base, "officer", mobile=True)
    _visit(page, base, "/review", "officer-review-mobile")
    context.close()


def test_community_manager(site, chromium) -> None:
    base, alert = str(site["base"]), site["alert"]
    context, page = _session(chromium, base, "cm")
    assert page.url.endswith("/home")
    text = _check(page, "cm-home")
    assert "face à l'habitude" in text and "Alertes ouvertes" in text and "À trier" in text
    assert page.locator("[data-today] tbody tr").count() >= 2  # ours and a peer
    text = _visit(page, base, "/alerts", "cm-alerts")
    assert "d'habitude" in text
    text = _visit(page, base, f"/alerts/{alert}", "cm-alert")
    assert page.locator("li.post").count() == 5 and "Voir la publication" in text
    assert page.locator("[data-terms] li").count() >= 1
    text = _visit(page, base, "/mentions?q=stages%20OR%20convention", "cm-mentions-search")
    assert page.locator("article.mention").count() >= 1
    assert "stage" in text.lower()
    # a correction, then listed as a labelled example
    mid = site["mention"]
    page.goto(f"{base}/mentions?sentiment=negative")
    form = page.locator(f'form[action="/mentions/{mid}/sentiment"]')
    if form.count() == 0:  # not on the first page: open it by its sort position
        page.goto(f"{base}/mentions?sentiment=negative&sort=reach")
        form = page.locator(f'form[action="/mentions/{mid}/sentiment"]')
    form.locator("select").select_option("positive")
    with page.expect_navigation():
        form.locator("button").click()
    _check(page, "cm-mentions-corrected")
    assert "exemple annoté" in page.inner_text("main")
    text = _visit(page, base, "/mentions/labels", "cm-labels")
    assert page.locator(f'tr[data-mention="{mid}"]').count() == 1 and "positif" in text
    _visit(page, base, "/no/such/page", "cm-not-found", status=404)
    context.close()
    context, page = _session(chromium, base, "cm", mobile=True)
    _check(page, "cm-home-mobile")
    context.close()


def test_communications(site, chromium) -> None:
    base, week = str(site["base"]), str(site["week"])
    context, page = _session(chromium, base, "comms")
    text = _check(page, "comms-home")
    assert "Part de voix" in text
    _visit(page, base, "/home?days=7", "comms-home-7d")
    text = _visit(page, base, "/reports", "comms-reports")
    assert "Rapports hebdomadaires" in text
    page.click(f'a[data-week="{week}"]')
    page.wait_for_load_state()
    assert "Veille hebdomadaire" in page.inner_text("body")
    _check(page, "comms-weekly")
    _visit(page, base, "/mentions", "comms-mentions")
    context.close()


def test_admin(site, chromium) -> None:
    base = str(site["base"])
    context, page = _session(chromium, base, "admin")
    for path, name in (
        ("/jobs", "admin-jobs"),
        ("/sources", "admin-sources"),
        ("/admin/security", "admin-security"),
        ("/account", "admin-account"),
        (f"/alerts/{site['alert']}", "admin-alert"),
    ):
        _visit(page, base, path, name)
    page.goto(f"{base}/jobs")
    assert "jamais lancée" in page.inner_text("main")
    context.close()
