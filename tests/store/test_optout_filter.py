"""The OptOutFilter contract the crawler runner relies on, for mentions and profiles."""

from __future__ import annotations

from datetime import UTC, datetime

from store.db import session_scope
from store.models import Mention, ProfileSnapshot
from store.person import erase_person
from store.suppression import OptOutFilter, add
from tests.store.privacy_data import ALUMNUS_ID, KEY, seed_person

T = datetime(2026, 11, 1, tzinfo=UTC)


def _mention(handle: str, name: str = "") -> Mention:
    return Mention(
        platform="bluesky",
        platform_id=handle,
        author_handle=handle,
        author_name=name,
        published_at=T,
    )


def _snapshot(url: str, **person: object) -> ProfileSnapshot:
    return ProfileSnapshot(
        profile_key=url, source_kind="schema_person", url=url, person=person, content_hash="0"
    )


def test_mentions_and_snapshots_are_blocked_by_any_identifier(db_url: str) -> None:
    with session_scope(db_url) as s:
        add(s, "handle", ["@Camille.bsky.social"], KEY)
        add(s, "name", ["Noémie Rousseau"], KEY)
        add(s, "email", ["nr@ex.org"], KEY)
        add(s, "url", ["https://orcid.org/0000-0001-0002-0003"], KEY)
    with session_scope(db_url) as s:
        f = OptOutFilter.load(s, KEY)
    assert f.blocks_mention(_mention("camille.bsky.social"))
    assert f.blocks_mention(_mention("someone", "NOEMIE ROUSSEAU"))
    assert not f.blocks_mention(_mention("someone", "Noémie"))
    assert f.blocks_snapshot(
        _snapshot("https://x.example/p", given_name="Noémie", family_name="Rousseau")
    )
    assert f.blocks_snapshot(_snapshot("https://x.example/q", email="NR@ex.org"))
    assert f.blocks_snapshot(
        _snapshot("https://x.example/r", same_as=["http://orcid.org/0000-0001-0002-0003/"])
    )
    assert not f.blocks_snapshot(_snapshot("https://x.example/s", name="Paul Martin"))


def test_erased_alumnus_is_recognised_on_reimport(db_url: str) -> None:
    with session_scope(db_url) as s:
        seed_person(s)
    with session_scope(db_url) as s:
        erase_person(s, ALUMNUS_ID, KEY, actor="dpo")
    with session_scope(db_url) as s:
        f = OptOutFilter.load(s, KEY)
    assert f.blocks_alumnus_id(ALUMNUS_ID)
    assert not f.blocks_alumnus_id("A-0001")
