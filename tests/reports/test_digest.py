"""Digests reach a real SMTP server, grouped per team, once, and inert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from reports.digest import send_digests
from store.db import insert_ignore, session_scope
from store.models import Alert
from store.report_queries import ensure_institutions
from tests.reports.conftest import EVIL, add_mentions, mention, with_smtp

T0 = datetime(2026, 11, 20, 13, tzinfo=UTC)


def _alert(key: str, team: str | None, inst: int, start: datetime, **kw) -> dict:
    row = {
        "dedupe_key": key,
        "rule": "volume_spike",
        "institution_id": inst,
        "title": "Pic de volume — Université Exemple : observé 60.0, base 20.0 ± 4.5",
        "window_start": start,
        "window_end": start + timedelta(hours=1),
        "observed": 60.0,
        "baseline": 20.0,
        "sigma": 8.9,
        "team": team,
        "details": {
            "channel": "social",
            "threshold_sigma": 3.0,
            "top_terms": [["inscriptions", 12]],
            "top_sources": [["twitter", 30]],
            "sample_mention_ids": [],
        },
    }
    row.update(kw)
    return row


def _setup(db_url, settings, mention_ids) -> None:
    with session_scope(db_url) as s:
        inst = ensure_institutions(s, settings)["univ-exemple"]
        rows = [
            _alert("a1", "it", inst, T0 - timedelta(hours=2)),
            _alert("a2", "it", inst, T0 - timedelta(hours=1)),  # same rule: grouped with a1
            _alert(
                "a3",
                "nobody-configured",  # unknown team -> communications
                inst,
                T0,
                rule="crisis_keywords",
                severity="critical",
                sigma=None,
                observed=1.0,
                baseline=0.0,
                title="Mots-clés de crise — Université Exemple : 1 mention(s) (incendie)",
                details={"sample_mention_ids": mention_ids, "top_terms": [["incendie", 1]]},
            ),
        ]
        for r in rows:
            insert_ignore(s, Alert, [r], ["dedupe_key"])


def test_digest_reaches_smtp_with_both_parts_and_inert_text(db_url, team_settings, smtp_server):
    host, port, inbox = smtp_server
    settings = with_smtp(team_settings, host, port)
    ids = add_mentions(db_url, settings, [mention(T0, text=EVIL, url="javascript:alert(1)")])
    _setup(db_url, settings, ids)

    outcome = send_digests(settings, db_url)
    assert outcome.sent == 2 and outcome.alerts_marked == 3
    by_rcpt = {tuple(rcpts): msg for rcpts, msg in inbox.messages}
    assert set(by_rcpt) == {("dsi@univ.example",), ("com@univ.example",)}

    it_msg = by_rcpt[("dsi@univ.example",)]
    assert it_msg.get_content_type() == "multipart/alternative"
    text = it_msg.get_body(preferencelist=("plain",)).get_content()
    html = it_msg.get_body(preferencelist=("html",)).get_content()
    assert "1 alerte(s)" in text and "2 déclenchements regroupés" in text  # deduplicated
    assert "(x2)" in text and "seuil 3 σ" in text and "inscriptions" in text
    assert "Pic de volume" in html
    # each alert links to its page in the UI, and its rule reads as a sentence
    assert "/alerts/" in text and 'href="http://127.0.0.1:8000/alerts/' in html
    assert "d'habitude" in text and "volume_spike" not in text

    com = by_rcpt[("com@univ.example",)]
    ctext = com.get_body(preferencelist=("plain",)).get_content()
    chtml = com.get_body(preferencelist=("html",)).get_content()
    assert "Mots-clés de crise" in ctext and "<script>" in ctext  # plain text: shown as text
    assert "<script>" not in chtml and "&lt;script&gt;" in chtml  # HTML: escaped
    assert "<b>gras</b>" not in chtml
    assert "javascript:" not in chtml and 'href="#"' in chtml

    # Marked as sent: the next digest is empty and not sent.
    with session_scope(db_url) as s:
        assert all(a.digest_sent_at is not None for a in s.exec(select(Alert)).all())
    again = send_digests(settings, db_url)
    assert again.sent == 0 and len(inbox.messages) == 2


def test_empty_digest_only_when_asked(db_url, team_settings, smtp_server):
    host, port, inbox = smtp_server
    settings = with_smtp(team_settings, host, port)
    assert send_digests(settings, db_url).sent == 0
    assert inbox.messages == []
    outcome = send_digests(settings, db_url, send_empty=True)
    assert outcome.sent == 4 and len(inbox.messages) == 4
    body = inbox.messages[0][1].get_body(preferencelist=("plain",)).get_content()
    assert "Aucune alerte" in body


def test_dry_run_sends_and_marks_nothing(db_url, team_settings, smtp_server):
    host, port, inbox = smtp_server
    settings = with_smtp(team_settings, host, port)
    _setup(db_url, settings, [])
    outcome = send_digests(settings, db_url, dry_run=True)
    assert len(outcome.digests) == 2 and outcome.sent == 0 and inbox.messages == []
    with session_scope(db_url) as s:
        assert all(a.digest_sent_at is None for a in s.exec(select(Alert)).all())


def test_digest_in_english_when_the_locale_says_so(db_url, team_settings, smtp_server):
    """``locale = "en"``: the same digest reads English, labels and sentences included."""
    from veille.i18n import set_locale

    host, port, _inbox = smtp_server
    settings = with_smtp(team_settings, host, port)
    _setup(db_url, settings, [])
    set_locale("en")
    try:
        outcome = send_digests(settings, db_url, dry_run=True)
    finally:
        set_locale("fr")
    it = next(d for d in outcome.digests if "Volume spike" in d.text)
    assert "1 alert(s) for the" in it.text and "2 triggers grouped" in it.text
    assert "threshold 3 σ" in it.text and "Window:" in it.text and "on average" in it.text
    assert "[WARNING]" in it.text and it.subject.endswith("1 alert(s) for IT")
    assert "alerte(s)" not in it.text and "Fenêtre" not in it.text and "seuil" not in it.text
    assert '<html lang="en">' in it.html and "See the alert and its posts" in it.html
    assert "Voir l'alerte" not in it.html
    # the title stored in French when the alert fired is not repeated under the sentence
    assert "Pic de volume" not in it.text and "Pic de volume" not in it.html
