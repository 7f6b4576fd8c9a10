"""Helpers to put realistic mentions in a real database for report tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pytest

from store.db import insert_ignore, session_scope
from store.models import Mention, MentionInstitution
from store.report_queries import ensure_institutions
from veille.config import Settings

_ids = itertools.count(1)

#: Text that must stay inert everywhere: markup, a formula, a link scheme.
EVIL = '=HYPERLINK("http://evil.example","x") <script>alert("xss")</script> <b>gras</b>'


def mention(published_at: datetime, **kw: Any) -> dict[str, Any]:
    n = next(_ids)
    row: dict[str, Any] = {
        "platform": "mastodon",
        "platform_id": f"m{n}",
        "url": f"https://social.example/@u/{n}",
        "text": f"Une journée ordinaire à l'Université Exemple, message {n}",
        "published_at": published_at,
        "reach": 100,
        "author_handle": f"user{n % 17}",
        "author_key": f"{(n % 17) * 7919:08x}",
        "sentiment_label": "neutral",
        "engagement": {},
        "raw": {},
        "provenance": {},
    }
    row.update(kw)
    return row


def add_mentions(
    db_url: str,
    settings: Settings,
    rows: Iterable[dict[str, Any]],
    institution: str | None = None,
) -> list[int]:
    """Insert mentions; link them to ``institution`` (slug) when given."""
    rows = list(rows)
    with session_scope(db_url) as s:
        ids = ensure_institutions(s, settings)
        keys = [(r["platform"], r["platform_id"]) for r in rows]
        insert_ignore(s, Mention, rows, ["platform", "platform_id"])
        from sqlalchemy import select, tuple_

        got = s.execute(
            select(Mention.id).where(  # type: ignore[call-overload]
                tuple_(Mention.platform, Mention.platform_id).in_(keys)
            )
        ).scalars()
        mids = sorted(int(i) for i in got)
        if institution is not None:
            insert_ignore(
                s,
                MentionInstitution,
                [{"mention_id": m, "institution_id": ids[institution]} for m in mids],
                ["mention_id", "institution_id"],
            )
    return mids


@pytest.fixture
def team_settings(settings: Settings) -> Settings:
    """The test settings with routed teams and their recipients."""
    data = settings.model_dump()
    data["teams"] = {
        "communications": {"recipients": ["com@univ.example"], "keywords": ["classement"]},
        "it": {"recipients": ["dsi@univ.example"], "keywords": ["wifi", "mot de passe"]},
        "student_services": {"recipients": ["vie@univ.example"], "keywords": ["bourse"]},
        "alumni": {"recipients": ["alumni@univ.example"], "keywords": ["alumni"]},
    }
    s = Settings.model_validate(data)
    s.database_url = settings.database_url
    return s
