"""Leadership: at most one active scheduler per database, even across silent networks.

The lease is a row of ``scheduler_lease`` with an expiry written by the
database's own clock. The leader renews it every few seconds; any other
scheduler takes it over once it has expired, whatever happened to the
leader: killed, its host gone, or its network silent (a partition or a
frozen proxy keeps sockets open and sends nothing, which no connection-bound
lock notices: the old advisory lock stayed held for the server's TCP
keepalive time, over two hours).

Every takeover adds one to ``generation``, the *fencing token*: run claims
(:func:`store.runs.start_run`) only succeed while the claimer's
``(holder, generation)`` still holds an unexpired lease, checked by the
database in the same statement, so a leader that lost its lease cannot
start anything even if its own clock or threads lag. The leader also fences
itself (:mod:`veille.service.leader`): it stops acting before the lease
can expire in the database, measured on its own monotonic clock from the
moment it *sent* its last successful renewal.

Works the same on SQLite (one host: the "database clock" is the host's) and
PostgreSQL. Every operation is one autocommitted statement on a fresh
connection, bounded in time, so a silent network can delay an answer but
never leave a lock behind or block the caller.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Float, create_engine, event, exists, extract, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import ColumnElement

from store.db import normalise_url, pg_connect_hook
from store.models import SchedulerLease

log = logging.getLogger(__name__)

LOCK_NAME = "veille.scheduler"
#: Default lease length: a silent leader is replaced within this plus a standby poll.
DEFAULT_LEASE_SECONDS = 15.0

T = TypeVar("T")


_LEASE = SchedulerLease.__table__  # type: ignore[attr-defined]


def db_now(dialect: str) -> ColumnElement[float]:
    """The database clock, in seconds since the epoch."""
    if dialect == "postgresql":
        return func.cast(extract("epoch", func.clock_timestamp()), Float)
    return (func.julianday("now") - 2440587.5) * 86400.0


def lease_valid(term: Term, dialect: str) -> ColumnElement[bool]:
    """``EXISTS``: ``term`` still holds its lease, on the database's clock (the fence)."""
    return exists().where(
        _LEASE.c.name == term.name,
        _LEASE.c.holder == term.holder,
        _LEASE.c.generation == term.generation,
        _LEASE.c.expires_at > db_now(dialect),
    )


@dataclass(frozen=True)
class Term:
    """One leadership term: who holds the lease, with which fencing token."""

    name: str
    holder: str
    host: str
    pid: int
    generation: int
    #: When the first scheduler ever took this lease (database clock, epoch seconds).
    created_at: float


class LeaseTimeout(Exception):
    """A lease operation got no answer in time (silent network)."""


def bounded(fn: Callable[[], T], timeout: float, what: str) -> T:
    """Run ``fn`` in a daemon thread; :class:`LeaseTimeout` if it has not answered in time.

    A statement on a connection whose peer went silent blocks until TCP gives
    up (minutes to hours). The caller must stay in control of its own
    deadlines, so the call is abandoned: its connection is its own (fresh,
    never pooled) and dies with it.
    """
    result: list[T] = []
    error: list[BaseException] = []

    def _target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # handed to the caller's thread
            error.append(exc)

    thread = threading.Thread(target=_target, name=f"veille-lease-{what}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise LeaseTimeout(f"{what}: no answer from the database within {timeout:.1f} s")
    if error:
        raise error[0]
    return result[0]


class DatabaseLease:
    """The scheduler's lease on one database (one schema on PostgreSQL).

    Holds at most one :class:`Term` at a time; ``acquire``/``renew``/
    ``release`` each make one bounded round trip. ``sent_at`` is the local
    monotonic time at which the last successful acquire or renewal was sent.
    """

    def __init__(
        self,
        url: str,
        *,
        host: str,
        pid: int | None = None,
        ttl: float = DEFAULT_LEASE_SECONDS,
        timeout: float | None = None,
        name: str = LOCK_NAME,
    ) -> None:
        self._url = normalise_url(url)
        parsed = make_url(self._url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite" and (not parsed.database or parsed.database == ":memory:"):
            raise ValueError("the scheduler needs a file or server database, not :memory:")
        if self.dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database for the scheduler: {self.dialect}")
        self.name = name
        self.host = host
        self.pid = pid if pid is not None else os.getpid()
        self.holder = f"{host}/{self.pid}/{uuid.uuid4().hex[:8]}"
        self.ttl = float(ttl)
        #: How long one operation may take before it counts as failed.
        self.timeout = float(timeout) if timeout is not None else max(1.0, min(5.0, ttl / 5))
        self.term: Term | None = None
        self.sent_at = 0.0
        self.description = f"lease {name!r} ({ttl:g} s) in the database"
        self._engine: Engine | None = None

    # -- connections ------------------------------------------------------------------

    def _engine_(self) -> Engine:
        if self._engine is None:
            if self.dialect == "postgresql":
                ms = int(self.timeout * 1000)
                self._engine = create_engine(
                    self._url,
                    poolclass=NullPool,
                    connect_args={
                        "application_name": "veille-scheduler",
                        "connect_timeout": max(2, int(self.timeout + 0.999)),
                    },
                )
                pg_connect_hook(self._engine)
                event.listen(self._engine, "connect", _pg_timeouts(ms))
            else:
                self._engine = create_engine(
                    self._url, poolclass=NullPool, connect_args={"timeout": self.timeout}
                )
        return self._engine

    def _run(self, what: str, fn: Callable[[Connection], T]) -> T:
        def _op() -> T:
            with self._engine_().connect() as conn:
                return fn(conn.execution_options(isolation_level="AUTOCOMMIT"))

        return bounded(_op, self.timeout, what)

    # -- the lease -----------------------------------------------------------------------

    def acquire(self) -> bool:
        """Try once, without waiting: ``True`` when this process now leads (new term).

        Succeeds when nobody holds the lease, it was released, or it expired
        on the database's clock. Errors and silence count as "not now".
        """
        if self.term is not None:
            return self.renew()
        sent = time.monotonic()
        try:
            row = self._run("acquire", self._acquire)
        except Exception as exc:
            log.warning("cannot take the scheduler lease now: %s", exc)
            return False
        if row is None:
            return False
        generation, created_at = row
        self.term = Term(self.name, self.holder, self.host, self.pid, generation, created_at)
        self.sent_at = sent
        return True

    def _acquire(self, conn: Connection) -> tuple[int, float] | None:
        now = db_now(self.dialect)
        insert = pg_insert(_LEASE) if self.dialect == "postgresql" else sqlite_insert(_LEASE)
        conn.execute(
            insert.values(
                name=self.name,
                holder="",
                host="",
                pid=None,
                generation=0,
                renewed_at=0.0,
                expires_at=0.0,
                created_at=now,
            ).on_conflict_do_nothing(index_elements=["name"])
        )
        row = conn.execute(
            update(_LEASE)
            .where(
                _LEASE.c.name == self.name, or_(_LEASE.c.holder == "", _LEASE.c.expires_at <= now)
            )
            .values(
                holder=self.holder,
                host=self.host,
                pid=self.pid,
                generation=_LEASE.c.generation + 1,
                renewed_at=now,
                expires_at=now + self.ttl,
            )
            .returning(_LEASE.c.generation, _LEASE.c.created_at)
        ).first()
        return (int(row[0]), float(row[1])) if row is not None else None

    def renew(self) -> bool:
        """Extend the current term; ``False`` if it was taken over or cannot be reached."""
        term = self.term
        if term is None:
            return False
        sent = time.monotonic()
        try:
            ok = self._run("renew", lambda conn: self._renew(conn, term))
        except Exception as exc:
            log.warning("cannot renew the scheduler lease: %s", exc)
            return False
        if ok:
            self.sent_at = sent
        else:
            log.error("the scheduler lease was taken over (generation %d)", term.generation)
            self.term = None
        return ok

    def _renew(self, conn: Connection, term: Term) -> bool:
        now = db_now(self.dialect)
        row = conn.execute(
            update(_LEASE)
            .where(*_mine(term))
            .values(renewed_at=now, expires_at=now + self.ttl)
            .returning(_LEASE.c.generation)
        ).first()
        return row is not None

    def held(self) -> bool:
        """Whether this process holds a term (its own view; see :meth:`renew`)."""
        return self.term is not None

    def release(self) -> None:
        """Give the lease up at once so that a standby leads at its next poll (idempotent)."""
        term, self.term = self.term, None
        if term is None:
            return
        try:
            self._run(
                "release",
                lambda conn: conn.execute(
                    update(_LEASE)
                    .where(*_mine(term))
                    .values(holder="", expires_at=db_now(self.dialect))
                ),
            )
        except Exception as exc:  # it will expire by itself
            log.warning("could not release the scheduler lease (it expires in time): %s", exc)

    def forget(self) -> None:
        """Drop the term without telling the database (it was lost; the lease expires)."""
        self.term = None

    def close(self) -> None:
        self.release()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def current(self) -> dict[str, Any] | None:
        """The lease row as the database sees it, with ``expires_in`` (diagnostics, tests)."""

        def _read(conn: Connection) -> dict[str, Any] | None:
            row = (
                conn.execute(
                    select(
                        _LEASE.c.holder,
                        _LEASE.c.host,
                        _LEASE.c.pid,
                        _LEASE.c.generation,
                        _LEASE.c.expires_at,
                        _LEASE.c.created_at,
                        (_LEASE.c.expires_at - db_now(self.dialect)).label("expires_in"),
                    ).where(_LEASE.c.name == self.name)
                )
                .mappings()
                .first()
            )
            return dict(row) if row is not None else None

        return self._run("read", _read)


def _mine(term: Term) -> tuple[ColumnElement[bool], ...]:
    return (
        _LEASE.c.name == term.name,
        _LEASE.c.holder == term.holder,
        _LEASE.c.generation == term.generation,
    )


def _pg_timeouts(ms: int) -> Callable[[Any, Any], None]:
    """No lease statement waits on a lock or runs longer than one operation may take."""

    def _set(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"SET lock_timeout = {ms}; SET statement_timeout = {ms}")
        cur.close()
        dbapi_conn.commit()

    return _set


def lease_for(
    url: str,
    *,
    host: str | None = None,
    ttl: float = DEFAULT_LEASE_SECONDS,
    timeout: float | None = None,
) -> DatabaseLease:
    """The scheduler lease of the database behind ``url``."""
    from store.runs import host_name

    return DatabaseLease(url, host=host or host_name(), ttl=ttl, timeout=timeout)
