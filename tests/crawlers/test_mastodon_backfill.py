"""Mastodon backfill: a first run and a run after an outage page back to what is known.

The replay server serves 365 real recorded statuses (tests/fixtures/mastodon) as a
hashtag timeline, cut into pages the way Mastodon does it (``limit``, ``max_id``,
``Link: rel="next"``).
"""

from __future__ import annotations

import json
from typing import Any

from crawlers.runner import crawl
from store import crawl_state
from store.db import session_scope
from store.mentions import count_mentions, mention_keys
from tests.crawlers.conftest import (
    Replay,
    mastodon_handler,
    recorded_statuses,
    replay_settings,
)

TAG = "univexemple"


def _source(base: str, **options: Any) -> dict[str, Any]:
    return {
        "name": "mastodon",
        "kind": "mastodon",
        "base_url": base,
        "targets": [TAG],
        "requests_per_second": 0,
        # No search: only the followed hashtag's timeline is paged here.
        "options": {"search": False, "backfill_days": 0, "backoff_base": 0.01, **options},
    }


def _uris(statuses: list[dict[str, Any]]) -> set[str]:
    return {str(s.get("uri") or s["url"]) for s in statuses}


def _stored(db_url: str) -> set[str]:
    with session_scope(db_url) as s:
        return {pid for platform, pid, _, _ in mention_keys(s) if platform == "mastodon"}


def _timeline_requests(replay: Replay) -> list[dict[str, list[str]]]:
    return [q for p, q, _ in replay.requests if p.startswith("/api/v1/timelines/tag/")]


def test_first_run_stores_every_recorded_status(db_url: str, replay: Replay):
    statuses = recorded_statuses()
    assert len(statuses) >= 300
    replay.handler = mastodon_handler({TAG: statuses}, base=replay.base_url)
    settings = replay_settings(db_url, [_source(replay.base_url)])
    [report] = crawl(settings, db_url)
    assert report.status == "ok", report
    # Every status, although the institution's query names none of them: a followed hashtag.
    assert _stored(db_url) == _uris(statuses)
    assert report.stored == len(statuses) and report.dropped_filter == 0
    pages = _timeline_requests(replay)
    # 40 per page, following Link rel="next" until the empty page that ends a timeline
    # (Mastodon links a short page too: statuses may be filtered out of any page).
    assert len(pages) == -(-len(statuses) // 40) + 1
    assert "max_id" not in pages[0] and all("max_id" in q for q in pages[1:])
    # A re-run asks one page, finds only known statuses and stores nothing.
    [again] = crawl(settings, db_url)
    assert again.stored == 0 and again.status == "ok"
    assert len(_timeline_requests(replay)) == len(pages) + 1


def test_run_after_an_outage_fills_the_whole_gap(db_url: str, replay: Replay):
    statuses = recorded_statuses()
    old, gap = statuses[200:], statuses[:200]  # newest first: 200 arrived during the outage
    served = {TAG: old}
    replay.handler = mastodon_handler(served, base=replay.base_url)
    settings = replay_settings(db_url, [_source(replay.base_url)])
    crawl(settings, db_url)
    assert _stored(db_url) == _uris(old)
    served[TAG] = statuses
    [report] = crawl(settings, db_url)
    assert report.stored == len(gap)
    assert _stored(db_url) == _uris(statuses)
    # It stopped at the first page holding a status it already had.
    newest_known = str(old[0]["id"])
    last = _timeline_requests(replay)[-1]["max_id"][0]
    assert (len(last), last) > (len(newest_known), newest_known)


def test_backfill_cut_short_resumes_where_it_stopped(db_url: str, replay: Replay):
    """``max_pages`` per run: the next run goes on from ``next_max_id``; nothing lost."""
    statuses = recorded_statuses()
    replay.handler = mastodon_handler({TAG: statuses}, base=replay.base_url)
    settings = replay_settings(db_url, [_source(replay.base_url, max_pages=4)])
    stored = 0
    for _ in range(4):
        stored += crawl(settings, db_url)[0].stored
    assert stored == len(statuses) and _stored(db_url) == _uris(statuses)
    with session_scope(db_url) as s:
        target = crawl_state.get_target(s, _source_id(s), f"tag:{replay.base_url}#{TAG}")
        assert "next_max_id" not in target.cursor
        assert target.cursor["newest"] == str(statuses[0]["id"])


def _source_id(session: Any) -> int:
    from sqlmodel import select

    from store.models import Source

    return int(session.exec(select(Source.id).where(Source.name == "mastodon")).one())


def test_backfill_stops_at_the_horizon(db_url: str, replay: Replay):
    statuses = recorded_statuses()
    replay.handler = mastodon_handler({TAG: statuses}, base=replay.base_url)
    # The recordings are older than a day: the first page already reaches the horizon.
    settings = replay_settings(db_url, [_source(replay.base_url, backfill_days=1)])
    [report] = crawl(settings, db_url)
    assert len(_timeline_requests(replay)) == 1 and report.stored == 40


def test_mastodon_1x_integer_ids(db_url: str, replay: Replay):
    """Mastodon 1.x sent ids as JSON integers: compared as numbers, stored once."""
    statuses = [
        {**s, "id": int(s["id"])} for s in recorded_statuses()[:90] if str(s["id"]).isdigit()
    ]
    replay.handler = mastodon_handler({TAG: statuses}, base=replay.base_url)
    settings = replay_settings(db_url, [_source(replay.base_url)])
    [report] = crawl(settings, db_url)
    assert report.status == "ok" and report.stored == len(statuses)
    assert json.loads(json.dumps(statuses[0]))["id"] == statuses[0]["id"]  # really integers
    [again] = crawl(settings, db_url)
    assert again.stored == 0
    with session_scope(db_url) as s:
        assert count_mentions(s, platform="mastodon") == len(statuses)


def test_search_pages_by_offset_and_stops_at_known_results(db_url: str, replay: Replay):
    """Search results need not be in id order: paged by ``offset``, every match stored."""
    from crawlers.normalise import html_to_text
    from veille.query import parse

    statuses = recorded_statuses()[:130]
    query = parse("toot")
    matching = [s for s in statuses if query.matches(html_to_text(s["content"]))]
    assert len(matching) > 40  # more than one page
    replay.handler = mastodon_handler({}, search=statuses, base=replay.base_url)
    source = _source(replay.base_url, search=True)
    source["targets"] = []
    settings = replay_settings(
        db_url, [source], institution={"slug": "u", "name": "Université", "query": "toot"}
    )
    [report] = crawl(settings, db_url)
    assert _stored(db_url) == _uris(matching) and report.status == "ok"
    searches = [q for p, q, _ in replay.requests if p == "/api/v2/search"]
    assert [q.get("offset", ["0"])[0] for q in searches] == ["0", "40", "80", "120"]
    [again] = crawl(settings, db_url)
    assert again.stored == 0
    assert len([p for p, _, _ in replay.requests if p == "/api/v2/search"]) == len(searches) + 1
