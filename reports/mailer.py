"""Outgoing mail: one small SMTP sender for notices, digests and reports.

Plain :mod:`smtplib` with :class:`email.message.EmailMessage` (which refuses
header injection); STARTTLS when ``smtp.starttls`` is set, login when a
username is configured (password from ``VEILLE_SMTP_PASSWORD`` only).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from veille.config import Settings
from veille.errors import VeilleError

log = logging.getLogger(__name__)


class MailError(VeilleError):
    """The SMTP server refused or could not be reached."""

    exit_code = 8


def _header(value: str) -> str:
    """Untrusted text in a header: one line, no control characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def build_message(
    settings: Settings, to: list[str], subject: str, text: str, html: str | None = None
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp.sender
    msg["To"] = ", ".join(_header(t) for t in to)
    msg["Subject"] = _header(subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.smtp.sender.rpartition("@")[2] or None)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def send_mail(
    settings: Settings, to: list[str], subject: str, text: str, html: str | None = None
) -> None:
    """Send one message (text, plus an HTML alternative when given)."""
    if not to:
        raise MailError("no recipient: nothing was sent")
    msg = build_message(settings, to, subject, text, html)
    smtp = settings.smtp
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:
            client.ehlo()
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if smtp.username:
                password = settings.secret("smtp_password")
                if password is None:
                    raise MailError(
                        "smtp.username is set but VEILLE_SMTP_PASSWORD is not: export it"
                    )
                client.login(smtp.username, password)
            client.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(
            f"could not send mail through {smtp.host}:{smtp.port}: {exc} "
            "(check [smtp] in veille.toml)"
        ) from exc
    log.info("mail sent to %d recipient(s)", len(to))
