"""Faults: 429 with reset then 500s, long rate limits, and isolation of failing sources."""

from __future__ import annotations

import json
import time

from crawlers.runner import crawl
from store import crawl_state
from store.db import session_scope
from store.mentions import count_mentions, mention_keys
from tests.crawlers.conftest import (
    BLUESKY,
    TWITTER,
    Replay,
    fixture_body,
    replay_settings,
    serve_all,
    source_configs,
)


def _by_name(base: str, *names: str, **options):
    return [c for c in source_configs(base, **options) if c["name"] in names]


def _ids(rel: str, key: str, id_field: str) -> set[str]:
    return {str(item[id_field]) for item in json.loads(fixture_body(rel))[key]}


def test_twitter_429_reset_then_500s_then_success(db_url: str, replay: Replay):
    serve_all(replay)
    reset = str(int(time.time()) + 1)
    replay.fault(
        "/2/tweets/search/recent",
        (429, {"x-rate-limit-reset": reset, "Content-Type": "application/json"}, b"{}"),
        *[(500, {"Content-Type": "application/json"}, b"{}")] * 3,
    )
    settings = replay_settings(db_url, _by_name(replay.base_url, "x"))
    [report] = crawl(settings, db_url)
    assert report.status == "ok", report
    expected = _ids(TWITTER["/2/tweets/search/recent"], "data", "id") | _ids(
        TWITTER["/2/users/783214/mentions"], "data", "id"
    )
    with session_scope(db_url) as s:
        keys = mention_keys(s)
    stored = [pid for platform, pid, _, _ in keys if platform == "twitter"]
    assert sorted(stored) == sorted(expected)  # none lost, none twice
    # 1 x 429 + 3 x 500 + the success, then the second page that brings nothing new.
    assert replay.hits["/2/tweets/search/recent"] == 6


def test_bluesky_retry_after_then_500s_then_success(db_url: str, replay: Replay):
    serve_all(replay)
    replay.fault(
        "/xrpc/app.bsky.feed.searchPosts",
        (429, {"Retry-After": "1"}, b"{}"),
        *[(503, {}, b"unavailable")] * 3,
    )
    settings = replay_settings(db_url, _by_name(replay.base_url, "bluesky"))
    [report] = crawl(settings, db_url)
    assert report.status == "ok", report
    expected = _ids(BLUESKY["/xrpc/app.bsky.feed.searchPosts"], "posts", "uri")
    with session_scope(db_url) as s:
        assert {pid for _, pid, _, _ in mention_keys(s)} == expected
        assert count_mentions(s) == len(expected)


def test_long_rate_limit_defers_source_without_blocking_others(db_url: str, replay: Replay):
    serve_all(replay)
    reset = str(int(time.time()) + 3600)
    replay.fault(
        "/2/tweets/search/recent",
        (429, {"x-rate-limit-reset": reset}, b"{}"),
    )
    settings = replay_settings(db_url, _by_name(replay.base_url, "x", "reddit"))
    started = time.monotonic()
    reports = {r.name: r for r in crawl(settings, db_url)}
    assert time.monotonic() - started < 30  # no hour-long sleep
    assert reports["x"].status == "rate_limited"
    assert reports["reddit"].status == "ok" and reports["reddit"].stored > 0
    hits = replay.hits["/2/tweets/search/recent"]
    again = {r.name: r for r in crawl(settings, db_url, ["x"])}
    assert again["x"].skipped and again["x"].status == "rate_limited"
    assert replay.hits["/2/tweets/search/recent"] == hits  # deferred: not even asked
    with session_scope(db_url) as s:
        health = {h.name: h for h in crawl_state.health(s)}
    assert health["x"].status == "rate_limited"
    assert "rate limited" in health["x"].last_error


def test_one_failing_source_never_stops_the_others(db_url: str, replay: Replay):
    serve_all(replay)
    replay.fault("/xrpc/app.bsky.feed.searchPosts", *[(500, {}, b"boom")] * 10)
    replay.fault("/search.json", (403, {}, b"forbidden"))
    configs = source_configs(replay.base_url)
    for c in configs:
        if c["name"] == "mastodon":
            c["base_url"] = "http://127.0.0.1:9"  # nothing listens there
            c["options"] = {**c["options"], "max_retries": 1, "timeout": 2}
    settings = replay_settings(db_url, configs)
    reports = {r.name: r for r in crawl(settings, db_url)}
    assert reports["bluesky"].status == "down"
    assert reports["reddit"].status == "blocked"
    assert reports["mastodon"].status == "down"
    assert reports["x"].stored > 0 and reports["news"].stored > 0
    with session_scope(db_url) as s:
        health = {h.name: h for h in crawl_state.health(s)}
    assert health["reddit"].status == "blocked" and "403" in health["reddit"].last_error
    assert health["bluesky"].status == "down" and health["bluesky"].last_error
    assert health["x"].status == "ok" and health["x"].last_success_at is not None


def test_twitter_pagination_resumes_from_saved_cursor(db_url: str, replay: Replay):
    """A run stopped mid-pagination (here by its budget) resumes at next_token, then since_id."""
    body = json.loads(fixture_body(TWITTER["/2/tweets/search/recent"]))
    tweets = body["data"]
    page1 = {"data": tweets[:5], "meta": {"newest_id": tweets[0]["id"], "next_token": "p2"}}
    page2 = {"data": tweets[5:], "meta": {"newest_id": tweets[5]["id"]}}

    def handler(path, query):
        if path != "/2/tweets/search/recent":
            return None
        page = page2 if query.get("next_token") == ["p2"] else page1
        if query.get("since_id"):
            page = {"meta": {"result_count": 0}}
        return 200, {"Content-Type": "application/json"}, json.dumps(page).encode()

    replay.handler = handler
    [cfg] = _by_name(replay.base_url, "x", handles=[])
    cfg["max_items_per_run"] = 5
    settings = replay_settings(db_url, [cfg])
    first = crawl(settings, db_url)[0]
    assert first.status == "budget_exhausted" and first.stored == 5
    second = crawl(settings, db_url)[0]
    assert second.stored == 5
    third = crawl(settings, db_url)[0]
    assert third.stored == 0 and third.status == "ok"
    queries = [q for p, q, _ in replay.requests if p == "/2/tweets/search/recent"]
    assert "next_token" not in queries[0] and queries[1]["next_token"] == ["p2"]
    assert queries[2]["since_id"] == [tweets[0]["id"]]
    with session_scope(db_url) as s:
        assert sorted(pid for _, pid, _, _ in mention_keys(s)) == sorted(t["id"] for t in tweets)
