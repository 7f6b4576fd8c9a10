"""Opt-out, SSRF guard, budgets and grouping of copies, through real crawls."""

from __future__ import annotations

from crawlers.runner import crawl
from store import crawl_state, suppression
from store.db import session_scope
from store.mentions import count_mentions, mention_keys
from tests.crawlers.conftest import Replay, replay_settings, serve_all, source_configs

KEY = b"test-pseudonym-key"


def _only(base: str, name: str, **changes):
    [cfg] = [c for c in source_configs(base) if c["name"] == name]
    cfg.update(changes)
    return [cfg]


def test_opted_out_authors_are_dropped_before_storage(db_url: str, replay: Replay):
    serve_all(replay)
    with session_scope(db_url) as s:
        suppression.add(s, "handle", ["socpaperbot.bsky.social"], KEY, reason="opt-out")
        suppression.add(s, "name", ["Sociology papers (journals + SocArXiv)"], KEY)
    settings = replay_settings(db_url, _only(replay.base_url, "bluesky"))
    [report] = crawl(settings, db_url)
    assert report.dropped_optout > 0 and report.stored > 0
    with session_scope(db_url) as s:
        from sqlmodel import select

        from store.models import Mention

        handles = {m.author_handle for m in s.exec(select(Mention)).all()}
        keys = {m.author_key for m in s.exec(select(Mention)).all()}
    assert "socpaperbot.bsky.social" not in handles
    assert all(len(k) == 64 for k in keys)  # keyed hash, never the handle


def test_ssrf_guard_refuses_loopback_unless_allowed(db_url: str, replay: Replay):
    serve_all(replay)
    settings = replay_settings(
        db_url, _only(replay.base_url, "news"), allow_private_addresses=False
    )
    [report] = crawl(settings, db_url)
    assert report.stored == 0
    assert "refusing" in report.error and "127.0.0.1" in report.error
    assert sum(replay.hits.values()) == 0  # nothing was fetched at all
    bsky = replay_settings(db_url, _only(replay.base_url, "bluesky"), allow_private_addresses=False)
    [report] = crawl(bsky, db_url)
    assert report.status == "blocked" and sum(replay.hits.values()) == 0


def test_budget_stops_source_cleanly_and_shows_in_status(db_url: str, replay: Replay):
    serve_all(replay)
    settings = replay_settings(
        db_url, _only(replay.base_url, "news", max_items_per_run=100, max_items_per_day=12)
    )
    [report] = crawl(settings, db_url)
    assert report.status == "budget_exhausted" and "budget" in report.warning
    assert 12 <= report.fetched < 55  # stopped after the batch that crossed the limit
    with session_scope(db_url) as s:
        stored = count_mentions(s)
        [health] = crawl_state.health(s)
    assert health.status == "budget_exhausted" and health.items_today == report.fetched
    [again] = crawl(settings, db_url)
    assert again.skipped and again.status == "budget_exhausted" and "daily budget" in again.warning
    with session_scope(db_url) as s:
        assert count_mentions(s) == stored


def _rss(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
        "<pubDate>Mon, 02 Jun 2025 08:00:00 GMT</pubDate></item>"
        for t, link, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>synthetic</title><link>http://example.org/</link>{body}</channel></rss>"
    ).encode()


def test_syndicated_copies_are_grouped_not_counted_twice(db_url: str, replay: Replay):
    # Synthetic French items (the recordings have none syndicated): one story, three copies.
    story = ("L'Université Exemple ouvre un campus", "La rentrée de l'université Exemple à Lyon.")
    replay.add(
        "/a.xml",
        _rss([(story[0], "https://presse.example.org/campus?utm_source=rss#top", story[1])]),
        "application/rss+xml",
    )
    replay.add(
        "/b.xml",
        _rss(
            [
                (story[0], "https://www.presse.example.org/campus/", story[1]),  # same URL
                (story[0], "https://agregateur.example.net/x/42", story[1]),  # same text
            ]
        ),
        "application/rss+xml",
    )
    settings = replay_settings(
        db_url,
        [
            {
                "name": "feeds",
                "kind": "rss",
                "targets": [f"{replay.base_url}/a.xml", f"{replay.base_url}/b.xml"],
                "requests_per_second": 50,
            }
        ],
    )
    [report] = crawl(settings, db_url)
    assert report.stored == 2 and report.grouped == 1
    with session_scope(db_url) as s:
        assert count_mentions(s) == 2
        assert count_mentions(s, unique=True) == 1
        keys = mention_keys(s)
    assert {pid for _, pid, _, _ in keys} == {
        "https://presse.example.org/campus",
        "https://agregateur.example.net/x/42",
    }
    root = next(k for k in keys if k[1].startswith("https://presse"))
    copy = next(k for k in keys if k[1].startswith("https://agregateur"))
    assert root[3] == "" and copy[3] == "news:https://presse.example.org/campus"


def test_profile_snapshots_are_stored_once(db_url: str):
    from store.mentions import store_snapshots
    from store.models import ProfileSnapshot

    def snap():
        return ProfileSnapshot(
            profile_key="https://example.org/people/a",
            source_kind="schema_person",
            url="https://example.org/people/a",
            method="test",
            person={"given_name": "A"},
            content_hash="h1",
        )

    with session_scope(db_url) as s:
        assert store_snapshots(s, [snap()]) == 1
    with session_scope(db_url) as s:
        assert store_snapshots(s, [snap()]) == 0


def test_crawl_stage_reports_counts(db_url: str, replay: Replay, tmp_path):
    from pathlib import Path

    from crawlers.runner import crawl_stage
    from veille.stages import StageContext

    serve_all(replay)
    settings = replay_settings(db_url, _only(replay.base_url, "reddit"))
    result = crawl_stage(StageContext(settings, db_url, Path(tmp_path)))
    assert result.counts["stored"] > 0 and result.counts["failed_sources"] == 0
    assert crawl_stage(StageContext(settings, db_url, Path(tmp_path))).counts["stored"] == 0
