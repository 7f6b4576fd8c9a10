"""Process control, in one place: signals, child processes, dying with the parent.

Used by the scheduler (crawl children), the web source (its scrapy child)
and ``veille crawl`` (SIGTERM = finish the batch, then exit 0). Linux only
where it must be (``PR_SET_PDEATHSIG``); elsewhere the same calls degrade to
plain subprocess handling.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _libc_prctl() -> Any:
    """``prctl`` from libc, looked up once in the parent (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        return None


_PRCTL = _libc_prctl()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGKILL when its parent dies (or ``None``).

    Linux ties this to the *thread* that started the child: start children
    from a thread that outlives them (the main thread, or the thread that
    waits for the child).
    """
    return _die_with_parent if _PRCTL is not None else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def stop_on_signals(
    stop: threading.Event, what: str = "finishing the current batch"
) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` while inside (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _handler(signum: int, _frame: Any) -> None:
        log.info("received %s: %s, then exiting", signal.Signals(signum).name, what)
        stop.set()

    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def kill_group(proc: subprocess.Popen[Any], sig: int) -> None:
    """Signal ``proc``'s whole process group (it was started in a session of its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


@dataclass
class ChildResult:
    """How a supervised child ended."""

    returncode: int
    output: str
    #: Killed because it ran past its timeout.
    timed_out: bool = False
    #: Asked to stop (SIGTERM) before it ended by itself.
    stopped: bool = False
    #: Killed at once because its supervisor had to stop acting (lost lease).
    killed: bool = False

    @property
    def tail(self) -> str:
        return self.output[-1500:].strip()


def run_child(
    argv: Sequence[str],
    *,
    timeout: float,
    stop: threading.Event,
    kill: threading.Event | None = None,
    stop_grace: float = 60.0,
    env: Mapping[str, str] | None = None,
    poll: float = 0.2,
) -> ChildResult:
    """Run ``argv`` in its own process group and supervise it until it ends.

    * ``stop`` set: the group gets SIGTERM (finish the current batch, save,
      exit 0) and ``stop_grace`` seconds before SIGKILL;
    * ``kill`` set: SIGKILL at once (the supervisor may no longer act);
    * past ``timeout``: SIGKILL, ``timed_out``;
    * the child gets SIGKILL if this process dies (``PR_SET_PDEATHSIG``).
    """
    with tempfile.TemporaryFile() as output:
        proc = subprocess.Popen(  # noqa: S603 - argv built by the caller, no shell
            list(argv),
            stdout=output,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        deadline = time.monotonic() + timeout
        result = ChildResult(returncode=0, output="")
        while True:
            try:
                result.returncode = proc.wait(timeout=poll)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if kill is not None and kill.is_set():
                kill_group(proc, signal.SIGKILL)
                result.returncode, result.killed = proc.wait(), True
                break
            if now > deadline:
                kill_group(proc, signal.SIGKILL)
                result.returncode, result.timed_out = proc.wait(), True
                break
            if stop.is_set() and not result.stopped:
                kill_group(proc, signal.SIGTERM)
                result.stopped = True
                deadline = min(deadline, now + stop_grace)
        output.seek(0)
        result.output = output.read().decode("utf-8", "replace")
    return result
