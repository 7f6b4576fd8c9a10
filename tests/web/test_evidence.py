"""The review page explains matches the real pipeline made (not hand-shaped evidence)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from enrich.evidence import NAME_ONLY_MAX_CONFIDENCE, read_match
from store.db import session_scope
from store.models import Suggestion, User
from store.review import band
from tests.conftest import make_settings
from tests.web.conftest import PASSWORD, SECRET, _password_hash, csrf_of
from tests.web.pipeline_data import run_pipeline
from web.app import WebConfig, create_app
from web.render import evidence_view

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def pipeline_db(sqlite_url: str, tmp_path: Path) -> str:
    settings = make_settings(output_dir=str(tmp_path))
    settings.database_url = sqlite_url
    run_pipeline(settings, sqlite_url, tmp_path)
    with session_scope(sqlite_url) as s:
        s.add(User(username="officer", password_hash=_password_hash(), role="alumni_officer"))
    return sqlite_url


def _suggestions(db_url: str) -> list[Suggestion]:
    with session_scope(db_url) as s:
        rows = list(s.exec(select(Suggestion).where(Suggestion.status == "pending")).all())
        for r in rows:
            s.expunge(r)
    return rows


def test_pipeline_evidence_reads_as_a_table(pipeline_db: str) -> None:
    rows = _suggestions(pipeline_db)
    assert len(rows) >= 10
    for s in rows:
        assert "match" in s.evidence  # the shape the pipeline writes
        view = evidence_view(s.evidence)
        assert view.rows, s.evidence
        assert all(r.agreement and r.field for r in view.rows)
        assert view.why and "{" not in view.why and "_" not in view.why
    whys = [evidence_view(s.evidence).why for s in rows]
    assert any(w.startswith("Concordent : courriel (identique)") for w in whys), whys


def test_evidence_shows_values_as_the_records_wrote_them(pipeline_db: str) -> None:
    """The matcher compares lowercase keys ("martin"); the reviewer reads "Martin"."""
    rows = _suggestions(pipeline_db)
    names = [
        (r.alumni_value, r.found_value)
        for s in rows
        for r in evidence_view(s.evidence).rows
        if r.field == "Nom"
    ]
    assert names
    for alumni, found in names:
        assert alumni == "—" or alumni != alumni.lower(), names
        assert found == "—" or found != found.lower(), names
    keys = [f.alumni_value for s in rows for f in read_match(s.evidence).fields]
    assert any(k and k == k.lower() and k.isalpha() for k in keys)  # the compared keys stay


def test_no_suggestion_proposes_a_misspelt_address_on_record(pipeline_db: str) -> None:
    """fake_1000 has profiles whose e-mail is the record's with a typo ("robebrts.com")."""
    from rapidfuzz.distance import Levenshtein

    emails = [s for s in _suggestions(pipeline_db) if s.field == "emails"]
    for s in emails:
        for old in filter(None, (s.old_value or "").split(", ")):
            assert Levenshtein.distance(old.casefold(), s.new_value.casefold()) > 2, (old, s)


def test_name_only_matches_never_reach_the_high_band(pipeline_db: str) -> None:
    rows = _suggestions(pipeline_db)
    name_only = [s for s in rows if read_match(s.evidence).name_only]
    others = [s for s in rows if not read_match(s.evidence).name_only]
    assert name_only, "the fake_1000 sample has profiles that agree on the name alone"
    assert others
    for s in name_only:
        assert s.confidence <= NAME_ONLY_MAX_CONFIDENCE and band(s.confidence) != "high"
        assert evidence_view(s.evidence).why.startswith("Seul le nom concorde")
    assert any(band(s.confidence) == "high" for s in others)


def test_review_page_shows_table_reason_link_and_warning(pipeline_db: str, tmp_path: Path) -> None:
    settings = make_settings(output_dir=str(tmp_path), web={"secure_cookies": False})
    settings.database_url = pipeline_db
    app = create_app(settings, WebConfig(secret_key=SECRET, pseudonym_key=b"k" * 32))
    client = TestClient(app, follow_redirects=False)
    csrf = csrf_of(client.get("/login").text)
    r = client.post(
        "/login", data={"username": "officer", "password": PASSWORD, "csrf_token": csrf}
    )
    assert r.status_code == 303
    html = client.get("/review").text
    assert html.count('data-evidence-row="1"') >= 20
    assert '<th scope="col">Fiche alumni</th>' in html and "Profil trouvé" in html
    assert "Pourquoi nous pensons que c'est cette personne" in html
    assert 'data-profile-link="1"' in html and "profiles.example.org/fake_1000/" in html
    assert "Attention : seul le nom concorde" in html
    assert "Prénom" in html and "identique" in html and "Courriel" in html
    for leak in ("[[", "{'", '": {', "first_name", "jw&gt;=", "same_local_part", "missing"):
        assert leak not in html, leak
    # Dates read day first, never as stored (2026-11-30T14:05:00+00:00, 19840131).
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", html)
    assert not re.search(r"\b(?:19|20)\d{2}[01]\d[0-3]\d\b", html)
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", html)
    # the high tab holds no name-only suggestion
    high = client.get("/review?band=high").text
    assert "Attention : seul le nom concorde" not in high
    assert re.search(r"Élevée \((\d+)\)", high)
