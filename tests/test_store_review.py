"""Write-back: accept/undo change the record and the append-only audit trail together."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from store import review
from store.db import session_scope
from store.models import Alumnus, AuditEvent, Suggestion
from store.person import opt_out
from store.review import ReviewError
from store.types import utcnow

#: The library's messages are asserted here in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english_messages")


def _seed(url: str) -> dict[str, int]:
    with session_scope(url) as s:
        s.add(Alumnus(id="A1", first_name="Jean", last_name="Dupont", employer="Old",
                      emails=["jean@old.example", "j.dupont@perso.example"]))  # fmt: skip
        s.add(Alumnus(id="A2", first_name="Ana", last_name="Silva", city="Paris"))
        s.flush()
        rows = {
            "employer": Suggestion(dedupe_key="1", alumnus_id="A1", field="employer",
                                   new_value="New", confidence=0.96),
            "employer2": Suggestion(dedupe_key="2", alumnus_id="A1", field="employer",
                                    new_value="Other", confidence=0.5),
            "email": Suggestion(dedupe_key="3", alumnus_id="A1", field="emails",
                                new_value="Jean@New.example", confidence=0.9),
            "city": Suggestion(dedupe_key="4", alumnus_id="A2", field="city",
                               new_value="Lyon", confidence=0.97),
            "url": Suggestion(dedupe_key="5", alumnus_id="A2", field="linkedin_url",
                              new_value="javascript:alert(1)", confidence=0.99),
        }  # fmt: skip
        s.add_all(rows.values())
        s.flush()
        return {k: v.id for k, v in rows.items()}  # type: ignore[misc]


def test_accept_and_undo_are_audited(db_url: str) -> None:
    ids = _seed(db_url)
    with session_scope(db_url) as s:
        event = review.accept_suggestion(s, ids["employer"], "alice")
    with session_scope(db_url) as s:
        a = s.get(Alumnus, "A1")
        sug = s.get(Suggestion, ids["employer"])
        assert a.employer == "New"
        assert (sug.status, sug.reviewer) == ("accepted", "alice") and sug.decided_at
        # the other open suggestion for the same field is superseded
        assert s.get(Suggestion, ids["employer2"]).status == "superseded"
        assert (event.old_value, event.new_value, event.actor) == ("Old", "New", "alice")
        history = review.alumnus_history(s, "A1")
        assert [h.undoable for h in history] == [True]
    with session_scope(db_url) as s:
        undo = review.undo_event(s, event.id, "bob")
    with session_scope(db_url) as s:
        assert s.get(Alumnus, "A1").employer == "Old"
        assert s.get(Suggestion, ids["employer"]).status == "reverted"
        assert undo.details == {"undoes": event.id} and undo.action == "undo"
        assert [h.event.action for h in review.alumnus_history(s, "A1")] == ["undo", "accept"]
        assert not any(h.undoable for h in review.alumnus_history(s, "A1"))
    with pytest.raises(ReviewError), session_scope(db_url) as s:
        review.undo_event(s, event.id, "bob")  # twice: the value no longer matches


def test_audit_table_refuses_update(db_url: str) -> None:
    ids = _seed(db_url)
    with session_scope(db_url) as s:
        event = review.accept_suggestion(s, ids["city"], "alice")
    with pytest.raises(DBAPIError), session_scope(db_url) as s:
        s.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE id = :i"), {"i": event.id})
    with session_scope(db_url) as s:
        assert s.get(AuditEvent, event.id).actor == "alice"


def test_emails_become_primary_and_undo_restores_list(db_url: str) -> None:
    ids = _seed(db_url)
    with session_scope(db_url) as s:
        event = review.accept_suggestion(s, ids["email"], "alice")
    with session_scope(db_url) as s:
        assert s.get(Alumnus, "A1").emails == [
            "jean@new.example", "jean@old.example", "j.dupont@perso.example",
        ]  # fmt: skip
        review.undo_event(s, event.id, "alice")
    with session_scope(db_url) as s:
        assert s.get(Alumnus, "A1").emails == ["jean@old.example", "j.dupont@perso.example"]


def test_double_accept_is_refused(db_url: str) -> None:
    ids = _seed(db_url)
    with session_scope(db_url) as s:
        review.accept_suggestion(s, ids["city"], "alice")
    with pytest.raises(ReviewError, match="already"), session_scope(db_url) as s:
        review.accept_suggestion(s, ids["city"], "bob")
    with session_scope(db_url) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.suggestion_id == ids["city"])).all()
        assert len(events) == 1


def test_undo_refused_after_later_change(db_url: str) -> None:
    ids = _seed(db_url)
    with session_scope(db_url) as s:
        first = review.accept_suggestion(s, ids["employer"], "alice")
        s.get(Alumnus, "A1").employer = "Changed by import"
    with pytest.raises(ReviewError, match="changed since"), session_scope(db_url) as s:
        review.undo_event(s, first.id, "alice")


def test_invalid_values_and_edit(db_url: str) -> None:
    ids = _seed(db_url)
    with pytest.raises(ReviewError, match="https"), session_scope(db_url) as s:
        review.accept_suggestion(s, ids["url"], "alice")
    with session_scope(db_url) as s:
        event = review.accept_suggestion(s, ids["url"], "alice", "https://linkedin.com/in/ana")
        assert event.details["edited"] and event.details["suggested_value"] == "javascript:alert(1)"
    with session_scope(db_url) as s:
        assert s.get(Alumnus, "A2").linkedin_url == "https://linkedin.com/in/ana"


def test_reject_snooze_inbox_bands(db_url: str) -> None:
    ids = _seed(db_url)
    with session_scope(db_url) as s:
        assert review.band_counts(s) == {"high": 3, "medium": 1, "low": 1}
        review.snooze_suggestion(s, ids["city"], "alice", days=2)
        review.reject_suggestion(s, ids["employer2"], "alice")
    with session_scope(db_url) as s:
        groups = review.inbox(s)
        shown = {sg.id for g in groups for sg in g.suggestions}
        assert ids["city"] not in shown and ids["employer2"] not in shown
        later = review.inbox(s, now=utcnow() + timedelta(days=3))
        assert ids["city"] in {sg.id for g in later for sg in g.suggestions}
        reject = s.exec(select(AuditEvent).where(AuditEvent.action == "reject")).one()
        assert reject.suggestion_id == ids["employer2"]


def test_bulk_accept_band(db_url: str) -> None:
    ids = _seed(db_url)
    with session_scope(db_url) as s:
        events = review.bulk_accept(s, "high", "alice")
    # employer + city accepted; the javascript: URL fails validation and stays for a person
    assert sorted(e.suggestion_id for e in events) == sorted([ids["employer"], ids["city"]])
    with session_scope(db_url) as s:
        assert s.get(Suggestion, ids["url"]).status == "pending"
        assert s.get(Alumnus, "A2").city == "Lyon"


def test_opt_out_stops_enrichment(db_url: str) -> None:
    ids = _seed(db_url)
    with session_scope(db_url) as s:
        opt_out(s, "A1", b"k" * 32, actor="alumnus-self")
    with session_scope(db_url) as s:
        assert s.get(Alumnus, "A1").opt_out
        assert s.get(Suggestion, ids["email"]).status == "rejected"
        assert all(g.alumnus.id != "A1" for g in review.inbox(s))
    with pytest.raises(ReviewError), session_scope(db_url) as s:
        review.accept_suggestion(s, ids["email"], "alice")


def test_concurrent_accepts_apply_once(db_url: str) -> None:
    """Two reviewers accept the same suggestion at the same moment: one wins, one is told."""
    import threading

    ids = _seed(db_url)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def reviewer(name: str) -> None:
        barrier.wait()
        try:
            with session_scope(db_url) as s:
                review.accept_suggestion(s, ids["city"], name)
            outcomes.append("ok")
        except ReviewError:
            outcomes.append("refused")

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "refused"]
    with session_scope(db_url) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.suggestion_id == ids["city"])).all()
        assert len(events) == 1


def test_values_with_control_characters_are_refused(db_url: str) -> None:
    ids = _seed(db_url)
    with pytest.raises(ReviewError, match="control characters"), session_scope(db_url) as s:
        review.accept_suggestion(s, ids["city"], "alice", "Ly\x00on")
    with session_scope(db_url) as s:
        assert s.get(Suggestion, ids["city"]).status == "pending"
        assert review.normalise_value("address", "1 rue X\n69000 Lyon") == "1 rue X\n69000 Lyon"
