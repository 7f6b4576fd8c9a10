"""Art. 15 export and Art. 17 erasure of one alumnus, proven over the live schema."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from store.db import get_engine, session_scope
from store.models import AuditEvent, Mention, Suggestion
from store.person import PersonNotFoundError, erase_person, export_person, opt_out
from store.suppression import OptOutFilter, keyed_hash
from tests.store.privacy_data import (
    ALUMNUS_ID,
    EMAILS,
    FIRST,
    HANDLES,
    KEY,
    LAST,
    find_everywhere,
    needles,
    row_counts,
    seed_person,
)

#: The library's messages are asserted here in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english_messages")


def test_seed_covers_every_table(db_url: str) -> None:
    """The erasure test is only as good as its data: every table holds a row."""
    with session_scope(db_url) as s:
        seed_person(s)
    counts = row_counts(get_engine(db_url))
    empty = sorted(t for t, n in counts.items() if n == 0 and t != "alembic_version")
    assert empty == []


def test_erase_leaves_no_trace_in_any_table(db_url: str) -> None:
    with session_scope(db_url) as s:
        ids = seed_person(s)
    engine = get_engine(db_url)
    assert find_everywhere(engine, needles())  # the walk does see the person before

    with session_scope(db_url) as s:
        summary = erase_person(s, ALUMNUS_ID, KEY, actor="dpo")

    assert find_everywhere(engine, needles()) == []
    assert summary.deleted["mention"] == 2  # linked + posted from a known handle
    assert summary.deleted["alumnus"] == 1
    with session_scope(db_url) as s:
        remaining = {m.id: m for m in s.exec(select(Mention))}
        # Other people's rows stay, scrubbed; the repost of an erased post is kept.
        assert ids["about"] in remaining and ids["repost"] in remaining
        assert "[effacé]" in remaining[ids["about"]].text
        assert remaining[ids["about"]].text.startswith("Nous félicitons ")
        assert remaining[ids["repost"]].duplicate_of_id is None
        erase_events = s.exec(select(AuditEvent).where(AuditEvent.action == "erase")).all()
        assert len(erase_events) == 1
        assert erase_events[0].entity_id == keyed_hash("alumnus", ALUMNUS_ID, KEY)
        assert ALUMNUS_ID not in json.dumps(erase_events[0].details)
        f = OptOutFilter.load(s, KEY)
    assert f.blocks(handle="@heledp") is False
    assert f.blocks(handle="@HeleneDP")
    assert f.blocks(email=EMAILS[1].upper())
    assert f.blocks(name=f"{LAST} {FIRST}")
    assert f.blocks(url="http://linkedin.com/in/helene-durand-petit/")
    assert f.blocks(handle=HANDLES["mastodon"])


def test_erase_twice_says_already_erased(db_url: str) -> None:
    with session_scope(db_url) as s:
        seed_person(s)
    with session_scope(db_url) as s:
        erase_person(s, ALUMNUS_ID, KEY, actor="dpo")
    with pytest.raises(PersonNotFoundError, match="already erased"), session_scope(db_url) as s:
        erase_person(s, ALUMNUS_ID, KEY, actor="dpo")


def test_erase_is_one_transaction(db_url: str) -> None:
    """A failure after the deletes leaves everything as it was."""
    with session_scope(db_url) as s:
        seed_person(s)
    before = row_counts(get_engine(db_url))
    with pytest.raises(RuntimeError), session_scope(db_url) as s:
        erase_person(s, ALUMNUS_ID, KEY, actor="dpo")
        raise RuntimeError("crash before commit")
    assert row_counts(get_engine(db_url)) == before


def test_export_holds_everything_about_the_person(db_url: str) -> None:
    with session_scope(db_url) as s:
        ids = seed_person(s)
    with session_scope(db_url) as s:
        data = export_person(s, ALUMNUS_ID)
    text = json.dumps(data, ensure_ascii=False)  # JSON-serialisable, dates ISO
    assert data["alumnus"]["birth_date"] == "1990-05-17"
    assert data["alumnus"]["emails"] == EMAILS
    assert {m["platform_id"] for m in data["mentions"]} == {"111", "m-5"}
    assert ids["about"] not in {m["id"] for m in data["mentions"]}
    assert [m["institution_ids"] for m in data["mentions"] if m["platform_id"] == "111"] == [[1]]
    assert [s["new_value"] for s in data["suggestions"]] == ["Labo Nouveau"]
    assert {e["action"] for e in data["audit_events"]} == {"import", "accept"}
    assert len(data["job_changes"]) == 1 and data["job_changes"][0]["dedupe_key"] == "jc1"
    assert len(data["profile_snapshots"]) == 1
    assert len(data["labelled_examples"]) == 1
    assert "Paul" not in text  # nobody else's record


def test_export_unknown_id_is_a_clear_error(db_url: str) -> None:
    with pytest.raises(PersonNotFoundError, match="no alumnus"), session_scope(db_url) as s:
        export_person(s, "nope")


def test_opt_out_withdraws_suggestions_and_suppresses(db_url: str) -> None:
    with session_scope(db_url) as s:
        seed_person(s)
    with session_scope(db_url) as s:
        summary = opt_out(s, ALUMNUS_ID, KEY, actor="cli:test", reason="asked by mail")
    assert summary.withdrawn_suggestions == 1
    with session_scope(db_url) as s:
        sugg = s.exec(select(Suggestion)).one()
        assert (sugg.status, sugg.reviewer) == ("rejected", "opt-out")
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "opt_out")).one()
        assert event.entity_id == ALUMNUS_ID
        f = OptOutFilter.load(s, KEY)
    assert f.blocks(name="helene durand petit")
    assert f.blocks(email=EMAILS[0])
    assert f.blocks(url="https://orcid.org/0000-0002-1825-0097")


def test_erase_spares_a_homonym_alumnus(db_url: str) -> None:
    """Another alumnus with the same name is another person: their record stays whole."""
    from store.models import Alumnus

    with session_scope(db_url) as s:
        seed_person(s)
        s.add(Alumnus(id="A-9", first_name=FIRST, last_name=LAST, emails=["autre@ex.org"]))
    with session_scope(db_url) as s:
        erase_person(s, ALUMNUS_ID, KEY, actor="dpo")
    assert find_everywhere(get_engine(db_url), needles()) == []
    with session_scope(db_url) as s:
        homonym = s.get(Alumnus, "A-9")
        assert homonym is not None and (homonym.first_name, homonym.last_name) == (FIRST, LAST)


def test_opt_out_blanks_stored_posts_from_their_handles(db_url: str) -> None:
    with session_scope(db_url) as s:
        ids = seed_person(s)
    with session_scope(db_url) as s:
        summary = opt_out(s, ALUMNUS_ID, KEY, actor="cli:test")
    assert summary.mentions_blanked == 2
    with session_scope(db_url) as s:
        own = s.get(Mention, ids["own"])
        assert own is not None and (own.text, own.author_handle, own.raw) == ("", "", {})
        assert own.provenance["purge_reason"] == "opt-out"
