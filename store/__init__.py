"""store: the only door to the database.

``store.db`` opens engines and sessions; ``store.models`` is the domain;
the other modules are the queries the rest of veille may run. No SQL (and no
``select()``) is written outside this package.
"""

from __future__ import annotations

from store.db import ensure_schema, get_engine, insert_ignore, session_scope, upgrade

__all__ = ["ensure_schema", "get_engine", "insert_ignore", "session_scope", "upgrade"]
