"""Article 14 notices: tell alumni what was collected about them, from where, and why.

When veille collects data about an alumnus from a third party (a public
profile, an appointment feed, a post), the person must be told within a
month (RGPD Art. 14(3)(a)): what categories of data, from which source, for
what purpose and on what legal basis, how long it is kept, their rights, and
how to object. The notice names the *kind* of data and its source, never the
values: the office's address on file may be outdated, and the notice must not
disclose anything to whoever reads that mailbox now.

The notice carries the signed self-confirmation link of the web UI
(``web.links:self_confirmation_link``); when that module is not installed,
no notice is sent and the stage says so rather than sending a notice without
a way to answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape

from store.db import session_scope
from store.notices import NoticeDue, mark_notice_sent, notices_due
from store.types import utcnow
from veille.config import Settings
from veille.errors import StageNotDeliveredError, VeilleError
from veille.stages import StageContext, StageResult, load

log = logging.getLogger(__name__)

LinkFor = Callable[[Settings, int], str]
Sender = Callable[[Settings, list[str], str, str, str | None], None]

_TEXT = """\
(English below)

Bonjour {{ first_name }},

{{ controller }} tient à jour l'annuaire de ses diplômé·es. Nous avons récemment
collecté des informations vous concernant auprès de sources publiques :
{% for i in items %}
  - {{ i.what }} — source : {{ i.source }}{% if i.url %} ({{ i.url }}){% endif %}, le {{ i.fr }}
{%- endfor %}

Pourquoi : maintenir le lien avec nos ancien·nes étudiant·es (intérêt légitime,
art. 6(1)(f) RGPD). Rien n'est modifié dans votre fiche sans validation par une
personne du service alumni. Les données brutes sont conservées {{ retention_days }} jours.

Vos droits : accès, rectification, effacement, limitation et opposition
(art. 15 à 21 RGPD), et réclamation auprès de la CNIL (www.cnil.fr).
{% if link %}Confirmer, corriger ou vous opposer : {{ link }}
{% else %}Pour exercer vos droits ou vous opposer, répondez simplement à ce message.
{% endif %}
---

Hello {{ first_name }},

{{ controller }} keeps its alumni directory up to date. We recently collected
information about you from public sources:
{% for i in items %}
  - {{ i.what }} — source: {{ i.source }}{% if i.url %} ({{ i.url }}){% endif %}, on {{ i.en }}
{%- endfor %}

Why: to keep in touch with our alumni (legitimate interest, GDPR Art. 6(1)(f)).
Nothing changes in your record unless a person in the alumni office approves it.
Raw data is kept {{ retention_days }} days.

Your rights: access, rectification, erasure, restriction and objection
(GDPR Art. 15-21), and a complaint to your data-protection authority.
{% if link %}Confirm, correct or object: {{ link }}
{% else %}To exercise your rights or object, simply reply to this message.
{% endif %}"""

_HTML = """\
<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body>
<p lang="en"><em>English below.</em></p>
<section lang="fr">
<p>Bonjour {{ first_name }},</p>
<p>{{ controller }} tient à jour l'annuaire de ses diplômé·es. Nous avons récemment
collecté des informations vous concernant auprès de sources publiques&nbsp;:</p>
<ul>{% for i in items %}
<li>{{ i.what }} — source&nbsp;: {{ i.source }}{% if i.url %} ({{ i.url }}){% endif %},
le {{ i.fr }}</li>{% endfor %}
</ul>
<p>Pourquoi&nbsp;: maintenir le lien avec nos ancien·nes étudiant·es (intérêt légitime,
art. 6(1)(f) RGPD). Rien n'est modifié dans votre fiche sans validation par une personne
du service alumni. Les données brutes sont conservées {{ retention_days }} jours.</p>
<p>Vos droits&nbsp;: accès, rectification, effacement, limitation et opposition
(art. 15 à 21 RGPD), et réclamation auprès de la CNIL.</p>
{% if link %}<p><a href="{{ link }}">Confirmer, corriger ou vous opposer</a></p>
{% else %}<p>Pour exercer vos droits ou vous opposer, répondez à ce message.</p>{% endif %}
</section>
<hr>
<section lang="en">
<p>Hello {{ first_name }},</p>
<p>{{ controller }} keeps its alumni directory up to date. We recently collected
information about you from public sources:</p>
<ul>{% for i in items %}
<li>{{ i.what }} — source: {{ i.source }}{% if i.url %} ({{ i.url }}){% endif %},
on {{ i.en }}</li>{% endfor %}
</ul>
<p>Why: to keep in touch with our alumni (legitimate interest, GDPR Art. 6(1)(f)).
Nothing changes in your record unless a person in the alumni office approves it.
Raw data is kept {{ retention_days }} days.</p>
<p>Your rights: access, rectification, erasure, restriction and objection (GDPR Art. 15-21),
and a complaint to your data-protection authority.</p>
{% if link %}<p><a href="{{ link }}">Confirm, correct or object</a></p>
{% else %}<p>To exercise your rights or object, reply to this message.</p>{% endif %}
</section>
</body></html>
"""

_ENV = Environment(
    loader=DictLoader({"notice.txt": _TEXT, "notice.html": _HTML}),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass
class Notice:
    to: list[str]
    subject: str
    text: str
    html: str


@dataclass
class NoticeRun:
    sent: int = 0
    due: int = 0
    no_address: int = 0
    failed: int = 0
    #: Alumni whose oldest un-notified datum is older than ``privacy.notice_days``.
    overdue: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def render_notice(settings: Settings, due: NoticeDue, link: str | None) -> Notice:
    """The FR + EN notice for one alumnus (HTML autoescaped; text is plain text)."""
    subject = f"{settings.institution.name} — information sur vos données / about your data"
    values: dict[str, Any] = {
        "first_name": due.first_name or due.last_name or "",
        "controller": settings.institution.name,
        "items": [
            {
                "what": i.what,
                "source": i.source,
                "url": i.url,
                "fr": i.collected_at.strftime("%d/%m/%Y"),
                "en": i.collected_at.strftime("%Y-%m-%d"),
            }
            for i in due.items
        ],
        "link": link,
        "retention_days": settings.privacy.retention_days_snapshots,
        "subject": subject,
    }
    return Notice(
        to=due.emails[:1],
        subject=subject,
        text=_ENV.get_template("notice.txt").render(values),
        html=_ENV.get_template("notice.html").render(values),
    )


def send_notices(
    settings: Settings,
    db_url: str,
    *,
    link_for: LinkFor,
    send: Sender,
    now: datetime | None = None,
    actor: str = "veille:notices",
) -> NoticeRun:
    """Send every due notice; each one is recorded in its own transaction once sent."""
    now = now or utcnow()
    run = NoticeRun()
    with session_scope(db_url) as session:
        due_list = notices_due(session)
    deadline = timedelta(days=settings.privacy.notice_days)
    for due in due_list:
        run.due += 1
        if not due.emails:
            run.no_address += 1
            if now - due.first_collected_at > deadline:
                run.overdue.append(due.alumnus_id)
            continue
        suggestion_id = due.link_suggestion_id()
        link = link_for(settings, suggestion_id) if suggestion_id is not None else None
        notice = render_notice(settings, due, link)
        try:
            send(settings, notice.to, notice.subject, notice.text, notice.html)
        except VeilleError as exc:
            run.failed += 1
            log.warning("notice for alumnus %s not sent: %s", due.alumnus_id, exc)
            if now - due.first_collected_at > deadline:
                run.overdue.append(due.alumnus_id)
            continue
        with session_scope(db_url) as session:
            mark_notice_sent(
                session,
                due.alumnus_id,
                now,
                actor=actor,
                details={"items": len(due.items), "link": link is not None},
            )
        run.sent += 1
    if run.no_address:
        run.notes.append(f"{run.no_address} alumni with new data have no email address on file")
    if run.overdue:
        run.notes.append(
            f"{len(run.overdue)} Art. 14 notice(s) overdue (> {settings.privacy.notice_days} "
            f"days): {', '.join(run.overdue)}"
        )
    return run


def notices_stage(ctx: StageContext) -> StageResult:
    """Scheduler stage ``veille.notices:notices_stage`` (daily is enough)."""
    from reports.mail import send_mail

    now = ctx.options.get("now") if isinstance(ctx.options.get("now"), datetime) else None
    try:
        link_for: LinkFor = load("web.links:self_confirmation_link")
    except StageNotDeliveredError as exc:
        with session_scope(ctx.db_url) as session:
            pending = len(notices_due(session))
        note = (
            f"no Art. 14 notice sent: the self-confirmation link ({exc}) is not installed; "
            f"{pending} alumni are waiting for one"
        )
        log.warning(note)
        return StageResult(counts={"sent": 0, "due": pending}, notes=[note])
    run = send_notices(ctx.settings, ctx.db_url, link_for=link_for, send=send_mail, now=now)
    return StageResult(
        counts={
            "sent": run.sent,
            "due": run.due,
            "no_address": run.no_address,
            "failed": run.failed,
            "overdue": len(run.overdue),
        },
        notes=run.notes,
    )
