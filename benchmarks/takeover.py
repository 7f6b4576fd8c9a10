"""How long a standby takes to lead when the leader dies, and when it only goes silent.

Two real ``veille schedule`` processes on one PostgreSQL database, with the
production lease (``schedule.lease_seconds`` = 15 s, renewed every 5 s,
standby poll 2 s) and a job every second. Baseline: the leader is killed -9
(what the advisory lock of earlier versions handled in ~3 s). Measured: the
leader's network goes silent behind a frozen TCP proxy, sockets open, no
bytes (what the advisory lock never noticed: no takeover within 245 s). The
figure is the gap between the last tick the old leader ran and the first the
new one ran; the issue's bound is 60 s.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        /work/main/.venv/bin/python benchmarks/takeover.py [--lease 30] [--rounds 1]

Ends with ``ratio: silent / killed`` (1.0 = silence costs no more than death).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from store.db import normalise_url, upgrade  # noqa: E402
from tests.scheduler.proxy import FreezableProxy  # noqa: E402

LIMIT_S = 60.0
#: The real service with a 1 s probe job (its lease and polls from the environment).
SERVICE = ROOT / "tests" / "scheduler" / "run_service.py"


def _trace(path: Path) -> list[tuple[datetime, int]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        event, tick, pid, *_ = line.split()
        if event == "start":
            rows.append((datetime.fromisoformat(tick), int(pid)))
    return rows


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def _config(folder: Path, url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "veille.toml"
    path.write_text(
        f'database_url = "{url}"\noutput_dir = "{folder / "out"}"\n'
        '[institution]\nslug = "bench"\nname = "Université Exemple"\n',
        encoding="utf-8",
    )
    return path


def _service(
    config: Path, trace: Path, host: str, lease: float, log: Path
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {
        "PYTHONPATH": str(ROOT),
        "VEILLE_HOSTNAME": host,
        "VEILLE_TEST_LEASE_SECONDS": str(lease),
    }
    out = log.open("ab")
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests/scheduler/run_service.py"),
            str(config),
            "probe",
            str(trace),
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def takeover(url: str, work: Path, lease: float, silent: bool) -> float:
    """Seconds between the old leader's last tick and the new leader's first."""
    proxy = FreezableProxy() if silent else None
    trace = work / "probe.txt"
    a = _service(
        _config(work / "a", proxy.url(url) if proxy else url), trace, "a", lease, work / "a.log"
    )
    try:
        _wait(lambda: any(p == a.pid for _, p in _trace(trace)), 120, "the first leader")
        b = _service(_config(work / "b", url), trace, "b", lease, work / "b.log")
        try:
            time.sleep(8)  # b stands by, a has renewed its lease a few times
            if proxy is not None:
                proxy.freeze()
            else:
                a.send_signal(signal.SIGKILL)
            _wait(lambda: any(p == b.pid for _, p in _trace(trace)), 3 * LIMIT_S, "the standby")
            ticks = _trace(trace)
            last_a = max(t for t, p in ticks if p == a.pid)
            first_b = min(t for t, p in ticks if p == b.pid)
            return (first_b - last_a).total_seconds()
        finally:
            b.kill()
            b.wait()
    finally:
        a.kill()
        a.wait()
        if proxy is not None:
            proxy.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lease", type=float, default=15.0, help="schedule.lease_seconds")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    base = normalise_url(base)
    admin = create_engine(base)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    killed: list[float] = []
    silent: list[float] = []
    try:
        upgrade(url)
        for _ in range(args.rounds):
            for is_silent, results in ((False, killed), (True, silent)):
                with admin.begin() as conn:
                    conn.execute(text(f'TRUNCATE "{schema}".job_run, "{schema}".scheduler_lease'))
                with tempfile.TemporaryDirectory() as work:
                    results.append(takeover(url, Path(work), args.lease, is_silent))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    loadavg = Path("/proc/loadavg")
    load = loadavg.read_text().split()[0] if loadavg.exists() else "?"
    print(
        f"lease {args.lease:g} s, standby poll 2 s, renewal every {args.lease / 3:g} s; load {load}"
    )
    print(f"leader killed -9 (baseline): takeover {', '.join(f'{s:.1f}' for s in killed)} s")
    print(f"leader silent (frozen proxy): takeover {', '.join(f'{s:.1f}' for s in silent)} s")
    worst = max(silent + killed)
    print(
        f"worst: {worst:.1f} s (limit {LIMIT_S:.0f} s): {'ok' if worst < LIMIT_S else 'TOO SLOW'}"
    )
    print(f"ratio: {max(silent) / max(killed):.2f}")


if __name__ == "__main__":
    main()
