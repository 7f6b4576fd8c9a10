"""Test helper: start the real scheduler service with test jobs.

Usage: ``run_service.py CONFIG MODE [ARG...]`` where MODE is ``probe PATH``
(a 1 s probe job), ``slowprobe PATH`` (a probe whose batch takes 3 s),
``crawl`` (crawl every 3 s with tests/scheduler/crawl_script.py for every
configured source), ``realcrawl`` (the same with the real ``veille crawl``)
or ``twojobs PROBE LONG START SECONDS`` (the 1 s probe, plus a daily job
"long" whose first tick is at epoch START and whose batch takes SECONDS; it
is safe to repeat, the probe is not). Polls and the lease are short so takeovers are quick
in tests: a killed or silent leader is replaced within LEASE_SECONDS + 0.5 s.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.triggers.interval import IntervalTrigger

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import scheduler
from veille.config import load_settings

#: The leader's lease in these tests (30 s in production; benchmarks/takeover.py sets it).
LEASE_SECONDS = float(os.environ.get("VEILLE_TEST_LEASE_SECONDS", "5"))


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s: %(message)s")
    config = Path(sys.argv[1])
    mode = sys.argv[2]
    settings = load_settings(config)
    tz = settings.schedule.timezone
    if mode in ("probe", "slowprobe"):
        jobs = [
            scheduler.JobSpec(
                id="probe",
                body="tests.scheduler.helpers:probe_body",
                trigger=scheduler.interval_trigger(1 if mode == "probe" else 5, tz),
                kwargs={"path": sys.argv[3], "sleep": 0.0 if mode == "probe" else 3.0},
                misfire_grace_seconds=60,
                period=timedelta(seconds=1),
            )
        ]
    elif mode == "twojobs":
        probe, long, start, seconds = sys.argv[3:7]
        jobs = [
            scheduler.JobSpec(
                id="probe",
                body="tests.scheduler.helpers:probe_body",
                trigger=scheduler.interval_trigger(1, tz),
                kwargs={"path": probe},
                misfire_grace_seconds=60,
                period=timedelta(seconds=1),
            ),
            scheduler.JobSpec(
                id="long",
                body="tests.scheduler.helpers:probe_body",
                trigger=IntervalTrigger(
                    days=1, start_date=datetime.fromtimestamp(float(start), UTC), timezone=tz
                ),
                kwargs={"path": long, "sleep": float(seconds)},
                misfire_grace_seconds=3600,
                period=timedelta(days=1),
                repeat_safe=True,
            ),
        ]
    else:
        argv = (
            "scheduler:crawl_argv"
            if mode == "realcrawl"
            else "tests.scheduler.helpers:crawl_script_argv"
        )
        jobs = [scheduler.crawl_job(s.name, 3, tz, timeout=60, argv=argv) for s in settings.sources]
    if "VEILLE_TEST_LEASE_SECONDS" in os.environ:  # benchmarks: production polls and renewals
        return scheduler.serve(config, jobs=jobs, lease_seconds=LEASE_SECONDS)
    return scheduler.serve(
        config, jobs=jobs, poll_seconds=0.5, check_seconds=0.5, lease_seconds=LEASE_SECONDS
    )


if __name__ == "__main__":
    sys.exit(main())
