"""Leadership: at most one active scheduler per database.

PostgreSQL: a session-level advisory lock held on a dedicated connection.
The server drops the lock when that connection dies (process killed, host
gone: TCP keepalives detect it within about 30 s), so a standby that polls
takes over by itself. The lock key is derived from the schema name, so
several installations (or test schemas) in one database do not contend.

SQLite: an OS file lock (``filelock``) next to the database file; the kernel
releases it when the process dies.

The lease is the first line of defence; the UNIQUE ``(job, tick)`` claim in
:mod:`store.runs` is the second, for the seconds of a handover.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from store.db import normalise_url

log = logging.getLogger(__name__)

LOCK_NAME = "veille.scheduler"
#: The advisory lock key: the lock name and the schema, hashed by the server.
_KEY = "hashtext(:name || '/' || coalesce(current_schema(), ''))"


class Lease(Protocol):
    """What the scheduler needs from a leadership mechanism."""

    description: str

    def acquire(self) -> bool:
        """Try once, without waiting; ``True`` when this process is now the leader."""
        ...

    def held(self) -> bool:
        """Whether the lease is still ours (checked periodically by the leader)."""
        ...

    def release(self) -> None:
        """Give the lease up (idempotent)."""
        ...


class PostgresLease:
    """``pg_try_advisory_lock`` on a connection kept open for as long as we lead."""

    def __init__(self, url: str, name: str = LOCK_NAME) -> None:
        self._url = normalise_url(url)
        self._name = name
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._backend_pid: int | None = None
        self.description = f"PostgreSQL advisory lock {name!r}"

    def _connect(self) -> Connection:
        if self._engine is None:
            # NullPool: the lock lives and dies with exactly this connection.
            self._engine = create_engine(
                self._url,
                poolclass=NullPool,
                connect_args={
                    "application_name": "veille-scheduler",
                    "keepalives": 1,
                    "keepalives_idle": 10,
                    "keepalives_interval": 5,
                    "keepalives_count": 3,
                },
            )
        return self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def acquire(self) -> bool:
        if self._conn is not None and self.held():
            return True
        self._drop()
        try:
            conn = self._connect()
            got = bool(
                conn.execute(
                    text(f"SELECT pg_try_advisory_lock({_KEY})"),
                    {"name": self._name},
                ).scalar()
            )
        except Exception as exc:  # the database may be down: stay standby
            log.warning("cannot reach PostgreSQL for the scheduler lock: %s", exc)
            self._drop()
            return False
        if got:
            self._conn = conn
            self._backend_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        else:
            conn.close()
        return got

    @property
    def backend_pid(self) -> int | None:
        """The server process holding our lock (logs, diagnostics)."""
        return self._backend_pid

    def held(self) -> bool:
        if self._conn is None:
            return False
        try:
            count = self._conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND granted AND pid = pg_backend_pid()"
                )
            ).scalar()
        except Exception as exc:
            log.error("scheduler lock connection lost: %s", exc)
            self._drop()
            return False
        return bool(count)

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(
                    text(f"SELECT pg_advisory_unlock({_KEY})"),
                    {"name": self._name},
                )
            except Exception as exc:  # closing the connection releases it anyway
                log.debug("advisory unlock failed: %s", exc)
        self._drop()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception as exc:
                log.debug("closing the lock connection failed: %s", exc)
            self._conn = None
            self._backend_pid = None


class FileLease:
    """An exclusive OS lock on ``<database>.scheduler.lock``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path), thread_local=False)
        self.description = f"file lock {path}"

    def acquire(self) -> bool:
        if self._lock.is_locked:
            return True
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def held(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)


def lease_for(url: str) -> Lease:
    """The leadership mechanism that fits the database behind ``url``."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            raise ValueError("the scheduler needs a file or server database, not :memory:")
        return FileLease(
            Path(database).resolve().with_name(Path(database).name + ".scheduler.lock")
        )
    if parsed.get_backend_name() == "postgresql":
        return PostgresLease(url)
    raise ValueError(f"unsupported database for the scheduler: {parsed.get_backend_name()}")
