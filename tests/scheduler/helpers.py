"""Test-only job bodies and crawl commands for the scheduler tests.

These are NOT fakes of product code: the scheduler's run log, lease, job store
and subprocess handling are all real. They only replace what the scheduler
*calls* (a crawl command, a stage) with small observable programs.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from scheduler import JobEnv, Outcome
from veille.stages import StageContext, StageResult

HERE = Path(__file__).resolve().parent


def probe_body(env: JobEnv, path: str, sleep: float = 0.0) -> Outcome:
    """Append one line per execution: the body-level count the run log is checked against."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"start {env.tick} {os.getpid()}\n".encode())
        deadline = time.monotonic() + sleep
        while time.monotonic() < deadline:  # a "batch" that cannot be interrupted
            time.sleep(0.05)
        os.write(fd, f"end {env.tick} {os.getpid()} stop={env.stop.is_set()}\n".encode())
    finally:
        os.close(fd)
    return Outcome(counts={"probed": 1})


def crawl_script_argv(config_path: Path, source: str) -> list[str]:
    """Run tests/scheduler/crawl_script.py, which stores mentions batch by batch."""
    return [sys.executable, str(HERE / "crawl_script.py"), str(config_path), source]


def hang_argv(config_path: Path, source: str) -> list[str]:
    """A crawl that never ends (timeout test); it records its pid and its child's."""
    pidfile = config_path.parent / f"{source}.pids"
    code = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pidfile)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(120)\n"
    )
    return [sys.executable, "-c", code]


def crawl_id_argv(config_path: Path, source: str) -> list[str]:
    """A crawl that only records the crawl id the scheduler gave it."""
    out = config_path.parent / f"{source}.crawl-ids"
    code = f"import os; open({str(out)!r}, 'a').write(os.environ['VEILLE_CRAWL_ID'] + '\\n')"
    return [sys.executable, "-c", code]


def failing_argv(config_path: Path, source: str) -> list[str]:
    return [sys.executable, "-c", "import sys; print('boom: no route to host'); sys.exit(3)"]


def counting_stage(ctx: StageContext) -> StageResult:
    stop = ctx.options["stop"]
    assert isinstance(stop, threading.Event)
    return StageResult(counts={"processed": 3, "scheduled": int(bool(ctx.options["scheduled_at"]))})


def broken_stage(ctx: StageContext) -> StageResult:
    raise RuntimeError("model exploded")
