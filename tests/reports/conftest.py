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
    # Same keys on every row (multi-row INSERT), model defaults for the rest.
    rows = [Mention(**r).model_dump(exclude={"id"}) for r in rows]
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


class _Inbox:
    """aiosmtpd handler keeping every message the server accepted."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes
        from email.policy import default

        msg = message_from_bytes(envelope.content, policy=default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Any:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; yields (host, port, inbox)."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, inbox
    finally:
        controller.stop()


def with_smtp(settings: Settings, host: str, port: int) -> Settings:
    data = settings.model_dump()
    data["smtp"] = {"host": host, "port": port, "sender": "veille@univ.example"}
    s = Settings.model_validate(data)
    s.database_url = settings.database_url
    return s
