"""Alumni import/export: all-or-nothing, line numbers, idempotence, French exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select
from typer.testing import CliRunner

from store.db import session_scope
from store.models import Alumnus, AuditEvent
from veille.alumni_csv import orcid_is_valid, parse_date, read_alumni_csv
from veille.cli import app
from veille.errors import ImportFileError
from veille.i18n import set_locale

HEADER = "id,first_name,last_name,birth_name,birth_date,email,city,graduation_year,employer,orcid"


def _rows(n: int) -> list[str]:
    return [
        f"A{i:04d},Prénom{i},Nom{i},,{1970 + i % 30}-0{1 + i % 9}-1{i % 9},"
        f"p{i}@example.org,Lyon,{2000 + i % 20},Employeur {i},"
        for i in range(1, n + 1)
    ]


def _write(tmp_path: Path, lines: list[str], *, name: str = "a.csv", **kw: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding=kw.get("encoding", "utf-8"))
    return path


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "veille.toml"
    config.write_text('[institution]\nslug = "u"\nname = "U"\n', encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("VEILLE_CONFIG", str(config))
    return config


def _alumni(db_url: str) -> list[tuple[object, ...]]:
    with session_scope(db_url) as s:
        return [
            (a.id, a.first_name, a.last_name, a.birth_date, tuple(a.emails), a.employer)
            for a in s.exec(select(Alumnus).order_by(Alumnus.id))
        ]


def test_bad_date_on_line_37_aborts_and_names_the_line(
    cli_env: Path, db_url: str, tmp_path: Path
) -> None:
    good = _write(tmp_path, [HEADER, *_rows(10)], name="good.csv")
    runner = CliRunner()
    assert runner.invoke(app, ["alumni", "import", str(good)]).exit_code == 0
    before = _alumni(db_url)

    rows = _rows(50)
    rows[35] = "A0036,Prénom36,Nom36,,1976-13-10,p36@example.org,Lyon,2016,E,"  # line 37
    bad = _write(tmp_path, [HEADER, *rows], name="bad.csv")
    result = runner.invoke(app, ["alumni", "import", str(bad)])
    assert result.exit_code != 0 and "ligne 37 : birth_date n'est pas une date" in result.output
    set_locale("en")  # the command chose French (no locale setting)
    with pytest.raises(ImportFileError, match=r"^line 37: birth_date"):
        read_alumni_csv(bad)
    assert _alumni(db_url) == before


def test_same_file_twice_leaves_the_same_rows(cli_env: Path, db_url: str, tmp_path: Path) -> None:
    path = _write(tmp_path, [HEADER, *_rows(40)])
    runner = CliRunner()
    assert runner.invoke(app, ["alumni", "import", str(path)]).exit_code == 0
    first = _alumni(db_url)
    with session_scope(db_url) as s:
        events = len(s.exec(select(AuditEvent)).all())
    result = runner.invoke(app, ["alumni", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "40 lignes lues : 0 fiche créée, 0 mise à jour, 40 inchangées." in result.output
    assert _alumni(db_url) == first
    with session_scope(db_url) as s:
        assert len(s.exec(select(AuditEvent)).all()) == events


def test_french_excel_export_semicolon_bom_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "fr.csv"
    path.write_text(
        "Identifiant;Prénom;Nom;Date de naissance;Courriel;Ville\n"
        "42;Hélène;Durand-Petit;31/05/1990;helene@example.fr;Clermont-Ferrand\n",
        encoding="utf-8-sig",
    )
    (row,) = read_alumni_csv(path)
    assert row.values == {
        "id": "42",
        "first_name": "Hélène",
        "last_name": "Durand-Petit",
        "birth_date": date(1990, 5, 31),
        "email": ["helene@example.fr"],
        "city": "Clermont-Ferrand",
    }


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["id,last_name,colour", "1,A,red"], "line 1: unknown column"),
        (["first_name", "Ann"], "line 1: missing required column"),
        (["id,last_name", "1,A", "1,B"], "line 3: id already used on line 2"),
        (["id,last_name", "1,A,extra"], "line 2: expected 2 fields"),
        (["id,last_name,email", "1,A,not-an-email"], "line 2: email"),
        (["id,last_name,orcid", "1,A,0000-0002-1825-0098"], "line 2: orcid"),
        (["id,last_name", '1,"unterminated'], "malformed CSV"),
        (["id,last_name", ",A"], "line 2: id is empty"),
    ],
)
def test_errors_are_specific(tmp_path: Path, lines: list[str], message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        read_alumni_csv(_write(tmp_path, lines))


def test_non_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, ["id,last_name", "1,Andre", "2,Hélène"], encoding="cp1252")
    with pytest.raises(ImportFileError, match="line 3: the file is not UTF-8"):
        read_alumni_csv(path)


def test_export_round_trips_and_neutralises_formulas(
    cli_env: Path, db_url: str, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        [
            HEADER,
            '7,=cmd|calc,Nom,,1980-01-02,a@b.fr | c@d.fr,Paris,2001,"-Evil, Inc",'
            "0000-0002-1825-0097",
        ],
    )
    runner = CliRunner()
    assert runner.invoke(app, ["alumni", "import", str(path)]).exit_code == 0
    out = tmp_path / "export.csv"
    result = runner.invoke(app, ["alumni", "export", "-o", str(out), "--delimiter", ";"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert ";'=cmd|calc;" in text and "'-Evil, Inc" in text
    before = _alumni(db_url)
    result = runner.invoke(app, ["alumni", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 inchangée" in result.output
    assert _alumni(db_url) == before


def test_orcid_checksum() -> None:
    assert orcid_is_valid("0000-0002-1825-0097")
    assert orcid_is_valid("0000-0002-1694-233X")
    assert not orcid_is_valid("0000-0002-1825-0098")


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_dates_parse_in_both_formats(d: date) -> None:
    assert parse_date(d.isoformat()) == d
    assert parse_date(d.strftime("%d/%m/%Y")) == d


def test_erased_alumni_are_not_recreated_by_a_reimport(
    cli_env: Path, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store.person import erase_person
    from store.suppression import pseudonym_key

    monkeypatch.setenv("VEILLE_PSEUDONYM_KEY", "test-key")
    path = _write(tmp_path, [HEADER, *_rows(3)])
    runner = CliRunner()
    assert runner.invoke(app, ["alumni", "import", str(path)]).exit_code == 0
    with session_scope(db_url) as s:
        erase_person(s, "A0002", pseudonym_key(), actor="test")
    result = runner.invoke(app, ["alumni", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 ligne refusée : cette personne a demandé l'effacement" in result.output
    assert [a[0] for a in _alumni(db_url)] == ["A0001", "A0003"]


#: The library's messages are asserted here in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english_messages")
