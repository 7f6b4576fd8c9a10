"""The alert page: the rule in a sentence, the posts behind it, terms, the series chart.

The alert is raised by the real detector (:func:`reports.alerts.detect`) on
mentions whose burst texts are real items of a vendored university feed
(``tests/fixtures/rss/unm-backend_univ-paris10_001.rss``, LGPL-3.0).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest
from sqlmodel import select

from reports.alerts import detect
from reports.digest import alert_url
from store.db import session_scope
from store.models import Alert
from tests.reports.conftest import add_mentions, mention
from tests.web.conftest import Browser, build_app, seed_database, web_settings
from tests.web.pipeline_data import feed_texts

NOW = datetime(2026, 11, 20, 14, 20, tzinfo=UTC)
HOUR = NOW.replace(minute=0)
LEAKS = ("[[", "{'", '": {', "volume_spike", "negative_share", "sample_mention_ids", "None")


def _burst(db_url: str, tmp_path: Path) -> int:
    settings = web_settings(db_url, tmp_path)
    steady = [
        mention(HOUR - timedelta(hours=h, minutes=m * 3), sentiment_label="neutral")
        for h in range(1, 15)
        for m in range(12)
    ]
    texts = feed_texts()
    burst = [
        mention(
            HOUR - timedelta(minutes=55 - i),
            sentiment_label="negative",
            text=texts[i % len(texts)],
            platform="twitter",
            reach=1000 + i,
        )
        for i in range(40)
    ]
    add_mentions(db_url, settings, steady + burst)
    assert detect(settings, db_url, now=NOW)
    with session_scope(db_url) as s:
        alert = s.exec(select(Alert).where(Alert.dedupe_key.startswith("spike:"))).one()  # type: ignore[attr-defined]
        assert alert is not None and alert.id is not None
        return alert.id


@pytest.fixture
def cm(sqlite_url: str, tmp_path: Path) -> tuple[Browser, int]:
    seed_database(sqlite_url)
    alert_id = _burst(sqlite_url, tmp_path)
    browser = Browser(build_app(sqlite_url, tmp_path))
    assert browser.login("cm").status_code == 303
    return browser, alert_id


def test_alert_page_explains_and_shows_its_posts(cm: tuple[Browser, int]) -> None:
    browser, alert_id = cm
    listing = browser.get("/alerts").text
    assert f'href="/alerts/{alert_id}"' in listing
    assert "d&#39;habitude" in listing and "Détails" not in listing
    html = browser.get(f"/alerts/{alert_id}").text
    assert (
        "data-rule-sentence" in html
        and "en une heure" in html
        and "contre" in html
        and "d&#39;habitude" in html
    )
    assert html.count('class="post"') == 5
    shown = [t for t in feed_texts() if escape(t[:40]) in html]
    assert len(shown) >= 3  # the posts' text itself, not ids
    assert "Voir la publication" in html and "https://social.example/" in html
    assert "audience 1" in html and "négatif" in html
    assert 'data-terms="1"' in html
    assert f'src="/alerts/{alert_id}/series.svg"' in html
    for leak in LEAKS:
        assert leak not in html, leak
    svg = browser.client.get(f"/alerts/{alert_id}/series.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<script" not in svg.content and b"Mentions" in svg.content
    assert browser.get("/alerts/999999").status_code == 404


def test_digest_links_each_alert_to_its_page(tmp_path: Path, sqlite_url: str) -> None:
    settings = web_settings(sqlite_url, tmp_path)
    assert alert_url(settings, 7) == "http://testserver/alerts/7"
