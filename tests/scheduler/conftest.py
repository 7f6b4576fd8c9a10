"""Fixtures for the scheduler tests: a veille.toml on the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.toml_text import toml_value

ConfigWriter = Callable[..., Path]


@pytest.fixture
def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ConfigWriter:
    """Write ``veille.toml`` pointing at ``url``; DATABASE_URL is removed so the file wins.

    (The db_url fixture has already read DATABASE_URL; left set, it would send
    the scheduler to the ``public`` schema instead of the test's own.)
    """
    monkeypatch.delenv("DATABASE_URL", raising=False)

    def _write(url: str, sources: list[dict[str, Any]] | None = None, **schedule: Any) -> Path:
        lines = [
            f"database_url = {toml_value(url)}",
            f"output_dir = {toml_value(str(tmp_path / 'out'))}",
            "",
            "[institution]",
            'slug = "univ-exemple"',
            'name = "Université Exemple"',
            "",
            "[schedule]",
            *(f"{k} = {toml_value(v)}" for k, v in schedule.items()),
        ]
        for source in sources or []:
            lines += ["", "[[sources]]", *(f"{k} = {toml_value(v)}" for k, v in source.items())]
        path = tmp_path / "veille.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return _write


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


class Service:
    """A real scheduler process started through tests/scheduler/run_service.py."""

    def __init__(
        self, config: Path, mode: str, *args: str, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.log_path = log
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("run_service.py")),
                str(config),
                mode,
                *args,
            ],
            cwd=REPO_ROOT,
            env={**child_env(), **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def terminate(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Start scheduler processes; every one is killed at teardown."""
    started: list[Service] = []

    def _start(config: Path, mode: str, *args: str, env: dict[str, str] | None = None) -> Service:
        """``env`` adds variables, e.g. ``VEILLE_HOSTNAME`` to play another host."""
        log = tmp_path / f"service{len(started)}.log"
        service = Service(config, mode, *args, log=log, env=env)
        started.append(service)
        return service

    yield _start
    for service in started:
        service.close()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
