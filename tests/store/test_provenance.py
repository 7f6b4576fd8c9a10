"""Every stored personal datum and suggested field says where it came from."""

from __future__ import annotations

from datetime import UTC, datetime

from store.db import session_scope
from store.models import JobChange, Mention, ProfileSnapshot, Suggestion
from store.provenance import missing_provenance
from store.retention import purge
from tests.conftest import make_settings
from tests.store.privacy_data import ALUMNUS_ID, PROVENANCE, seed_person


def test_complete_provenance_reports_nothing(db_url: str) -> None:
    with session_scope(db_url) as s:
        seed_person(s)
        assert missing_provenance(s) == []


def test_each_gap_is_named(db_url: str) -> None:
    with session_scope(db_url) as s:
        seed_person(s)
        s.add(
            Suggestion(
                dedupe_key="bad",
                alumnus_id=ALUMNUS_ID,
                field="city",
                new_value="Paris",
                confidence=0.9,
                provenance={k: v for k, v in PROVENANCE.items() if k != "version"},
            )
        )
        s.add(Mention(platform="rss", platform_id="x", published_at=datetime.now(UTC)))
        s.add(
            ProfileSnapshot(
                profile_key="k", source_kind="orcid", method="orcid", content_hash="9" * 64
            )
        )
        s.add(JobChange(dedupe_key="orphan", person_name="X", method="text_rules"))
        s.flush()
        problems = missing_provenance(s)
    assert len(problems) == 4, problems
    assert problems[0].startswith("suggestion ") and problems[0].endswith("missing version")
    assert problems[1].endswith("missing url, fetched_at, method, source, version")
    assert problems[2].startswith("profile_snapshot ") and problems[2].endswith("version")
    assert (
        problems[3].startswith("job_change ") and "version" in problems[3] and "url" in problems[3]
    )


def test_purged_mentions_need_no_url(db_url: str) -> None:
    with session_scope(db_url) as s:
        seed_person(s)
    with session_scope(db_url) as s:
        purge(s, make_settings(), now=datetime(2030, 1, 1, tzinfo=UTC))
    with session_scope(db_url) as s:
        assert missing_provenance(s) == []
