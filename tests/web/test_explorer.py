"""The mentions explorer: query language, filters, sort, pages, CSV of the view, corrections.

Texts are real items of a vendored university feed
(``tests/fixtures/rss/unm-backend_univ-paris10_001.rss``, LGPL-3.0).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from store.db import session_scope
from store.models import LabelledExample, Mention
from tests.reports.conftest import add_mentions, mention
from tests.web.conftest import Browser, build_app, seed_database, web_settings
from tests.web.pipeline_data import feed_texts

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.fixture
def cm(sqlite_url: str, tmp_path: Path) -> Browser:
    seed_database(sqlite_url)
    settings = web_settings(sqlite_url, tmp_path)
    texts = feed_texts()
    rows = [
        mention(
            T0 + timedelta(hours=i),
            text=texts[i % len(texts)],
            platform=("mastodon", "twitter")[i % 2],
            lang="fr",
            reach=10 * i,
            sentiment_label=("positive", "neutral", "negative")[i % 3],
        )
        for i in range(60)
    ]
    add_mentions(sqlite_url, settings, rows, institution="univ-exemple")
    browser = Browser(build_app(sqlite_url, tmp_path))
    assert browser.login("cm").status_code == 303
    return browser


def _count(html: str) -> int:
    return html.count('class="mention card"')


def test_query_filters_sort_and_pages(cm: Browser, sqlite_url: str) -> None:
    word = "stages"  # a word of feed items ("Bureau des stages : ...")
    with session_scope(sqlite_url) as s:
        stored = [m.text for m in s.exec(select(Mention)).all()]
    expected = sum(1 for t in stored if re.search(rf"\b{word}\b", t, re.IGNORECASE))
    assert expected >= 6
    html = cm.get(f"/mentions?q={word}").text
    n = _count(html)
    assert n == expected
    assert 'value="stages"' in html
    by_platform = [
        _count(cm.get(f"/mentions?q={word}&platform={p}").text) for p in ("mastodon", "twitter")
    ]
    assert sum(by_platform) == n
    negatives = _count(cm.get("/mentions?sentiment=negative&lang=fr").text)
    assert 18 <= negatives <= 20
    assert _count(cm.get("/mentions?start=2026-11-02&end=2026-11-02").text) in (14, 15)
    assert _count(cm.get("/mentions?institution=univ-voisine").text) == 0
    # sort by reach: the highest first
    by_reach = cm.get("/mentions?sort=reach&institution=univ-exemple").text
    assert "audience 590" in by_reach.split('class="mention card"')[1]
    # pages of 50
    first = cm.get("/mentions?institution=univ-exemple").text
    assert _count(first) == 50 and "page=2" in first and "page 1 sur 2" in first
    assert 1 <= _count(cm.get("/mentions?institution=univ-exemple&page=2").text) <= 10


def test_bad_query_is_explained_in_french(cm: Browser) -> None:
    r = cm.get('/mentions?q="unclosed')
    assert r.status_code == 400 and "Requête invalide" in r.text


def test_csv_export_of_the_current_view(cm: Browser) -> None:
    r = cm.get("/mentions.csv?sentiment=negative&sort=reach")
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert 18 <= len(rows) <= 20 and {x["sentiment"] for x in rows} == {"negative"}
    assert int(rows[0]["reach"]) >= int(rows[-1]["reach"])
    plain = cm.get("/mentions.csv?sentiment=negative&excel=no").text
    assert plain.startswith("id,published_at")


def test_correction_is_saved_and_listed_as_a_labelled_example(cm: Browser, sqlite_url) -> None:
    with session_scope(sqlite_url) as s:
        m = s.exec(select(Mention).where(Mention.sentiment_label == "negative")).first()
        assert m is not None
        mid, text = m.id, m.text
    page = cm.get("/mentions?sentiment=negative").text
    assert f'action="/mentions/{mid}/sentiment"' in page
    assert cm.post(f"/mentions/{mid}/sentiment", {"label": "positive"}).status_code == 303
    assert cm.post(f"/mentions/{mid}/team", {"team": "it"}).status_code == 303
    with session_scope(sqlite_url) as s:
        m2 = s.get(Mention, mid)
        assert m2 is not None and m2.sentiment_label == "positive" and m2.team == "it"
        examples = s.exec(select(LabelledExample).where(LabelledExample.mention_id == mid)).all()
        assert {(e.task, e.label) for e in examples} == {("sentiment", "positive"), ("team", "it")}
    listed = cm.get("/mentions/labels").text
    assert f'data-mention="{mid}"' in listed and "positif" in listed and "Informatique" in listed
    assert text[:30] in listed or text[:30].replace("'", "&#39;") in listed
    assert cm.post(f"/mentions/{mid}/team", {"team": "nope"}).status_code == 303
    assert "Équipe inconnue" in cm.get("/mentions").text


def test_to_triage_lists_unsure_routes_and_open_ones(cm: Browser, sqlite_url: str) -> None:
    """ "À trier" is what a person must route: no team yet, or a route below the threshold."""
    from store.home import untriaged_count

    with session_scope(sqlite_url) as s:
        rows = s.exec(select(Mention).order_by(Mention.id)).all()  # type: ignore[arg-type]
        for i, m in enumerate(rows):
            m.team, m.team_status = [
                ("it", "routed"),
                ("it", "triage"),
                (None, None),
                ("alumni", "corrected"),
            ][i % 4]
            s.add(m)
    assert _count(cm.get("/mentions?team=triage").text) == 30  # 15 unsure + 15 open, of 60
    assert _count(cm.get("/mentions?team=none").text) == 15
    html = cm.get("/mentions?team=triage").text
    assert "À trier" in html and 'value="triage" selected' in html
    with session_scope(sqlite_url) as s:
        assert untriaged_count(s, T0, T0 + timedelta(days=3)) == 30
