"""Retention purges raw content but a purged week's report stays identical."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from store import report_snapshots
from store.db import session_scope
from store.models import Institution, JobChange, Mention, MentionInstitution, ProfileSnapshot
from store.retention import iso_week, purge, retention_stage
from tests.conftest import make_settings
from veille.config import Settings
from veille.stages import StageContext

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
OLD_WEEK = "2025-W45"  # 3-9 Nov 2025, beyond 365 days
OLD = datetime(2025, 11, 4, 9, 0, tzinfo=UTC)
RECENT = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def _week_bounds(week: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(week + "-1", "%G-W%V-%u").replace(tzinfo=UTC)
    return start, start + timedelta(days=7)


def tiny_weekly_data(settings: Settings, session: Session, week: str) -> dict[str, Any]:
    """A small weekly report built like the real one: SQL aggregates + top texts."""
    start, end = _week_bounds(week)
    rows = session.exec(
        select(Mention)
        .where(col(Mention.published_at) >= start, col(Mention.published_at) < end)
        .where(col(Mention.duplicate_of_id).is_(None))
        .order_by(col(Mention.id))
    ).all()
    links = session.exec(select(MentionInstitution)).all()
    inst_of = Counter(
        link.institution_id for link in links if link.mention_id in {m.id for m in rows}
    )
    top = sorted(rows, key=lambda m: (-m.reach, m.id or 0))[:3]
    return {
        "week": week,
        "aggregates": aggregates(rows, dict(inst_of)),
        "top": [
            {"text": m.text, "title": m.title, "url": m.url, "who": m.author_key[:6]} for m in top
        ],
    }


def aggregates(rows: list[Mention], per_institution: dict[int, int]) -> dict[str, Any]:
    engagement: Counter[str] = Counter()
    for m in rows:
        engagement.update(m.engagement)
    return {
        "volume": len(rows),
        "by_platform": dict(Counter(m.platform for m in rows)),
        "by_sentiment": dict(Counter(m.sentiment_label or "none" for m in rows)),
        "mean_score": round(sum(m.sentiment_score or 0 for m in rows) / max(len(rows), 1), 6),
        "reach": sum(m.reach for m in rows),
        "engagement": dict(engagement),
        "by_team": dict(Counter(m.team or "none" for m in rows)),
        "alumni": len({m.alumnus_id for m in rows if m.alumnus_id}),
        "per_institution": {str(k): v for k, v in sorted(per_institution.items())},
        "authors": len({m.author_key for m in rows}),
    }


def weekly_report(settings: Settings, session: Session, week: str) -> dict[str, Any]:
    """What a report shows: the frozen data of a frozen week, else the live query."""
    frozen = report_snapshots.get(session, "weekly", week)
    return frozen if frozen is not None else tiny_weekly_data(settings, session, week)


def _seed(session: Session) -> None:
    inst = Institution(slug="univ-exemple", name="Université Exemple", is_self=True)
    peer = Institution(slug="univ-voisine", name="Université Voisine")
    session.add_all([inst, peer])
    session.flush()
    mentions = []
    for i in range(12):
        when = (OLD if i < 8 else RECENT) + timedelta(hours=i * 7)
        mentions.append(
            Mention(
                platform=["twitter", "mastodon", "rss"][i % 3],
                platform_id=f"p{i}",
                url=f"https://example.org/post/{i}",
                author_id=f"u{i % 4}",
                author_handle=f"author_{i % 4}",
                author_name=f"Author Number {i % 4}",
                author_key=f"{i % 4:x}" * 64,
                title=f"Title {i}",
                text=f"Texte de la mention {i} sur l'Université Exemple",
                published_at=when,
                engagement={"likes": i, "reposts": i % 2},
                reach=100 * i,
                sentiment_label=["positive", "negative", "neutral"][i % 3],
                sentiment_score=0.5 + i / 100,
                team=["communications", "it", None][i % 3],
                raw={"id": i, "user": f"author_{i % 4}"},
                provenance={
                    "url": f"https://example.org/post/{i}",
                    "fetched_at": when.isoformat(),
                    "method": "api",
                    "source": "x",
                    "version": "1",
                },
                alumnus_id=None,
            )
        )
    session.add_all(mentions)
    session.flush()
    mentions[3].duplicate_of_id = mentions[0].id
    for i, m in enumerate(mentions):
        assert m.id is not None and inst.id is not None and peer.id is not None
        session.add(
            MentionInstitution(mention_id=m.id, institution_id=inst.id if i % 2 else peer.id)
        )
    old_snap = ProfileSnapshot(
        profile_key="https://p.example/a",
        source_kind="schema_person",
        url="https://p.example/a",
        method="schema_person/1",
        fetched_at=OLD,
        person={"given_name": "Anne", "employer": "A"},
        raw={"name": "Anne"},
        content_hash="1" * 64,
    )
    newer_old_snap = ProfileSnapshot(
        profile_key="https://p.example/a",
        source_kind="schema_person",
        url="https://p.example/a",
        method="schema_person/1",
        fetched_at=OLD + timedelta(days=3),
        person={"given_name": "Anne", "employer": "B"},
        raw={"name": "Anne"},
        content_hash="2" * 64,
    )
    session.add_all([old_snap, newer_old_snap])
    session.flush()
    session.add(
        JobChange(
            dedupe_key="j1",
            snapshot_id=newer_old_snap.id,
            person_name="Anne Exemple",
            organization="B",
            title="Ingénieure",
            method="snapshot_diff/1",
            evidence={"before": "A"},
        )
    )
    session.add(
        JobChange(
            dedupe_key="j2",
            mention_id=mentions[1].id,
            person_name="Paul Texte",
            organization="C",
            method="text_rules/1",
        )
    )


@pytest.fixture
def seeded(db_url: str) -> Settings:
    settings = make_settings()
    settings.database_url = db_url
    with session_scope(db_url) as s:
        _seed(s)
    return settings


def test_purged_week_report_is_identical(seeded: Settings) -> None:
    url = seeded.database_url
    with session_scope(url) as s:
        before = weekly_report(seeded, s, OLD_WEEK)
        before_recent = weekly_report(seeded, s, iso_week(RECENT))
    assert before["aggregates"]["volume"] == 7 and before["top"][0]["text"]

    with session_scope(url) as s:
        summary = purge(s, seeded, now=NOW, report_data=tiny_weekly_data)
    assert summary.mentions_purged == 8
    assert OLD_WEEK in summary.weeks_frozen

    with session_scope(url) as s:
        assert weekly_report(seeded, s, OLD_WEEK) == before
        assert weekly_report(seeded, s, iso_week(RECENT)) == before_recent
        # Aggregates alone survive even without the frozen copy...
        live = tiny_weekly_data(seeded, s, OLD_WEEK)
        assert live["aggregates"] == before["aggregates"]
        # ...but the texts do not: that is what freezing is for.
        assert live["top"] != before["top"]


def test_purge_blanks_personal_content_and_keeps_figures(seeded: Settings) -> None:
    url = seeded.database_url
    with session_scope(url) as s:
        purge(s, seeded, now=NOW, report_data=tiny_weekly_data)
    with session_scope(url) as s:
        old = s.exec(
            select(Mention).where(col(Mention.published_at) < NOW - timedelta(days=365))
        ).all()
        recent = s.exec(select(Mention).where(col(Mention.published_at) >= RECENT)).all()
        snaps = s.exec(select(ProfileSnapshot).order_by(col(ProfileSnapshot.fetched_at))).all()
        jcs = {j.dedupe_key: j for j in s.exec(select(JobChange))}
    assert len(old) == 8 and len(recent) == 4
    for m in old:
        assert (m.text, m.title, m.url, m.author_handle, m.author_name, m.author_id) == ("",) * 6
        assert m.raw == {}
        assert "url" not in m.provenance and m.provenance["purged_at"] == NOW.isoformat()
        assert m.provenance["method"] == "api" and m.author_key and m.reach >= 0
    for m in recent:
        assert m.text and m.author_handle and m.raw and "purged_at" not in m.provenance
    superseded, newest = snaps
    assert superseded.person == {} and superseded.raw == {"purged_at": NOW.isoformat()}
    assert newest.person == {"given_name": "Anne", "employer": "B"}  # diff baseline
    assert newest.raw == {"purged_at": NOW.isoformat()}
    assert (jcs["j1"].person_name, jcs["j1"].organization) == ("", "B")
    assert (jcs["j2"].person_name, jcs["j2"].organization) == ("", "C")


def test_purge_twice_changes_nothing_more(seeded: Settings) -> None:
    url = seeded.database_url
    with session_scope(url) as s:
        purge(s, seeded, now=NOW, report_data=tiny_weekly_data)
    calls: list[str] = []

    def spy(settings: Settings, session: Session, week: str) -> dict[str, Any]:
        calls.append(week)
        return {}

    with session_scope(url) as s:
        again = purge(s, seeded, now=NOW + timedelta(days=1), report_data=spy)
    assert (again.mentions_purged, again.snapshots_purged, again.weeks_frozen) == (0, 0, [])
    assert calls == []


def test_stage_freezes_weeks_through_the_weekly_report_then_purges(
    seeded: Settings, tmp_path: Path
) -> None:
    """The scheduled stage freezes each purged week through reports.weekly first."""
    ctx = StageContext(
        settings=seeded, db_url=seeded.database_url, output_dir=tmp_path, options={"now": NOW}
    )
    with session_scope(seeded.database_url) as s:
        before = tiny_weekly_data(seeded, s, OLD_WEEK)["aggregates"]
    result = retention_stage(ctx)
    assert result.counts["mentions_purged"] == 8
    assert result.counts["weeks_frozen"] >= 1
    with session_scope(seeded.database_url) as s:
        assert report_snapshots.get(s, "weekly", OLD_WEEK) is not None
        assert tiny_weekly_data(seeded, s, OLD_WEEK)["aggregates"] == before
