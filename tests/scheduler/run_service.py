"""Test helper: start the real scheduler service with test jobs.

Usage: ``run_service.py CONFIG MODE [ARG]`` where MODE is ``probe PATH``
(a 1 s probe job), ``slowprobe PATH`` (a probe whose batch takes 3 s) or
``crawl`` (crawl every 3 s with tests/scheduler/crawl_script.py for every
configured source). Polls and the lease are short so takeovers are quick
in tests: a killed or silent leader is replaced within LEASE_SECONDS + 0.5 s.
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import scheduler
from veille.config import load_settings

#: The leader's lease in these tests (30 s in production).
LEASE_SECONDS = 5.0


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
    else:
        jobs = [
            scheduler.crawl_job(
                s.name, 3, tz, timeout=60, argv="tests.scheduler.helpers:crawl_script_argv"
            )
            for s in settings.sources
        ]
    return scheduler.serve(
        config, jobs=jobs, poll_seconds=0.5, check_seconds=0.5, lease_seconds=LEASE_SECONDS
    )


if __name__ == "__main__":
    sys.exit(main())
