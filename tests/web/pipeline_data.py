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
                "method": "schema.org/Person",
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
