"""matching_stage and suggestions_stage on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from enrich.matching import matching_stage
from enrich.suggestions import suggestions_stage
from store.db import insert_ignore, session_scope
from store.models import Alumnus, JobChange, Mention, ProfileSnapshot
from store.suggestions import suggestions_for
from veille.config import Settings
from veille.stages import StageContext

FILLER = [
    ("Louis", "Bernard"),
    ("Emma", "Petit"),
    ("Hugo", "Durand"),
    ("Chloé", "Leroy"),
    ("Lucas", "Moreau"),
    ("Inès", "Simon"),
    ("Paul", "Laurent"),
    ("Léa", "Lefebvre"),
    ("Arthur", "Michel"),
    ("Manon", "Garcia"),
    ("Jules", "David"),
    ("Sarah", "Bertrand"),
    ("Nathan", "Roux"),
    ("Camille", "Vincent"),
    ("Théo", "Fournier"),
    ("Julie", "Morel"),
    ("Adam", "Girard"),
    ("Laura", "Andre"),
    ("Tom", "Mercier"),
    ("Anaïs", "Dupont"),
]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _seed(db_url: str) -> None:
    alumni: list[dict[str, Any]] = [
        {
            "id": "a1",
            "first_name": "Claire",
            "last_name": "Quaresma",
            "birth_date": date(1988, 3, 4),
            "city": "Lyon",
            "employer": "Inria",
            "job_title": "Chercheuse",
            "emails": ["claire.q@example.org"],
            "handles": {"mastodon": "claire@mast.example"},
        },
        {"id": "a2", "first_name": "Jean", "last_name": "Martin", "city": "Paris"},
        {"id": "a4", "first_name": "Jean", "last_name": "Martin", "city": "Nantes"},
        {
            "id": "a3",
            "first_name": "Pierre",
            "last_name": "Kerbrat",
            "employer": "Airbus",
            "linkedin_url": "https://www.linkedin.com/in/pkerbrat",
        },
        {"id": "a5", "first_name": "Sophie", "last_name": "Nguyen", "opt_out": True},
    ]
    alumni += [
        {"id": f"f{i}", "first_name": f, "last_name": last, "city": "Paris"}
        for i, (f, last) in enumerate(FILLER)
    ]
    snaps: list[dict[str, Any]] = [
        {
            "profile_key": "https://example.org/claire",
            "source_kind": "schema_person",
            "url": "https://example.org/claire",
            "method": "schema.org/Person",
            "fetched_at": T0,
            "content_hash": "h1",
            "person": {
                "name": "Claire Quaresma",
                "given_name": "Claire",
                "family_name": "Quaresma",
                "employer": "Capgemini",
                "job_title": "Data Scientist",
                "city": "Lyon",
            },
        },
        {
            "profile_key": "https://www.linkedin.com/in/pkerbrat/",
            "source_kind": "schema_person",
            "url": "https://www.linkedin.com/in/pkerbrat/",
            "method": "schema.org/Person",
            "fetched_at": T0,
            "content_hash": "h2",
            "person": {"name": "P. Kerbrat", "employer": "Thales"},
        },
        {
            "profile_key": "https://example.org/zoe",
            "source_kind": "schema_person",
            "url": "https://example.org/zoe",
            "method": "schema.org/Person",
            "fetched_at": T0,
            "content_hash": "h3",
            "person": {"given_name": "Zoé", "family_name": "Inconnue", "employer": "=cmd()"},
        },
    ]
    mentions: list[dict[str, Any]] = [
        {
            "platform": "mastodon",
            "platform_id": "1",
            "author_handle": "claire@mast.example",
            "author_name": "Claire Q.",
            "text": "Je rejoins le CNRS !",
            "published_at": T0 + timedelta(days=10),
            "collected_at": T0 + timedelta(days=10),
            "url": "https://mast.example/@claire/1",
        },
        {
            "platform": "twitter",
            "platform_id": "2",
            "author_handle": "pk_29",
            "author_name": "Pierre KERBRAT",
            "text": "Bravo à l'université",
            "published_at": T0,
            "collected_at": T0,
        },
        {
            "platform": "twitter",
            "platform_id": "3",
            "author_handle": "jm",
            "author_name": "Jean Martin",
            "text": "Souvenirs de promo",
            "published_at": T0,
            "collected_at": T0,
        },
        {
            "platform": "twitter",
            "platform_id": "4",
            "author_handle": "nguyen",
            "author_name": "Sophie Nguyen",
            "text": "Opted out person",
            "published_at": T0,
            "collected_at": T0,
        },
    ]
    with session_scope(db_url) as s:
        # one row per call: rows of one multi-row INSERT must share their columns
        batches: list[tuple[Any, list[dict[str, Any]]]] = [
            (Alumnus, alumni),
            (ProfileSnapshot, snaps),
            (Mention, mentions),
        ]
        for model, rows in batches:
            for row in rows:
                assert insert_ignore(s, model, [row]) == 1
        m1 = s.exec(select(Mention).where(Mention.platform_id == "1")).one()
        insert_ignore(
            s,
            JobChange,
            [
                {
                    "dedupe_key": "jc1",
                    "mention_id": m1.id,
                    "person_name": "Claire Quaresma",
                    "organization": "CNRS",
                    "title": "Directrice de recherche",
                    "method": "text_rules:1",
                    "evidence": {"confidence": 0.95, "snippet": "Je rejoins le CNRS !"},
                },
            ],
        )


def _ctx(settings: Settings, db_url: str, tmp_path: Path) -> StageContext:
    return StageContext(
        settings=settings,
        db_url=db_url,
        output_dir=tmp_path,
        options={"model_path": str(tmp_path / "model" / "match.json")},
    )


def test_matching_then_suggestions(db_url: str, settings: Settings, tmp_path: Path) -> None:
    _seed(db_url)
    ctx = _ctx(settings, db_url, tmp_path)
    res = matching_stage(ctx)
    assert res.counts["snapshots_examined"] == 3
    assert res.counts["snapshots_exact"] == 1
    assert res.counts["snapshots_linked"] == 2
    assert res.counts["job_changes_linked"] == 1
    assert res.counts["authors_exact"] == 1
    assert res.counts["authors_by_name"] == 1

    with session_scope(db_url) as s:
        snaps = {x.profile_key: x for x in s.exec(select(ProfileSnapshot)).all()}
        claire = snaps["https://example.org/claire"]
        assert claire.alumnus_id == "a1"
        assert claire.match_probability is not None and claire.match_probability >= 0.5
        assert claire.match_evidence["last_name"]["level"] == "exact"
        kerbrat = snaps["https://www.linkedin.com/in/pkerbrat/"]
        assert kerbrat.alumnus_id == "a3" and kerbrat.match_evidence["exact"].startswith("url")
        zoe = snaps["https://example.org/zoe"]
        assert zoe.alumnus_id is None and zoe.match_probability is not None
        by_pid = {m.platform_id: m for m in s.exec(select(Mention)).all()}
        assert by_pid["1"].alumnus_id == "a1"  # stored handle
        assert by_pid["2"].alumnus_id == "a3"  # rare name
        assert by_pid["3"].alumnus_id is None  # two Jean Martin: ambiguous, not linked
        assert by_pid["4"].alumnus_id is None  # opted out
        jc = s.exec(select(JobChange)).one()
        assert jc.alumnus_id == "a1" and "match" in jc.evidence

    # weekly re-run: nothing new, nothing re-scored
    again = matching_stage(ctx)
    assert again.counts["snapshots_examined"] == 0
    assert again.counts["job_changes_examined"] == 0
    assert again.counts["pairs_scored"] == 0

    res = suggestions_stage(ctx)
    assert res.counts["created"] >= 4
    with session_scope(db_url) as s:
        a1 = {(x.field, x.new_value): x for x in suggestions_for(s, "a1")}
        a3 = {(x.field, x.new_value): x for x in suggestions_for(s, "a3")}
        alumnus = s.get(Alumnus, "a1")
        assert alumnus is not None and alumnus.employer == "Inria"  # never written
    assert ("city", "Lyon") not in a1  # equal to the current value
    cap = a1[("employer", "Capgemini")]
    cnrs = a1[("employer", "CNRS")]
    assert cap.old_value == "Inria"
    assert cnrs.status == "pending" and cap.status == "superseded"  # the newer source wins
    assert cap.provenance["source_url"] == "https://example.org/claire"
    assert cap.provenance["fetched_at"].startswith("2026-01-05")
    assert cap.provenance["method"] == "schema.org/Person" and cap.provenance["matcher"]
    assert cap.evidence["match"]["first_name"]["level"] == "exact"
    assert 0.5 <= cap.confidence <= 1.0
    assert cnrs.evidence["snippet"] == "Je rejoins le CNRS !"
    assert cnrs.provenance["source_url"] == "https://mast.example/@claire/1"
    assert ("job_title", "Data Scientist") in a1
    assert ("employer", "Thales") in a3
    assert not any(f == "linkedin_url" for f, _ in a3)  # same URL, other form

    # idempotent
    res2 = suggestions_stage(ctx)
    assert res2.counts["created"] == 0


def test_three_profiles_of_one_alumnus_over_three_weekly_runs(
    db_url: str, settings: Settings, tmp_path: Path
) -> None:
    """An ORCID record, then a staff page, then a LinkedIn line: all three reach the inbox."""
    _seed(db_url)
    ctx = _ctx(settings, db_url, tmp_path)
    matching_stage(ctx)
    suggestions_stage(ctx)
    person = {"given_name": "Claire", "family_name": "Quaresma", "city": "Lyon"}
    weeks: list[tuple[str, dict[str, Any]]] = [
        ("https://orcid.org/0000-0002-1825-0097", {"orcid": "0000-0002-1825-0097"}),
        ("https://www.inria.fr/fr/claire-quaresma", {"job_title": "Directrice de recherche"}),
        ("https://www.linkedin.com/in/claire-quaresma", {"employer": "Inria"}),
    ]
    for week, (url, extra) in enumerate(weeks, start=1):
        with session_scope(db_url) as s:
            row = {
                "profile_key": url,
                "source_kind": "schema_person",
                "url": url,
                "method": "schema.org/Person",
                "fetched_at": T0 + timedelta(weeks=week),
                "content_hash": f"w{week}",
                "person": {**person, "name": "Claire Quaresma", **extra},
            }
            assert insert_ignore(s, ProfileSnapshot, [row]) == 1
        res = matching_stage(ctx)
        assert res.counts["snapshots_examined"] == 1  # only this week's profile is scored
        assert res.counts["snapshots_linked"] == 1
        assert suggestions_stage(ctx).counts["created"] >= 1

    with session_scope(db_url) as s:
        snaps = {x.url: x for x in s.exec(select(ProfileSnapshot)).all()}
        assert all(snaps[url].alumnus_id == "a1" for url, _ in weeks)
        pending = [x for x in suggestions_for(s, "a1") if x.status == "pending"]
        by_snapshot = {x.snapshot_id for x in pending}
        assert {snaps[url].id for url, _ in weeks} <= by_snapshot
        fields = {(x.field, x.new_value) for x in pending}
    assert ("orcid", "0000-0002-1825-0097") in fields
    assert ("job_title", "Directrice de recherche") in fields
    assert ("linkedin_url", "https://www.linkedin.com/in/claire-quaresma") in fields


def test_two_records_of_one_person_become_a_possible_duplicate_suggestion(
    db_url: str, settings: Settings, tmp_path: Path
) -> None:
    from store.review import accept_suggestion, inbox
    from web.render import FIELD_LABELS

    _seed(db_url)
    with session_scope(db_url) as s:
        twin = {
            "id": "a9",
            "first_name": "Claire",
            "last_name": "QUARESMA",
            "birth_date": date(1988, 3, 4),
            "city": "Lyon",
            "emails": ["claire.q@example.org"],
        }
        assert insert_ignore(s, Alumnus, [twin]) == 1
    ctx = _ctx(settings, db_url, tmp_path)
    assert matching_stage(ctx).counts["possible_duplicates"] == 1
    with session_scope(db_url) as s:
        groups = inbox(s)
        dup = [x for g in groups for x in g.suggestions if x.field == "possible_duplicate"]
        assert len(dup) == 1 and dup[0].alumnus_id == "a1" and dup[0].new_value == "a9"
        assert dup[0].evidence["match"]["birth_date"]["level"] == "exact"
        assert dup[0].provenance["url"] == "/alumni/a9"
        # about the register, not third-party data: never in an Art. 14 notice, never
        # for the alumnus to self-confirm
        from store.notices import notices_due
        from store.review import ReviewError

        dup_id = int(dup[0].id or 0)
        assert dup_id not in {i.suggestion_id for n in notices_due(s) for i in n.items}
        with pytest.raises(ReviewError):
            accept_suggestion(s, dup_id, "self", action="self_confirm")
    with session_scope(db_url) as s:
        event = accept_suggestion(s, dup_id, "reviewer@example.org")
        assert event.details["record_unchanged"] is True
    with session_scope(db_url) as s:  # never merged: both records are still there, unchanged
        a1, a9 = s.get(Alumnus, "a1"), s.get(Alumnus, "a9")
        assert a1 is not None and a9 is not None and a1.employer == "Inria"
    # the next weekly run does not suggest the same pair again
    assert matching_stage(ctx).counts["possible_duplicates"] == 0
    assert FIELD_LABELS.get("possible_duplicate").startswith("Doublon possible")


def _seed_fake_1000(db_url: str, n_profiles: int) -> list[dict[str, Any]]:
    """First record of each splink fake_1000 cluster as alumni; others as profile snapshots."""
    import pandas as pd

    from tests.conftest import FIXTURES

    df = pd.read_csv(FIXTURES / "record_linkage" / "fake_1000.csv", dtype=str).fillna("")
    firsts = df.groupby("cluster").head(1)
    rest = df.drop(firsts.index)
    snaps = [
        {
            "profile_key": f"https://example.org/p/{r['unique_id']}",
            "source_kind": "schema_person",
            "url": f"https://example.org/p/{r['unique_id']}",
            "method": "schema.org/Person",
            "fetched_at": T0,
            "content_hash": f"c{r['unique_id']}",
            "person": {
                "given_name": r["first_name"],
                "family_name": r["surname"],
                "email": r["email"],
                "city": r["city"],
            },
        }
        for r in rest.to_dict("records")
    ]
    with session_scope(db_url) as s:
        for r in firsts.to_dict("records"):
            row = {
                "id": f"f1k-{r['unique_id']}",
                "first_name": r["first_name"],
                "last_name": r["surname"],
                "city": r["city"],
                "emails": [r["email"]] if r["email"] else [],
            }
            insert_ignore(s, Alumnus, [row])
        for snap in snaps[:n_profiles]:
            insert_ignore(s, ProfileSnapshot, [snap])
    return snaps[n_profiles:]


@pytest.mark.slow  # two EM trainings on 250 x 749 records (about 10 s on a loaded machine)
def test_two_hosts_share_one_model_row_and_the_bookkeeping(
    db_url: str, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Host A trains on a fresh database; host B (its own disk) uses A's model row."""
    from typer.testing import CliRunner

    from store import matching as q
    from store.models import MatchModel
    from veille.cli import app
    from veille.cli._common import state

    later = _seed_fake_1000(db_url, 710)
    host_a = StageContext(settings=settings, db_url=db_url, output_dir=tmp_path / "a")
    host_b = StageContext(settings=settings, db_url=db_url, output_dir=tmp_path / "b")
    host_a.options = {"model_path": str(tmp_path / "host-a" / "match.json")}
    host_b.options = {"model_path": str(tmp_path / "host-b" / "match.json")}

    first = matching_stage(host_a)
    assert first.counts["model_trained"] == 1 and first.counts["snapshots_linked"] > 300
    with session_scope(db_url) as s:
        assert q.model_count(s) == 1
        model_row = q.current_model(s)
        assert model_row is not None and model_row.source == "first_run"
        assert q.get_state(s, "matching_stage")["duplicates_checked"]
    assert not (tmp_path / "host-a").exists()  # nothing kept on the host's disk

    with session_scope(db_url) as s:
        for snap in later:
            insert_ignore(s, ProfileSnapshot, [snap])
    second = matching_stage(host_b)  # the standby's turn: same row, no retraining
    assert second.counts["model_trained"] == 0 and second.counts["snapshots_examined"] == len(later)
    assert second.counts["possible_duplicates"] == 0  # register unchanged: not compared again
    with session_scope(db_url) as s:
        assert q.model_count(s) == 1

    # retraining is explicit, and every host uses the new row from its next run
    cfg = tmp_path / "veille.toml"
    cfg.write_text(
        f'database_url = "{db_url}"\n[institution]\nslug = "u"\nname = "Université"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("DATABASE_URL", db_url)  # the variable wins over the file
    state.reset()
    result = CliRunner().invoke(app, ["-c", str(cfg), "match", "retrain"])
    state.reset()
    assert result.exit_code == 0, result.output
    with session_scope(db_url) as s:
        rows = s.exec(select(MatchModel).order_by(MatchModel.id)).all()  # type: ignore[arg-type]
        assert [r.source for r in rows] == ["first_run", "retrain"]
        assert rows[1].trained_by == "veille match retrain" and rows[1].params["m"]


@pytest.mark.usefixtures("english_messages")
def test_retraining_can_be_scheduled(db_url: str, settings: Settings, tmp_path: Path) -> None:
    from enrich.matching import retrain_stage
    from scheduler import build_jobs

    assert "match_retrain" not in {job.id for job in build_jobs(settings)}  # off by default
    settings.schedule.match_retrain_cron = "0 4 1 * *"
    assert "match_retrain" in {job.id for job in build_jobs(settings)}
    _seed(db_url)
    res = retrain_stage(_ctx(settings, db_url, tmp_path))  # three profiles: too few pairs
    assert res.counts["model_trained"] == 0 and "candidate pairs" in res.notes[0]
