"""Snapshot diff -> JobChange and the job_changes stage, idempotent on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from crawlers.profile_common import make_snapshot, normalise_person
from enrich.jobs import job_changes_stage
from enrich.profile_diff import diff_pending_snapshots
from store import profiles as store_profiles
from store.db import session_scope
from store.models import JobChange, Mention
from veille.cli import app
from veille.config import Settings
from veille.stages import StageContext, pipeline_stage

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _snap(
    key: str, employer: str, title: str, days: int, start: str | None = None, kind: str = "orcid"
):
    person = normalise_person(
        name="Camille Lefort", employer=employer, job_title=title, start_date=start
    )
    return make_snapshot(
        profile_key=key,
        source_kind=kind,
        person=person,
        url=f"https://example.org/{key}",
        method="test",
        fetched_at=T0 + timedelta(days=days),
    )


def _changes(db_url: str) -> list[JobChange]:
    with session_scope(db_url) as session:
        return list(session.exec(select(JobChange).order_by(JobChange.id)).all())


def test_diff_yields_one_change_per_move_and_reruns_add_nothing(db_url: str) -> None:
    with session_scope(db_url) as session:
        store_profiles.save_snapshots(
            session,
            [
                _snap("orcid:a", "Université Exemple", "Maîtresse de conférences", 0),
                _snap("orcid:b", "Acme", "Engineer", 0),
            ],
        )
    with session_scope(db_url) as session:
        assert diff_pending_snapshots(session) == 0  # first snapshots: current jobs, not moves
    with session_scope(db_url) as session:
        # same content again is not stored; a new title is
        assert (
            store_profiles.save_snapshots(
                session,
                [
                    _snap("orcid:a", "Université Exemple", "Maîtresse de conférences", 5),
                    _snap("orcid:a", "Université Exemple", "Professeure", 30, start="2025-01-15"),
                ],
            )
            == 1
        )
    with session_scope(db_url) as session:
        assert diff_pending_snapshots(session) == 1
    for _ in range(2):
        with session_scope(db_url) as session:
            assert diff_pending_snapshots(session) == 0
    (change,) = _changes(db_url)
    assert change.organization == "Université Exemple"
    assert change.title == "Professeure"
    assert change.start_date.isoformat() == "2025-01-15"
    assert change.method.startswith("snapshot_diff/")
    assert change.evidence["before"]["job_title"] == "Maîtresse de conférences"
    assert change.evidence["url"] == "https://example.org/orcid:a"
    assert change.snapshot_id is not None


def test_first_appointment_snapshot_is_a_move(db_url: str) -> None:
    with session_scope(db_url) as session:
        store_profiles.save_snapshots(
            session,
            [
                _snap(
                    "appointments:camille lefort", "Institut", "directrice", 0, kind="appointments"
                )
            ],
        )
        assert diff_pending_snapshots(session) == 1


@pytest.mark.slow
def test_job_changes_stage_reads_mentions_once(
    db_url: str, settings: Settings, tmp_path: Path
) -> None:
    assert pipeline_stage("job_changes") is job_changes_stage
    texts = [
        "Marie Dupont a été nommée directrice générale de la SNCF à compter du 1er mars 2024.",
        "Thousands joined the protest outside parliament.",
    ]
    with session_scope(db_url) as session:
        for i, text in enumerate(texts):
            session.add(
                Mention(
                    platform="rss",
                    platform_id=f"m{i}",
                    url=f"https://ex.org/{i}",
                    text=text,
                    published_at=T0,
                )
            )
    ctx = StageContext(settings=settings, db_url=db_url, output_dir=tmp_path)
    result = job_changes_stage(ctx)
    assert result.counts["mentions"] == 2
    assert result.counts["text_job_changes"] == 1
    again = job_changes_stage(ctx)
    assert again.counts["mentions"] == 0 and again.counts["text_job_changes"] == 0
    (change,) = _changes(db_url)
    assert (change.person_name, change.organization, change.title) == (
        "Marie Dupont",
        "SNCF",
        "directrice générale",
    )
    assert change.start_date.isoformat() == "2024-03-01"
    assert change.evidence["url"] == "https://ex.org/0"
    assert change.method.startswith("text_rules/")
    with session_scope(db_url) as session:
        assert all(m.jobs_extracted_at is not None for m in session.exec(select(Mention)).all())


@pytest.mark.slow
def test_tag_jobs_cli_contract(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in [
                {"id": 1, "text": "Jane Smith joins Acme Corp as Chief Technology Officer."},
                {"id": "b", "text": "Le film a été nommé aux Oscars."},
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["tag", "jobs", "--input", str(src), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, "b"]
    assert rows[0]["job_changes"] == [
        {
            "person": "Jane Smith",
            "organization": "Acme Corp",
            "title": "Chief Technology Officer",
            "start_date": None,
        }
    ]
    assert rows[1]["job_changes"] == []


def test_tag_jobs_cli_rejects_bad_line(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": \n', encoding="utf-8")
    result = CliRunner().invoke(
        app, ["tag", "jobs", "--input", str(src), "--output", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code != 0
    assert result.exit_code == 3 and "ligne 2" in result.output
    assert not (tmp_path / "o.jsonl").exists()


def test_linkedin_reimport_with_new_position_is_a_move(db_url: str) -> None:
    from crawlers.linkedin_export import parse_connections

    header = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    url = "https://www.linkedin.com/in/camille-lefort-test"
    first = parse_connections(
        f"{header}Camille,Lefort,{url},,Acme,Engineer,12 Jan 2024\n", fetched_at=T0
    )
    later = parse_connections(
        f"{header}Camille,Lefort,{url},,Example Labs,CTO,12 Jan 2024\n",
        fetched_at=T0 + timedelta(days=400),
    )
    with session_scope(db_url) as session:
        store_profiles.save_snapshots(session, first)
        assert store_profiles.snapshots_needing_diff(session) == []  # seen once: not a move
        assert diff_pending_snapshots(session) == 0
    with session_scope(db_url) as session:
        store_profiles.save_snapshots(session, later)
        assert diff_pending_snapshots(session) == 1
        assert diff_pending_snapshots(session) == 0
    (change,) = _changes(db_url)
    assert (change.organization, change.title) == ("Example Labs", "CTO")
    assert change.evidence["before"] == {"employer": "Acme", "job_title": "Engineer"}
    assert change.evidence["source_method"] == "linkedin_export"
