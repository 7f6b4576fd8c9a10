"""The only place that opens database connections and sessions.

Everything else receives a :class:`sqlmodel.Session` from :func:`session_scope`
or calls a function of a ``store`` module. SQLite is the embedded default
(WAL, foreign keys on, busy timeout so the scheduler and the CLI can share
it); ``DATABASE_URL`` switches to PostgreSQL through psycopg 3.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use psycopg 3 for both."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


#: Set on every PostgreSQL session, server side. The server's own TCP keepalives
#: decide when it gives up on a client whose host vanished or whose network was
#: cut, and so when that client's locks and open transaction go away: with the
#: system defaults that takes over two hours, here about 30 seconds. A client
#: that stays connected but silent inside a transaction (a frozen process or
#: proxy) is cut after ``idle_in_transaction_session_timeout``.
PG_SESSION_SETTINGS: dict[str, str] = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "30000",
    "idle_in_transaction_session_timeout": "900000",
}


def _pg_session_settings(dbapi_conn: Any, _record: Any) -> None:
    """Apply :data:`PG_SESSION_SETTINGS` (``SET`` works for any role, unlike ``ALTER ROLE``)."""
    cur = dbapi_conn.cursor()
    cur.execute("; ".join(f"SET {name} = {value}" for name, value in PG_SESSION_SETTINGS.items()))
    cur.close()
    dbapi_conn.commit()


def pg_connect_hook(engine: Engine) -> None:
    """Give every new PostgreSQL connection of ``engine`` :data:`PG_SESSION_SETTINGS`."""
    event.listen(engine, "connect", _pg_session_settings)


_ENGINES: dict[str, Engine] = {}


def get_engine(url: str) -> Engine:
    """One engine per URL per process (engines own connection pools)."""
    url = normalise_url(url)
    engine = _ENGINES.get(url)
    if engine is not None:
        return engine
    if url.startswith("sqlite"):
        db_path = make_url(url).database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.name == "postgresql":
            pg_connect_hook(engine)
    _ENGINES[url] = engine
    return engine


def dispose_engines() -> None:
    """Close pooled connections and forget engines (tests, forked workers)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    This is what makes imports all-or-nothing: callers do all their writes
    inside one scope.
    """
    session = Session(get_engine(url), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def autocommit_session(url: str) -> Iterator[Session]:
    """A session whose every statement commits on its own (one round trip each).

    For the scheduler's bookkeeping: a process that goes silent between two
    round trips of a transaction would leave row locks behind; a single
    autocommitted statement either happened or did not.
    """
    with get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        session = Session(bind=conn, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()


def insert_ignore(
    session: Session,
    model: type[SQLModel],
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Iterable[str] | None = None,
) -> int:
    """Insert rows, silently skipping those that hit a unique constraint.

    Returns the number of rows actually inserted. Used by every ingestion
    path so that re-running a crawl or import is a no-op.
    """
    if not rows:
        return 0
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = pg_insert(table).values(list(rows))
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict_columns or []) or None)
    elif dialect == "sqlite":
        stmt = sqlite_insert(table).values(list(rows))
        stmt = stmt.on_conflict_do_nothing()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        stmt = insert(table).values(list(rows))
    # rowcount is unreliable for multi-row inserts (psycopg reports -1);
    # RETURNING the key counts exactly the rows that went in, on both backends.
    key = next(iter(table.primary_key.columns))
    return len(session.execute(stmt.returning(key)).all())


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (``veille db upgrade``)."""
    from alembic import command

    import store.models  # noqa: F401  (register tables on the metadata)

    command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_schema(url: str) -> None:
    """Upgrade to head if needed; cheap when already there."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if current_revision(url) != head:
        log.info("upgrading database schema to %s", head)
        upgrade(url)
