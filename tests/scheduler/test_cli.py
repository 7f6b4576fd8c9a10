"""`veille schedule --once` and `veille jobs` end to end, with the jobs of a real config."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import scheduler
from store.db import session_scope
from store.runs import finish_run, runs_for_job, start_run
from tests.conftest import REPO_ROOT
from tests.scheduler.conftest import child_env


def _veille(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veille", "--config", str(config), *args],
        cwd=REPO_ROOT,
        env={**child_env(), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_once_from_cron_then_jobs_table(db_url: str, write_config) -> None:
    # Daily intervals: no regular tick falls inside the test by accident.
    config = write_config(db_url, nlp_interval_minutes=1440, alerts_interval_minutes=1440)
    first = _veille(config, "schedule", "--once")
    assert first.returncode == 0, first.stderr
    assert "Aucune tâche n'était due." in first.stdout
    empty = _veille(config, "jobs")
    assert empty.returncode == 0 and "Aucune tâche n'a encore tourné" in empty.stdout

    # The host was off for three days: the NLP job last ran three days ago, so it is
    # due once now (three ticks coalesced). The run log is the scheduler's only state.
    ids = sorted(spec.id for spec in scheduler.build_jobs(scheduler.load_settings(config)))
    assert ids == ["alerts", "digest", "nlp", "notices", "retention", "weekly_report"]
    three_days_ago = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    three_days_ago -= timedelta(days=3)
    with session_scope(db_url) as s:
        old = start_run(s, "nlp", three_days_ago.isoformat(), "host", os.getpid())
        assert old is not None and old.id is not None
        finish_run(s, old.id, "ok")

    second = _veille(config, "schedule", "--once")
    assert second.returncode == 0, second.stderr
    # The catch-up ran the NLP stages once (on an empty database: nothing to tag).
    # the job and its state as the web UI's jobs page says them
    assert "Analyse des textes (langue, tonalité, équipe) : réussie" in second.stdout
    table = _veille(config, "jobs", "--limit", "5")
    assert table.returncode == 0, table.stderr
    assert "Analyse des textes" in table.stdout and "réussie" in table.stdout
    assert "nlp" not in table.stdout
    third = _veille(config, "schedule", "--once")
    assert "Aucune tâche n'était due." in third.stdout
    with session_scope(db_url) as s:
        catch_up = runs_for_job(s, "nlp")[-1]
    assert catch_up.status == "ok" and catch_up.coalesced == 2
