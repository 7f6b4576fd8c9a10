"""LinkedIn Connections.csv import: notes lines, BOM, all-or-nothing with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from crawlers.linkedin_export import parse_connections
from store.db import session_scope
from store.models import ProfileSnapshot
from veille.cli import app
from veille.cli._common import state
from veille.errors import ImportFileError

NOTES = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses '
    'are missing. You will only see email addresses for connections who have allowed it."\n'
    "\n"
)
HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
ROWS = (
    "Camille,Lefort,https://www.linkedin.com/in/camille-lefort-test,,Institut Exemple,"
    "Directrice générale,12 Jan 2024\n"
    'Jordan,Smith,https://www.linkedin.com/in/jordan-smith-test,jordan@example.org,"Example Labs, '
    'Inc.",CTO,03 Mar 2025\n'
)


def test_parse_real_export_shape_with_bom() -> None:
    data = ("\ufeff" + NOTES + HEADER + ROWS).encode("utf-8")
    snaps = parse_connections(data)
    assert [s.person["name"] for s in snaps] == ["Camille Lefort", "Jordan Smith"]
    jordan = snaps[1].person
    assert jordan["employer"] == "Example Labs, Inc."
    assert jordan["job_title"] == "CTO"
    assert jordan["email"] == "jordan@example.org"
    assert jordan["same_as"] == ["https://www.linkedin.com/in/jordan-smith-test"]
    assert snaps[1].method == "linkedin_export"
    assert snaps[1].raw["connected_on"] == "2025-03-03"
    assert snaps[1].profile_key == "linkedin:https://www.linkedin.com/in/jordan-smith-test"
    # without BOM and without notes: same content, same hashes
    again = parse_connections((HEADER + ROWS).encode("utf-8"))
    assert [s.content_hash for s in again] == [s.content_hash for s in snaps]


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("Ana,Bad,https://www.linkedin.com/in/ana,,Acme,Engineer\n", "expected 7 columns"),
        (",,https://www.linkedin.com/in/nobody,,Acme,Engineer,01 Feb 2024\n", "neither"),
        ("Ana,Bad,not-a-url,,Acme,Engineer,01 Feb 2024\n", "not a web address"),
        ("Ana,Bad,https://www.linkedin.com/in/ana,,Acme,Engineer,yesterday\n", "Connected On"),
    ],
)
def test_bad_line_is_reported_with_its_number(bad_row: str, message: str) -> None:
    data = (NOTES + HEADER + ROWS + bad_row).encode("utf-8")
    with pytest.raises(ImportFileError, match=message) as exc:
        parse_connections(data)
    # 3 notes lines + header + 2 rows -> the bad row is physical line 7
    assert exc.value.line == 7
    assert str(exc.value).startswith("line 7:")


def test_not_an_export() -> None:
    with pytest.raises(ImportFileError, match="First Name"):
        parse_connections(b"name,company\nA,B\n")
    with pytest.raises(ImportFileError, match="UTF-8"):
        parse_connections(HEADER.encode("utf-16"))


def _write_config(tmp_path: Path, db_url: str) -> Path:
    cfg = tmp_path / "veille.toml"
    cfg.write_text(
        f'database_url = "{db_url}"\n[institution]\nslug = "u"\nname = "Université Exemple"\n',
        encoding="utf-8",
    )
    return cfg


def test_cli_import_is_all_or_nothing_and_idempotent(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_PSEUDONYM_KEY", "test-key-not-secret")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    cfg = _write_config(tmp_path, db_url)
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text(NOTES + HEADER + ROWS + "Ana,Bad\n", encoding="utf-8")
    good = tmp_path / "Connections.csv"
    good.write_text("\ufeff" + NOTES + HEADER + ROWS, encoding="utf-8")
    try:
        state._settings = None
        result = runner.invoke(app, ["-c", str(cfg), "profiles", "import-linkedin", str(bad)])
        assert result.exit_code != 0
        assert result.exit_code == ImportFileError.exit_code
        assert "ligne 7" in result.output
        with session_scope(db_url) as session:
            assert session.exec(select(ProfileSnapshot)).all() == []
        for expected in ("2 nouveaux instantanés enregistrés", "0 nouvel instantané enregistré"):
            state._settings = None
            result = runner.invoke(app, ["-c", str(cfg), "profiles", "import-linkedin", str(good)])
            assert result.exit_code == 0, result.output
            assert expected in result.output
    finally:
        state._settings = None
    with session_scope(db_url) as session:
        rows = session.exec(select(ProfileSnapshot)).all()
        assert {r.source_kind for r in rows} == {"linkedin_export"}
        assert len(rows) == 2


#: The library's messages are asserted here in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english_messages")
