"""Article 14 notices go out through a real SMTP server, once, with the link."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from itsdangerous import URLSafeTimedSerializer
from sqlmodel import select

from reports.mail import MailError, send_mail
from store.db import session_scope
from store.models import Alumnus, AuditEvent, ProfileSnapshot, Suggestion
from tests.conftest import make_settings
from veille.config import Settings
from veille.notices import notices_stage, send_notices
from veille.stages import StageContext

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PROV = {
    "url": "https://annuaire.example.org/p/claire",
    "fetched_at": "2026-11-20T10:00:00+00:00",
    "method": "schema_person",
    "source": "annuaire-labos",
    "version": "1.0",
}


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[_Inbox, int]]:
    handler = _Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def notice_settings(db_url: str, inbox: tuple[_Inbox, int]) -> Settings:
    settings = make_settings(
        smtp={"host": "127.0.0.1", "port": inbox[1], "sender": "alumni@univ-exemple.fr"}
    )
    settings.database_url = db_url
    return settings


def signed_link(settings: Settings, suggestion_id: int) -> str:
    """A signed link like the web UI's (the test's own signer, not the product's)."""
    token = URLSafeTimedSerializer("test-secret").dumps({"s": suggestion_id})
    return f"{settings.web.base_url}/confirm/{token}"


def _seed(db_url: str) -> None:
    with session_scope(db_url) as s:
        s.add_all(
            [
                Alumnus(
                    id="A1", first_name="Claire <b>", last_name="Martin", emails=["claire@ex.org"]
                ),
                Alumnus(id="A2", first_name="Marc", last_name="Noël", emails=[]),
                Alumnus(
                    id="A3", first_name="Zoé", last_name="Opt", emails=["z@ex.org"], opt_out=True
                ),
                Alumnus(id="A4", first_name="Yves", last_name="Vieux", emails=["y@ex.org"]),
            ]
        )
        s.flush()
        for i, aid in enumerate(["A1", "A2", "A3"]):
            s.add(
                Suggestion(
                    dedupe_key=f"s{i}",
                    alumnus_id=aid,
                    field="employer",
                    old_value="Ancien",
                    new_value="Labo Secret",
                    confidence=0.9,
                    provenance=PROV,
                    created_at=NOW - timedelta(days=40 if aid == "A2" else 2),
                )
            )
        s.add(
            ProfileSnapshot(
                profile_key="https://orcid.org/0000-0001",
                source_kind="orcid",
                url="https://orcid.org/0000-0001",
                method="orcid/1",
                fetched_at=NOW - timedelta(days=1),
                person={"family_name": "Vieux"},
                content_hash="a" * 64,
                alumnus_id="A4",
            )
        )


def test_notices_sent_once_with_link_and_no_values(
    notice_settings: Settings, inbox: tuple[_Inbox, int], db_url: str
) -> None:
    handler, _ = inbox
    _seed(db_url)
    run = send_notices(notice_settings, db_url, link_for=signed_link, send=send_mail, now=NOW)
    assert (run.sent, run.due, run.no_address) == (2, 3, 1)
    assert run.overdue == ["A2"]  # 40 days old, no address: reported
    assert any("overdue" in n and "A2" in n for n in run.notes)
    by_rcpt = {tuple(r): m for r, m in handler.messages}
    assert set(by_rcpt) == {("claire@ex.org",), ("y@ex.org",)}

    claire = by_rcpt[("claire@ex.org",)]
    text = claire.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = claire.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert claire["From"] == "alumni@univ-exemple.fr"
    assert "Martin" not in claire["Subject"]
    for body in (text, html):
        assert "annuaire-labos" in body and PROV["url"] in body
        assert "Labo Secret" not in body  # the kind of data, never its value
        assert "intérêt légitime" in body and "legitimate interest" in body
        assert "http://127.0.0.1:8000/confirm/" in body
    assert "Claire &lt;b&gt;" in html and "<b>" not in html
    yves = by_rcpt[("y@ex.org",)].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "orcid" in yves and "répondez" in yves  # no suggestion: reply to object

    with session_scope(db_url) as s:
        sent = {a.id: a.notice_sent_at for a in s.exec(select(Alumnus))}
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "notice")).all()
    assert sent == {"A1": NOW, "A2": None, "A3": None, "A4": NOW}
    assert {e.entity_id for e in events} == {"A1", "A4"}

    again = send_notices(notice_settings, db_url, link_for=signed_link, send=send_mail, now=NOW)
    assert again.sent == 0 and len(handler.messages) == 2


def test_new_data_after_a_notice_triggers_a_new_one(
    notice_settings: Settings, inbox: tuple[_Inbox, int], db_url: str
) -> None:
    _seed(db_url)
    send_notices(notice_settings, db_url, link_for=signed_link, send=send_mail, now=NOW)
    with session_scope(db_url) as s:
        s.add(
            Suggestion(
                dedupe_key="later",
                alumnus_id="A1",
                field="city",
                new_value="Nantes",
                confidence=0.9,
                provenance=PROV,
                created_at=NOW + timedelta(days=3),
            )
        )
    run = send_notices(
        notice_settings, db_url, link_for=signed_link, send=send_mail, now=NOW + timedelta(days=4)
    )
    assert run.sent == 1 and inbox[0].messages[-1][0] == ["claire@ex.org"]


@pytest.mark.usefixtures("english_messages")
def test_unreachable_server_keeps_the_notice_due(db_url: str) -> None:
    settings = make_settings(smtp={"host": "127.0.0.1", "port": _free_port()})
    settings.database_url = db_url
    _seed(db_url)
    run = send_notices(settings, db_url, link_for=signed_link, send=send_mail, now=NOW)
    assert run.sent == 0 and run.failed == 2
    with pytest.raises(MailError, match="check \\[smtp\\]"):
        send_mail(settings, ["x@ex.org"], "s", "t")
    with session_scope(db_url) as s:
        assert all(a.notice_sent_at is None for a in s.exec(select(Alumnus)))


def test_stage_sends_notices_with_signed_links(
    notice_settings: Settings,
    inbox: tuple[_Inbox, int],
    db_url: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scheduled stage, with web.links installed: each notice carries its signed link."""
    monkeypatch.setenv("VEILLE_SECRET_KEY", "k" * 40)
    _seed(db_url)
    ctx = StageContext(settings=notice_settings, db_url=db_url, output_dir=tmp_path)
    result = notices_stage(ctx)
    assert result.counts["due"] == 3 and result.counts["sent"] >= 1
    assert inbox[0].messages
    bodies = [m.get_body(preferencelist=("plain",)) for _r, m in inbox[0].messages]
    # alumni with a suggested change get its signed self-confirmation link
    assert any(b is not None and "/confirm/" in b.get_content() for b in bodies)
