"""Honest status: /health and /jobs say "never run", "late" and "failed" when they are."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from store.db import session_scope
from store.models import JobRun
from store.runs import finish_run, start_run
from tests.web.conftest import Browser


def test_nothing_ever_ran_is_not_ok(app, browser: Browser) -> None:
    r = TestClient(app).get("/health")
    assert r.status_code == 503 and r.json() == {"status": "never_run"}
    browser.login("admin")
    page = browser.get("/jobs").text
    assert "aucune tâche n'a encore été lancée" in page and "jamais lancée" in page
    assert "tout fonctionne" not in page and ">ok<" not in page


def test_a_due_job_that_never_ran_is_late(app, browser: Browser, db_url: str) -> None:
    with session_scope(db_url) as s:
        run = start_run(s, "nlp", "t1", host="h", pid=1)
        assert run is not None and run.id is not None
        finish_run(s, run.id, status="ok", counts={})
        # the service started three days ago: the daily digest should have run by now
        s.execute(update(JobRun).values(started_at=datetime.now(UTC) - timedelta(days=3)))
    r = TestClient(app).get("/health")
    assert r.status_code == 503 and r.json() == {"status": "degraded"}
    browser.login("admin")
    page = browser.get("/jobs").text
    assert 'data-job="digest" data-state="late"' in page and "en retard" in page
    assert "Résumé des alertes par courriel" in page


def test_a_failed_job_reads_failed(app, browser: Browser, db_url: str) -> None:
    with session_scope(db_url) as s:
        run = start_run(s, "alerts", "t1", host="h", pid=1)
        assert run is not None and run.id is not None
        finish_run(s, run.id, status="error", error="boom", counts={})
    browser.login("admin")
    page = browser.get("/jobs").text
    assert 'data-job="alerts" data-state="error"' in page and "échec" in page
    # a run's error reads as a sentence; the raw text stays behind "Détail technique"
    assert "Erreur non reconnue ; voir le détail technique." in page
    assert re.search(r"<summary>Détail technique</summary><small>boom</small>", page)


def test_a_run_says_its_counters_in_words(app, browser: Browser, db_url: str) -> None:
    """The counters a scheduled run keeps (``stage.key``) read as words, never as keys."""
    with session_scope(db_url) as s:
        run = start_run(s, "nlp", "t1", host="h", pid=1)
        assert run is not None and run.id is not None
        counts = {"sentiment.tagged": 3, "routing.triage": 1, "outputs": ["/tmp/x.html"]}
        finish_run(s, run.id, status="ok", counts=counts)
    browser.login("admin")
    page = browser.get("/jobs").text.replace("\u00a0", " ")
    assert "Tonalité · mentions analysées : 3" in page and "Routage · à trier : 1" in page
    assert "tagged" not in page and "triage =" not in page and "/tmp/x.html" not in page
    assert "routing ·" not in page and "sentiment ·" not in page  # no stage key either


def test_a_run_shows_its_times_as_french_readers_write_them(
    app, browser: Browser, db_url: str
) -> None:
    """The due time is the scheduler's tick key (ISO 8601): it read raw before."""
    from veille.service.jobs import tick_key

    tick = tick_key(datetime(2026, 11, 30, 14, 5, tzinfo=UTC))
    with session_scope(db_url) as s:
        run = start_run(s, "nlp", tick, host="h", pid=1)
        assert run is not None and run.id is not None
        finish_run(s, run.id, status="ok", counts={"sentiment.tagged": 3, "routing.triage": 1})
    browser.login("admin")
    page = browser.get("/jobs").text.replace("\u00a0", " ")
    assert "30/11/2026 14:05 UTC" in page
    assert "2026-11-30T14:05" not in page and "+00:00" not in page
    # one counter a line, so a run of many stages keeps the other columns readable (in the
    # order the database gives the keys back: PostgreSQL's JSONB sorts them)
    counters = re.search(r'<ul class="plain counts">(.*?)</ul>', page)
    assert counters is not None
    assert sorted(re.findall(r"<li>(.*?)</li>", counters.group(1))) == [
        "Routage · à trier : 1",
        "Tonalité · mentions analysées : 3",
    ]
