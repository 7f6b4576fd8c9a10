"""Routing in the web UI: "to triage" is visible, and team corrections teach the router."""

from __future__ import annotations

import re

from sqlmodel import select

from store.db import session_scope
from store.models import Alert, LabelledExample, Mention
from tests.web.conftest import Browser


def test_triage_is_shown_and_a_correction_is_stored(app, seeded, db_url) -> None:
    with session_scope(db_url) as s:
        m = s.exec(select(Mention)).one()
        m.team, m.team_score, m.team_runner_up, m.team_status = (
            "communications",
            0.41,
            "it",
            "triage",
        )
        mid = m.id
    cm = Browser(app)
    cm.login("cm")
    page = cm.get("/mentions").text
    assert "À trier" in page and "confiance 41 %" in page and "sinon : Informatique" in page
    assert ">student_services<" not in page and ">hr<" not in page
    # the runner-up and the date are two facts: a separator between them (they ran together)
    assert re.search(r"sinon : Informatique</span>\s*<span class=\"muted\">· \d\d/", page)
    r = cm.post(f"/mentions/{mid}/team", {"team": "it"})
    assert r.status_code == 303
    with session_scope(db_url) as s:
        got = s.get(Mention, mid)
        assert got is not None
        assert (got.team, got.team_status, got.team_score) == ("it", "corrected", 1.0)
        (ex,) = s.exec(select(LabelledExample).where(LabelledExample.task == "team")).all()
        assert ex.label == "it" and ex.mention_id == mid and ex.author == "cm"
    assert "À trier" not in cm.get("/mentions").text
    assert cm.post(f"/mentions/{mid}/team", {"team": "nope"}).status_code == 303
    with session_scope(db_url) as s:
        unchanged = s.get(Mention, mid)
        assert unchanged is not None and unchanged.team == "it"  # unknown team: no change


def test_moving_an_alert_stores_its_mentions_as_examples(app, seeded, db_url) -> None:
    with session_scope(db_url) as s:
        mid = s.exec(select(Mention)).one().id
        alert = s.get(Alert, seeded.alert)
        assert alert is not None
        alert.details = {"sample_mention_ids": [mid, 999_999]}
    cm = Browser(app)
    cm.login("cm")
    assert cm.post(f"/alerts/{seeded.alert}/assign", {"team": "it"}).status_code == 303
    with session_scope(db_url) as s:
        moved = s.get(Alert, seeded.alert)
        assert moved is not None and moved.team == "it"
        examples = s.exec(select(LabelledExample).where(LabelledExample.task == "team")).all()
        assert [(e.label, e.mention_id) for e in examples] == [("it", mid)]
