"""A rich person spread over every table, shared by the privacy tests."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import MetaData, Text, cast, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.models import (
    Alert,
    Alumnus,
    ApiToken,
    AuditEvent,
    CrawlState,
    CrawlTarget,
    Institution,
    JobChange,
    JobRun,
    LabelledExample,
    LoginFailure,
    MatchModel,
    MatchState,
    Mention,
    MentionInstitution,
    ProfileSnapshot,
    RejectedItem,
    ReportSnapshot,
    SchedulerLease,
    SecretRotation,
    Source,
    Suggestion,
    Suppression,
    User,
    WebSession,
)

KEY = b"test-pseudonym-key-" + b"x" * 13
ALUMNUS_ID = "A-4242"
FIRST, LAST, BIRTH = "Hélène", "Durand-Petit", "Lefèvre"
EMAILS = ["helene.durand@example.org", "h.lefevre@perso.example.net"]
HANDLES = {"twitter": "HeleneDP", "mastodon": "hdurandpetit@mastodon.example"}
LINKEDIN = "https://www.linkedin.com/in/helene-durand-petit"
PROVENANCE = {
    "url": "https://example.org/p/1",
    "fetched_at": "2026-11-02T10:00:00+00:00",
    "method": "schema_person",
    "source": "profils",
    "version": "1.0",
}
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def needles() -> list[str]:
    """What must be gone after erasure: every name form, email and handle."""
    return [
        f"{FIRST} {LAST}",
        f"{LAST} {FIRST}",
        f"{FIRST} {BIRTH}",
        *EMAILS,
        *HANDLES.values(),
        "hdurandpetit",
    ]


def seed_person(session: Session) -> dict[str, int]:
    """The alumnus, their data in every table, and other people's rows naming them."""
    inst = Institution(slug="univ-exemple", name="Université Exemple", is_self=True)
    src = Source(name="profils", kind="schema_person")
    session.add_all([inst, src])
    session.flush()
    assert inst.id is not None and src.id is not None
    session.add(CrawlState(source_id=src.id, last_error=f"timeout on {LINKEDIN}"))
    # Their profile page as a crawl target, and a post about them the crawl quarantined.
    session.add(
        CrawlTarget(
            source_id=src.id,
            key=LINKEDIN,
            label=LINKEDIN,
            cursor={"final_url": LINKEDIN},
            status="down",
            last_error=f"{LINKEDIN}: HTTP 404",
        )
    )
    session.add(
        RejectedItem(
            source_id=src.id,
            target=LINKEDIN,
            reason="unreadable",
            detail="KeyError: 'uri'",
            excerpt=f'{{"content": "Bravo {FIRST} {LAST} !", "author": "{HANDLES["twitter"]}"}}',
            fingerprint="0" * 64,
        )
    )
    alumnus = Alumnus(
        id=ALUMNUS_ID,
        first_name=FIRST,
        last_name=LAST,
        birth_name=BIRTH,
        birth_date=date(1990, 5, 17),
        graduation_year=2012,
        program="Master Chimie",
        emails=list(EMAILS),
        city="Lyon",
        employer="Labo Ancien",
        job_title="Chercheuse",
        linkedin_url=LINKEDIN,
        orcid="0000-0002-1825-0097",
        handles=dict(HANDLES),
        profile_urls=["https://helene-dp.example.org/"],
    )
    other = Alumnus(id="A-0001", first_name="Paul", last_name="Martin", emails=["paul@x.org"])
    session.add_all([alumnus, other])
    session.flush()
    own = Mention(
        platform="twitter",
        platform_id="111",
        url="https://x.com/HeleneDP/status/111",
        source_id=src.id,
        author_id="9001",
        author_handle="HeleneDP",
        author_name=f"{FIRST} {LAST}",
        author_key="k" * 64,
        text="Fière de rejoindre le Labo Nouveau ! #UnivEx",
        published_at=T0,
        raw={"user": {"screen_name": "HeleneDP", "name": f"{FIRST} {LAST}"}},
        provenance=PROVENANCE,
        alumnus_id=ALUMNUS_ID,
    )
    by_handle = Mention(
        platform="mastodon",
        platform_id="m-5",
        url="https://mastodon.example/@hdurandpetit/5",
        author_handle="hdurandpetit@mastodon.example",
        author_name="HDP",
        text="Un autre message",
        published_at=T0,
        provenance=PROVENANCE,
    )
    about = Mention(
        platform="rss",
        platform_id="news-1",
        url="https://news.example/article",
        author_handle="journal",
        author_name="Le Journal",
        title="HÉLÈNE DURAND PETIT nommée directrice",
        text=f"Nous félicitons Helene Durand-Petit (@HeleneDP, {EMAILS[0]}) pour sa nomination.",
        published_at=T0,
        raw={"summary": f"{FIRST} {LAST} rejoint le Labo Nouveau"},
        provenance=PROVENANCE,
    )
    session.add_all([own, by_handle, about])
    session.flush()
    assert own.id is not None and about.id is not None
    repost = Mention(
        platform="twitter",
        platform_id="112",
        author_handle="fan",
        text="RT Fière de rejoindre le Labo Nouveau !",
        published_at=T0,
        duplicate_of_id=own.id,
        provenance=PROVENANCE,
    )
    session.add(repost)
    session.add_all(
        [
            MentionInstitution(mention_id=own.id, institution_id=inst.id),
            MentionInstitution(mention_id=about.id, institution_id=inst.id),
        ]
    )
    snap = ProfileSnapshot(
        profile_key=LINKEDIN,
        source_kind="schema_person",
        source_id=src.id,
        url=LINKEDIN,
        method="schema_person/1.0",
        fetched_at=T0,
        person={"given_name": FIRST, "family_name": LAST, "employer": "Labo Nouveau"},
        raw={"@type": "Person", "name": f"{FIRST} {LAST}", "email": EMAILS[0]},
        content_hash="c" * 64,
        alumnus_id=ALUMNUS_ID,
        match_probability=0.97,
        match_evidence={"name": f"{FIRST} {LAST}"},
    )
    session.add(snap)
    session.flush()
    jc = JobChange(
        dedupe_key="jc1",
        snapshot_id=snap.id,
        person_name=f"{FIRST} {LAST}",
        organization="Labo Nouveau",
        title="Directrice",
        method="snapshot_diff/1",
        evidence={"before": "Labo Ancien"},
        alumnus_id=ALUMNUS_ID,
    )
    jc_other_source = JobChange(
        dedupe_key="jc2",
        mention_id=about.id,
        person_name="Hélène DURAND-PETIT",
        organization="Labo Nouveau",
        method="text_rules/1",
        evidence={"sentence": f"{FIRST} {LAST} nommée directrice"},
    )
    session.add_all([jc, jc_other_source])
    session.flush()
    sugg = Suggestion(
        dedupe_key="s1",
        alumnus_id=ALUMNUS_ID,
        field="employer",
        old_value="Labo Ancien",
        new_value="Labo Nouveau",
        confidence=0.93,
        evidence={"name": f"{FIRST} {LAST}"},
        provenance=PROVENANCE,
        job_change_id=jc.id,
        snapshot_id=snap.id,
    )
    session.add(sugg)
    session.flush()
    session.add_all(
        [
            AuditEvent(actor="import", action="import", entity="alumnus", entity_id=ALUMNUS_ID),
            AuditEvent(
                actor="officer",
                action="accept",
                entity="suggestion",
                entity_id=str(sugg.id),
                suggestion_id=sugg.id,
                field="employer",
                old_value="Labo Ancien",
                new_value="Labo Nouveau",
            ),
            AuditEvent(
                actor="officer",
                action="merge",
                entity="alumnus",
                entity_id="A-0001",
                details={"note": f"not the same person as {FIRST} {LAST} <{EMAILS[1]}>"},
            ),
        ]
    )
    session.add(
        Alert(
            dedupe_key="a1",
            rule="spike",
            institution_id=inst.id,
            title="Pic de mentions",
            window_start=T0,
            window_end=T0,
            details={"samples": [f"Bravo {FIRST} {LAST} !", "autre"]},
        )
    )
    session.add(JobRun(job="crawl", tick="t1", error=f"bad record from @{HANDLES['twitter']}"))
    session.add(SchedulerLease(name="veille.scheduler", holder="host/1/abc", host="host"))
    # The matcher's model and bookkeeping hold parameters and ids, never a person's values.
    session.add(MatchModel(version="veille-fs-2", params={"m": {}, "u": {}}, source="bundled"))
    session.add(MatchState(key="matching_stage", value={"last_mention_id": 1}))
    user = User(username="officer", password_hash="x", role="alumni_officer")
    session.add(user)
    session.flush()
    assert user.id is not None
    session.add(ApiToken(token_hash="h" * 64, user_id=user.id, label="cli", scope="review"))
    session.add(WebSession(id_hash="s" * 64, user_id=user.id, csrf="c" * 43, expires_at=T0))
    session.add(LoginFailure(name_hash="n" * 64, ip_hash="i" * 64, at=T0))
    session.add(SecretRotation(purpose="webhooks", generation=1, salt="0" * 32, rotated_by="admin"))
    session.add(Suppression(kind="handle", value_hash="0" * 64, reason="someone else"))
    session.add_all(
        [
            LabelledExample(text=own.text, label="positive", mention_id=own.id),
            LabelledExample(text=about.text, label="positive", mention_id=about.id),
        ]
    )
    session.add(
        ReportSnapshot(
            kind="weekly",
            period="2026-W45",
            payload={"top": [{"text": about.text, "author": "journal"}]},
        )
    )
    session.flush()
    return {"own": own.id, "about": about.id, "repost": repost.id or 0}


def _flatten(value: str) -> str:
    """JSON stored as text may escape accents (``\\u00e9``): decode it first."""
    s = value.strip()
    if s[:1] in '{["':
        try:
            return json.dumps(json.loads(s), ensure_ascii=False)
        except ValueError:
            return value
    return value


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(text.replace("-", " ").split())


def find_everywhere(engine: Engine, targets: list[str]) -> list[str]:
    """Reflect the live schema and look for ``targets`` in every column of every row.

    Reflection (not the models) so a table or column added by a migration
    is searched too; every column is CAST to text, JSON included.
    """
    meta = MetaData()
    meta.reflect(bind=engine)
    folded = [_fold(t) for t in targets]
    hits: list[str] = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            cols = list(table.columns)
            for row in conn.execute(select(*(cast(c, Text) for c in cols))):
                for c, value in zip(cols, row, strict=True):
                    if value is None:
                        continue
                    text = _fold(_flatten(str(value)))
                    for t, f in zip(targets, folded, strict=True):
                        if f in text:
                            hits.append(f"{table.name}.{c.name} holds {t!r}: {value!r}"[:300])
    return hits


def row_counts(engine: Engine) -> dict[str, int]:
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as conn:
        return {
            t.name: len(conn.execute(select(*t.primary_key.columns or t.columns)).all())
            for t in meta.sorted_tables
        }


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
