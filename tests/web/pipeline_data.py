"""Suggestions produced by the real pipeline, for the UI tests.

The review page must read what :func:`enrich.matching.matching_stage` and
:func:`enrich.suggestions.suggestions_stage` really write, so the UI tests
run both on the vendored splink ``fake_1000`` records (simulated people,
MIT; see ``tests/fixtures/record_linkage/SOURCES.md``): the first record of
each cluster is an alumnus, the second a found profile.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from crawlers.profiles import METHOD as PROFILE_METHOD
from enrich.matching import matching_stage
from enrich.suggestions import suggestions_stage
from store.db import insert_ignore, session_scope
from store.models import Alumnus, ProfileSnapshot
from veille.config import Settings
from veille.stages import StageContext

FAKE_1000 = Path(__file__).parents[1] / "fixtures" / "record_linkage" / "fake_1000.csv"
FETCHED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def fake_people(clusters: int = 80) -> list[list[dict[str, str]]]:
    """The records of the first ``clusters`` clusters, grouped."""
    groups: dict[str, list[dict[str, str]]] = {}
    with FAKE_1000.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            groups.setdefault(row["cluster"], []).append(row)
    return list(groups.values())[:clusters]


def seed_alumni_and_profiles(db_url: str, clusters: int = 80) -> None:
    """First record of a cluster -> alumnus ``fk-<id>``; second -> a profile snapshot."""
    with session_scope(db_url) as s:
        for group in fake_people(clusters):
            a = group[0]
            alumnus: dict[str, Any] = {
                "id": f"fk-{a['unique_id']}",
                "first_name": a["first_name"],
                "last_name": a["surname"],
                "city": a["city"],
                "emails": [a["email"]] if a["email"] else [],
                "birth_date": date.fromisoformat(a["dob"]) if a["dob"] else None,
            }
            insert_ignore(s, Alumnus, [alumnus])
            if len(group) < 2:
                continue
            p = group[1]
            person = {
                "given_name": p["first_name"],
                "family_name": p["surname"],
                "city": p["city"],
                "email": p["email"],
            }
            snapshot = {
                "profile_key": f"fake_1000:{p['unique_id']}",
                "source_kind": "schema_person",
                "url": f"https://profiles.example.org/fake_1000/{p['unique_id']}",
                "method": PROFILE_METHOD,  # what the schema.org crawler records
                "fetched_at": FETCHED,
                "content_hash": p["unique_id"],
                "person": person,
            }
            insert_ignore(s, ProfileSnapshot, [snapshot])


def run_pipeline(settings: Settings, db_url: str, work: Path, clusters: int = 80) -> None:
    """Seed, then the real matching and suggestion stages."""
    seed_alumni_and_profiles(db_url, clusters)
    ctx = StageContext(
        settings=settings,
        db_url=db_url,
        output_dir=work,
        options={"model_path": str(work / "model" / "match.json")},
    )
    matching_stage(ctx)
    suggestions_stage(ctx)


def feed_texts() -> list[str]:
    """Real French texts: the items of a vendored university news feed (LGPL-3.0).

    ``tests/fixtures/rss/unm-backend_univ-paris10_001.rss`` (see its SOURCES.md):
    title and summary of each item, markup removed as the crawler stores it.
    """
    import feedparser

    from crawlers.normalise import html_to_text

    feed = FAKE_1000.parents[1] / "rss" / "unm-backend_univ-paris10_001.rss"
    out = []
    for e in feedparser.parse(feed).entries:
        text = f"{html_to_text(e.title)} {html_to_text(e.get('summary', ''))}"
        out.append(" ".join(text.split())[:400])
    return out


#: The hour the listening data ends (a burst in its last hour raises an alert).
LISTEN_END = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def listening_data(settings: Settings, db_url: str, work: Path) -> dict[str, Any]:
    """Mentions (real feed texts), the alerts the real detector raises on them, an archived week.

    Steady traffic for 14 hours, then a burst of negative posts in the last
    hour: :func:`reports.alerts.detect` raises its alert; the weekly stage
    archives the week (``report_snapshot``).
    """
    from datetime import timedelta

    from reports.alerts import detect
    from reports.weekly import parse_week, weekly_report_stage
    from tests.reports.conftest import add_mentions, mention

    texts = feed_texts()
    steady = [
        mention(
            LISTEN_END - timedelta(hours=h, minutes=5 * m),
            text=texts[(h + m) % len(texts)],
            sentiment_label=("positive", "neutral")[m % 2],
            lang="fr",
            reach=50 + 7 * m,
        )
        for h in range(1, 15)
        for m in range(10)
    ]
    burst = [
        mention(
            LISTEN_END - timedelta(minutes=55 - i),
            text=texts[i % len(texts)],
            sentiment_label="negative",
            platform="twitter",
            lang="fr",
            reach=1000 + 37 * i,
        )
        for i in range(40)
    ]
    add_mentions(db_url, settings, steady + burst, institution=settings.institution.slug)
    alerts = detect(settings, db_url, now=LISTEN_END + timedelta(minutes=20))
    week = parse_week(None, now=LISTEN_END + timedelta(days=7))
    weekly_report_stage(
        StageContext(
            settings=settings,
            db_url=db_url,
            output_dir=work / "weekly",
            options={"week": week.label, "pdf": False},
        )
    )
    return {"alerts": len(alerts), "week": week.label}
