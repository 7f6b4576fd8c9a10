"""One leadership term: keeping the lease, and knowing when to stop acting.

The term's keeper renews the lease every ``renew_every`` seconds in its own
thread. The leader may act until ``sent + ttl - margin``, where ``sent`` is
the local monotonic time at which the last successful renewal was *sent*:
the database wrote an expiry of at least (its time at sending) + ``ttl``,
so a leader that stops acting by then never overlaps a successor, however
long the network stays silent. The margin absorbs clock-rate drift and the
time it takes to stop (killing child processes).

Jobs watch two flags: ``stop`` (finish the current batch: SIGTERM or a lost
lease) and ``fence`` (lost lease: child processes are killed at once).
"""

from __future__ import annotations

import logging
import threading
import time

from store.lease import DatabaseLease, Term

log = logging.getLogger(__name__)

#: Share of the lease a leader gives up to be sure it stops before its lease expires.
FENCE_MARGIN = 0.15
#: After a failed renewal, the next try comes this soon.
RETRY_SECONDS = 1.0


class Leadership:
    """The state of one term, shared by the service loop, the keeper and the jobs."""

    def __init__(self, lease: DatabaseLease, renew_every: float) -> None:
        if lease.term is None:
            raise ValueError("a leadership term starts with an acquired lease")
        self.lease = lease
        self.term: Term = lease.term
        self.renew_every = renew_every
        self.margin = lease.ttl * FENCE_MARGIN
        self.stop = threading.Event()
        self.fence = threading.Event()
        self._closed = threading.Event()
        self._valid_until = lease.sent_at + lease.ttl - self.margin
        self._thread = threading.Thread(target=self._keep, name="veille-lease", daemon=True)

    @property
    def host(self) -> str:
        return self.term.host

    def start(self) -> Leadership:
        self._thread.start()
        return self

    def valid(self) -> bool:
        """Whether this leader may still act (start a run, let one go on)."""
        return not self.fence.is_set() and time.monotonic() < self._valid_until

    def remaining(self) -> float:
        return self._valid_until - time.monotonic()

    def _keep(self) -> None:
        wait = self.renew_every
        while not self._closed.wait(wait):
            if self.fence.is_set():
                return
            if self.lease.renew():
                self._valid_until = self.lease.sent_at + self.lease.ttl - self.margin
                wait = self.renew_every
            elif self.lease.term is None:  # taken over: stop acting now
                self._valid_until = 0.0
                return
            else:  # unreachable for now: try again soon, the lease is still running
                wait = min(self.renew_every, RETRY_SECONDS)

    def fence_now(self, why: str) -> None:
        """Stop acting at once: no new run starts, child processes are killed."""
        if not self.fence.is_set():
            log.error("fencing term %d: %s", self.term.generation, why)
        self.fence.set()
        self.stop.set()

    def close(self, wait: bool = False) -> None:
        """Stop renewing (the caller then releases or forgets the lease).

        ``wait``: until a renewal under way has answered or given up (bounded).
        """
        self._closed.set()
        if wait and self._thread.is_alive():
            self._thread.join(self.lease.timeout + 1.0)
