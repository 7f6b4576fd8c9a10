"""Shared fixtures: real databases, the recorded fixtures folder, settings.

``db_url`` gives a migrated, empty database: SQLite always, and the real
PostgreSQL (a throwaway schema per test) when ``DATABASE_URL`` is set. Tests
that take it run once per backend; the test id says which.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import hypothesis
import pytest
from sqlalchemy import create_engine, text

from store.db import dispose_engines, normalise_url, upgrade
from veille.config import Settings, settings_from_dict

REPO_ROOT = Path(__file__).resolve().parents[1]
#: The real recorded responses and pages the tests replay, vendored in the repository
#: (trimmed, each folder with its SOURCES.md): the suite reads nothing outside the checkout.
FIXTURES = REPO_ROOT / "tests" / "fixtures"

# Property tests check properties, not speed: on a busy two-core CI machine a slow example or
# a slow data generation must not fail the run (timings belong in benchmarks/).
hypothesis.settings.register_profile(
    "veille",
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.data_too_large],
)
hypothesis.settings.load_profile("veille")


def postgres_base_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "").strip()
    return normalise_url(url) if url.startswith("postgres") else None


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'veille.db'}"
    upgrade(url)
    yield url
    dispose_engines()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = postgres_base_url()
    if base is None:
        pytest.skip("DATABASE_URL is not set to a PostgreSQL server")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    try:
        upgrade(url)
        yield url
    finally:
        dispose_engines()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated empty database, once per backend."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def english_messages() -> Iterator[None]:
    """The library's messages in English (the ``en`` locale) for tests that assert their text;
    a command chooses its own language when it runs (French without a ``locale`` setting)."""
    from veille.i18n import set_locale

    set_locale("en")
    yield
    set_locale("fr")


def make_settings(**overrides: object) -> Settings:
    """A small valid configuration for tests; override any top-level key."""
    data: dict[str, object] = {
        "institution": {
            "slug": "univ-exemple",
            "name": "Université Exemple",
            "aliases": ["UnivEx"],
            "handles": {"twitter": ["univ_exemple"]},
        },
        "peers": [{"slug": "univ-voisine", "name": "Université Voisine"}],
        "allow_private_addresses": True,
    }
    data.update(overrides)
    return settings_from_dict(data)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    s = make_settings(output_dir=str(tmp_path / "out"))
    s.database_url = db_url
    return s


def pytest_report_header(config: pytest.Config) -> str:
    base = postgres_base_url()
    if base is None:
        return "database backends: sqlite only (set DATABASE_URL for PostgreSQL)"
    from sqlalchemy.engine import make_url

    shown = make_url(base).render_as_string(hide_password=True)
    return f"database backends: sqlite + postgresql ({shown})"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many database tests really ran on each backend."""
    counts = {"sqlite": 0, "postgresql": 0}
    for report in terminalreporter.stats.get("passed", []):
        for backend in counts:
            if f"[{backend}" in report.nodeid:
                counts[backend] += 1
    terminalreporter.write_line(
        f"database tests passed: sqlite={counts['sqlite']} postgresql={counts['postgresql']}"
    )
