"""Every source against replayed real responses: stores mentions, re-run stores nothing."""

from __future__ import annotations

import pytest

from crawlers.runner import crawl
from store.db import session_scope
from store.mentions import count_mentions, mention_institution_slugs, mention_keys
from tests.crawlers.conftest import Replay, replay_settings, serve_all, source_configs

KINDS = ["x", "mastodon", "bluesky", "reddit", "news"]


@pytest.mark.parametrize("name", KINDS)
def test_each_source_stores_then_rerun_stores_nothing(db_url: str, replay: Replay, name: str):
    serve_all(replay)
    settings = replay_settings(db_url, source_configs(replay.base_url))
    first = crawl(settings, db_url, [name])
    assert first[0].stored > 0, first[0]
    assert first[0].status == "ok" or (name == "news" and "malformed" in first[0].error)
    with session_scope(db_url) as s:
        rows = count_mentions(s)
    second = crawl(settings, db_url, [name])
    assert second[0].stored == 0
    with session_scope(db_url) as s:
        assert count_mentions(s) == rows


def test_all_sources_in_one_crawl(db_url: str, replay: Replay):
    serve_all(replay)
    settings = replay_settings(db_url, source_configs(replay.base_url))
    reports = {r.name: r for r in crawl(settings, db_url)}
    assert set(reports) == set(KINDS)
    assert all(r.stored > 0 for r in reports.values()), reports
    with session_scope(db_url) as s:
        keys = mention_keys(s)
        platforms = {k[0] for k in keys}
        slugs = mention_institution_slugs(s)
    assert platforms == {"twitter", "mastodon", "bluesky", "reddit", "news"}
    # Peers' queries are evaluated on every mention (share of voice).
    assert any("univ-voisine" in v for v in slugs.values())
    assert all(v for v in slugs.values())
    again = crawl(settings, db_url)
    assert sum(r.stored for r in again) == 0


def test_own_channel_items_belong_to_their_institution(db_url: str, replay: Replay):
    """A peer's own news feed is about that peer even when an item does not name it."""
    from veille.query import parse

    serve_all(replay)
    feed = "unm-backend_univ-paris10_001.rss"
    own = {
        "name": "nanterre-own",
        "kind": "rss",
        "institution": "univ-voisine",
        "targets": [f"{replay.base_url}/feeds/{feed}"],
        "options": {"own_channel": True},
    }
    settings = replay_settings(db_url, [own])
    crawl(settings, db_url)
    with session_scope(db_url) as s:
        assert count_mentions(s) == 10
        slugs = mention_institution_slugs(s)
    assert len(slugs) == 10 and all("univ-voisine" in v for v in slugs.values())
    # without own_channel, the peer's query ("sorbonne") would have kept none of them
    assert not parse("sorbonne").matches("Réinscriptions année 2014/2015")
