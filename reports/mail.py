"""Outgoing mail: one multipart/alternative message per team, over SMTP.

Messages always carry a plain-text part and an HTML part (rendered with
autoescape, so mention text is inert), plus optional attachments. Header
values are single-line; the password comes from ``VEILLE_SMTP_PASSWORD``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from veille.config import Settings
from veille.errors import VeilleError
from veille.i18n import _

log = logging.getLogger(__name__)


class MailError(VeilleError):
    """The SMTP server refused or could not be reached."""

    translated = True

    exit_code = 8


@dataclass
class Outgoing:
    """One message to build: recipients, subject, both bodies, attachments."""

    to: list[str]
    subject: str
    text: str
    html: str | None = None
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def build_message(settings: Settings, out: Outgoing) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp.sender
    msg["To"] = ", ".join(_one_line(a) for a in out.to)
    msg["Subject"] = _one_line(out.subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.smtp.sender.rpartition("@")[2] or None)
    msg.set_content(out.text, subtype="plain", charset="utf-8")
    if out.html is not None:
        msg.add_alternative(out.html, subtype="html", charset="utf-8")
    for name, data, mime in out.attachments:
        maintype, _sep, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def send(settings: Settings, messages: Sequence[Outgoing]) -> int:
    """Send over one SMTP connection; returns how many messages the server accepted."""
    if not messages:
        return 0
    cfg = settings.smtp
    try:
        with smtplib.SMTP(cfg.host, cfg.port, timeout=30) as smtp:
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                password = settings.secret("smtp_password")
                if password is None:
                    raise MailError(
                        _("smtp.username is set but VEILLE_SMTP_PASSWORD is not: export it")
                    )
                smtp.login(cfg.username, password)
            for out in messages:
                smtp.send_message(build_message(settings, out))
                log.info("mail sent to %d recipient(s): %s", len(out.to), _one_line(out.subject))
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            _("cannot send mail through %(host)s:%(port)s: %(error)s (check [smtp] in veille.toml)")
            % {"host": cfg.host, "port": cfg.port, "error": exc}
        ) from exc
    return len(messages)


def send_mail(
    settings: Settings, to: list[str], subject: str, text: str, html: str | None = None
) -> None:
    """Send one message (text, plus an HTML alternative when given)."""
    if not to:
        raise MailError(_("no recipient: nothing was sent"))
    send(settings, [Outgoing(to=list(to), subject=subject, text=text, html=html)])


def team_recipients(settings: Settings) -> dict[str, list[str]]:
    """Teams that have somebody to write to."""
    return {name: list(t.recipients) for name, t in settings.teams.items() if t.recipients}


def send_weekly(settings: Settings, context: dict[str, Any], paths: Sequence[Path]) -> int:
    """Mail the weekly report (HTML body, text part, PDF attached) to every team."""
    from reports.weekly import render_weekly, render_weekly_text

    teams = team_recipients(settings)
    if not teams:
        log.warning("weekly report not mailed: no team has recipients")
        return 0
    attachments = [(p.name, p.read_bytes(), "application/pdf") for p in paths if p.suffix == ".pdf"]
    text, html = render_weekly_text(context), render_weekly(context)
    subject = f"Veille hebdomadaire {context['week']} — {context['institution']}"
    return send(
        settings,
        [Outgoing(to, subject, text, html, list(attachments)) for to in teams.values()],
    )
