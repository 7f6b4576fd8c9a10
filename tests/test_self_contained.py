"""The repository stands alone: tests and benchmarks read only what it carries.

``make test`` in a fresh clone with nothing beside it is the real proof (``.ci/run``); these
checks catch the regressions early and keep the vendored data sourced. Commands that train on
corpora the repository does not ship fail in one line that says where to get them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import FIXTURES, REPO_ROOT
from veille.cli import app
from veille.errors import DataNotFoundError

#: Ways a test or benchmark could reach the project's working material outside the checkout.
OUTSIDE = re.compile(r"VEILLE_SHARED_DIR|\.\./shared|/work/shared|[\"']shared[\"']\s*/")


def test_no_test_or_benchmark_reads_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{n}"
        for folder in ("tests", "benchmarks")
        for path in sorted((REPO_ROOT / folder).rglob("*.py"))
        if path != Path(__file__).resolve()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []
    assert FIXTURES == REPO_ROOT / "tests" / "fixtures" and FIXTURES.is_dir()


def _data_folders() -> list[Path]:
    bench = REPO_ROOT / "benchmarks" / "data"
    return sorted(p for p in [*FIXTURES.iterdir(), *bench.iterdir()] if p.is_dir())


@pytest.mark.parametrize("folder", _data_folders(), ids=lambda p: p.name)
def test_every_vendored_file_is_sourced(folder: Path) -> None:
    """Each vendored folder has a SOURCES.md that names each of its files and a licence."""
    sources = folder / "SOURCES.md"
    assert sources.is_file(), f"{folder} has no SOURCES.md"
    text = sources.read_text(encoding="utf-8")
    unnamed = [
        str(p.relative_to(folder))
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "SOURCES.md" and p.name not in text
    ]
    assert unnamed == [], f"{sources} does not name {unnamed}"
    assert re.search(r"licen[cs]e", text, re.I), f"{sources} gives no licence"


runner = CliRunner()


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any model work before the data check is a failure: a missing corpus must cost nothing."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a model was loaded before the data was checked")

    monkeypatch.setattr("sentiment.model.ensure_base", refuse)
    monkeypatch.setattr("sentiment.tagger.get_classifier", refuse)


def _one_line_error(tmp_path: Path, *args: str) -> str:
    res = runner.invoke(app, ["--config", str(tmp_path / "absent.toml"), *args])
    assert res.exit_code == DataNotFoundError.exit_code, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1, res.output
    return lines[0]


def test_sentiment_commands_without_data_say_where_to_get_it(tmp_path: Path, no_model: None):
    empty = tmp_path / "empty"
    empty.mkdir()
    train_only = tmp_path / "train_only" / "french"
    train_only.mkdir(parents=True)
    (train_only / "train_text.txt").write_text("un texte\n", encoding="utf-8")
    (train_only / "train_labels.txt").write_text("1\n", encoding="utf-8")
    out = str(tmp_path / "adapter")
    full = tmp_path / "full" / "french"
    full.mkdir(parents=True)
    for split in ("train", "val"):
        (full / f"{split}_text.txt").write_text("un texte\n", encoding="utf-8")
        (full / f"{split}_labels.txt").write_text("1\n", encoding="utf-8")
    cases = {
        "--data DOSSIER est obligatoire": ("sentiment", "train", "--out", out),
        f"{tmp_path / 'no_pool'} n'est pas un dossier": (
            "sentiment",
            "train",
            "--data",
            str(full.parent),
            "--languages",
            "french",
            "--extra",
            str(tmp_path / "no_pool"),
            "--out",
            out,
        ),
        "n'est pas un dossier de données de tonalité": (
            "sentiment",
            "train",
            "--data",
            str(tmp_path / "missing"),
            "--out",
            out,
        ),
        "n'a pas de partie val pour french": (
            "sentiment",
            "train",
            "--data",
            str(train_only.parent),
            "--languages",
            "french",
            "--out",
            out,
        ),
        "ne contient aucun fichier *_text.txt au format UMSAB": (
            "sentiment",
            "eval",
            "--data",
            str(empty),
        ),
        "n'a pas de partie test": (
            "sentiment",
            "eval",
            "--data",
            str(train_only),
            "--split",
            "test",
        ),
    }
    for reason, args in cases.items():
        line = _one_line_error(tmp_path, *args)
        assert line.startswith("erreur :") and reason in line, line
        for pointer in ("UMSAB", "SemEval-2017", "DEFT 2017", "docs/training-data.md"):
            assert pointer in line, line
        assert "shared/data/sentiment/" in line and "SOURCES.md" in line, line
    assert not (tmp_path / "adapter").exists()


def test_job_tagger_train_names_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "sentences.jsonl"
    line = _one_line_error(
        tmp_path, "job-tagger", "train", "--data", str(missing), "--out", str(tmp_path / "o")
    )
    assert str(missing) in line and "enrich/data/jobs_train" in line, line


def test_job_tagger_gate_and_change_head_training_name_the_missing_corpora(
    tmp_path: Path,
) -> None:
    for command in ("train-gate", "train-change-head"):
        line = _one_line_error(tmp_path, "job-tagger", command, "--sentiment", str(tmp_path))
        assert line.startswith("erreur :") and "deft2017_fr/" in line, line
        assert "docs/training-data.md" in line and "SOURCES.md" in line, line
    line = _one_line_error(tmp_path, "sentiment", "validate-int8", "--data", str(tmp_path))
    assert line.startswith("erreur :") and "UMSAB" in line, line


def test_training_data_doc_exists() -> None:
    doc = (REPO_ROOT / "docs" / "training-data.md").read_text(encoding="utf-8")
    assert "shared/data/sentiment/" in doc and "veille sentiment train" in doc
