"""`veille schedule --once` and `veille jobs` end to end, with the jobs of a real config."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import scheduler
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
    assert "no job was due" in first.stdout
    empty = _veille(config, "jobs")
    assert empty.returncode == 0 and "no job has run yet" in empty.stdout

    # The host was off for three days: the NLP job is due once (three ticks coalesced).
    sched = scheduler.make_scheduler(scheduler.load_settings(config), workers=1)
    sched.start(paused=True)
    try:
        ids = sorted(job.id for job in sched.get_jobs())
        nlp = sched.get_job("nlp")
        nlp.modify(next_run_time=nlp.next_run_time - timedelta(days=3))
    finally:
        sched.shutdown()
    assert ids == ["alerts", "digest", "nlp", "notices", "retention", "weekly_report"]

    second = _veille(config, "schedule", "--once")
    assert second.returncode == 0, second.stderr
    # The catch-up ran the NLP stages once (on an empty database: nothing to tag).
    assert "nlp: ok" in second.stdout
    table = _veille(config, "jobs", "--limit", "5")
    assert table.returncode == 0, table.stderr
    assert "nlp" in table.stdout and "ok" in table.stdout
    third = _veille(config, "schedule", "--once")
    assert "no job was due" in third.stdout
