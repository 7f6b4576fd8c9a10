"""The alert digest: each team gets its own alerts, once, grouped and explained.

Open alerts that no digest carried yet are grouped by team (an alert whose
team is not configured goes to ``communications``), then deduplicated: the
same rule for the same institution and channel, fired in several windows,
becomes one entry with a count. Each team with recipients gets one email
(plain-text and HTML parts); the alerts it carried are marked
``digest_sent_at`` so the next digest does not repeat them. A team with
nothing to report gets no email unless ``send_empty`` is set.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from enrich.routing import FALLBACK_TEAM
from reports import mail
from reports.alert_text import rule_sentence
from reports.render import fmt_int, fmt_number, fmt_pct, render
from reports.text import author_label, excerpt
from store import alerts as store_alerts
from store import report_queries as q
from store.db import session_scope
from store.models import Alert
from store.types import utcnow
from veille.config import Settings
from veille.i18n import gettext as _
from veille.i18n import label
from veille.stages import StageContext, StageResult

log = logging.getLogger(__name__)

_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass
class DigestItem:
    """One line of a digest: one or more alerts of the same rule and subject."""

    rule: str
    label: str
    institution: str
    severity: str
    title: str
    observed_text: str
    baseline_text: str
    sigma: float | None
    threshold: Any
    window_start: datetime
    window_end: datetime
    rules_fired: list[str]
    top_terms: list[str]
    top_sources: list[str]
    samples: list[dict[str, Any]] = field(default_factory=list)
    alert_ids: list[int] = field(default_factory=list)
    count: int = 1
    #: The rule in one sentence ("42 mentions en une heure contre 6 ± 2 d'habitude").
    sentence: str = ""
    #: The alert's page in the web UI (the latest alert of the group).
    url: str = ""


@dataclass
class TeamDigest:
    team: str
    recipients: list[str]
    items: list[DigestItem]
    subject: str = ""
    text: str = ""
    html: str = ""

    @property
    def alert_ids(self) -> list[int]:
        return [i for it in self.items for i in it.alert_ids]


@dataclass
class DigestOutcome:
    digests: list[TeamDigest]
    sent: int = 0
    alerts_marked: int = 0
    unrouted: int = 0


def _values(a: Alert) -> tuple[str, str]:
    share = a.rule == "negative_share"
    if share:
        return (
            _("%(pct)s %% negative") % {"pct": fmt_number(a.observed * 100)},
            fmt_pct(a.baseline),
        )
    if a.rule == "high_reach_negative":
        return (
            _("reach %(n)s") % {"n": fmt_int(a.observed)},
            _("threshold %(n)s") % {"n": fmt_int(a.baseline)},
        )
    if a.rule == "crisis_keywords":
        return _("%(n)s mention(s)") % {"n": f"{a.observed:.0f}"}, _("none expected")
    return (
        _("%(n)s mentions") % {"n": f"{a.observed:.0f}"},
        _("%(n)s on average") % {"n": fmt_number(a.baseline)},
    )


def _group_key(a: Alert) -> tuple[str, int | None, str]:
    return (a.rule, a.institution_id, str(a.details.get("channel", "")))


def build_digests(
    settings: Settings, db_url: str, *, send_empty: bool = False
) -> tuple[list[TeamDigest], int]:
    """Group pending alerts per team; returns the digests and the count left unrouted."""
    recipients = mail.team_recipients(settings)
    with session_scope(db_url) as s:
        q.ensure_institutions(s, settings)
        names = q.institution_names(s)
        pending = store_alerts.pending_alerts(s)
        sample_ids = [
            int(i) for a in pending for i in (a.details.get("sample_mention_ids") or [])[:3]
        ]
        mentions = store_alerts.mentions_by_ids(s, sample_ids)

    by_team: dict[str, dict[tuple[str, int | None, str], list[Alert]]] = {}
    unrouted = 0
    for a in pending:
        team = a.team if a.team in settings.teams else FALLBACK_TEAM
        if team not in recipients:
            unrouted += 1
            log.warning("alert %s has no recipients (team %s); it stays pending", a.id, team)
            continue
        by_team.setdefault(team, {}).setdefault(_group_key(a), []).append(a)

    digests: list[TeamDigest] = []
    for team, to in recipients.items():
        groups = by_team.get(team, {})
        items = [_item(settings, alerts, names, mentions) for alerts in groups.values()]
        items.sort(key=lambda it: (_SEVERITY_ORDER.get(it.severity, 9), -it.count, it.rule))
        if not items and not send_empty:
            continue
        d = TeamDigest(team, to, items)
        _render(settings, d)
        digests.append(d)
    return digests, unrouted


def _item(
    settings: Settings,
    alerts: list[Alert],
    names: dict[int, tuple[str, str, bool]],
    mentions: dict[int, dict[str, Any]],
) -> DigestItem:
    latest = max(alerts, key=lambda a: (a.window_end, a.id or 0))
    observed, baseline = _values(latest)
    terms: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    for a in alerts:
        terms.update({str(t): int(c) for t, c in a.details.get("top_terms") or []})
        sources.update({str(src): int(c) for src, c in a.details.get("top_sources") or []})
    sample_ids = list(
        dict.fromkeys(int(i) for a in alerts for i in (a.details.get("sample_mention_ids") or []))
    )
    samples = [
        {
            **mentions[i],
            "author": author_label(settings, mentions[i]),
            "excerpt": excerpt(mentions[i], 160),
        }
        for i in sample_ids
        if i in mentions
    ][:3]
    inst = names.get(latest.institution_id or -1, ("", "—", False))[1]
    return DigestItem(
        rule=latest.rule,
        label=label("rule", latest.rule),
        institution=inst,
        severity=min((a.severity for a in alerts), key=lambda s: _SEVERITY_ORDER.get(s, 9)),
        title=latest.title,
        observed_text=observed,
        baseline_text=baseline,
        sigma=latest.sigma,
        threshold=latest.details.get("threshold_sigma", settings.thresholds.spike_sigma),
        window_start=min(a.window_start for a in alerts),
        window_end=max(a.window_end for a in alerts),
        rules_fired=list(latest.details.get("rules_fired") or [latest.rule]),
        top_terms=[t for t, _ in terms.most_common(6)],
        top_sources=[f"{src} ({c})" for src, c in sources.most_common(4)],
        samples=samples,
        alert_ids=[int(a.id) for a in alerts if a.id is not None],
        count=len(alerts),
        sentence=rule_sentence(latest.rule, latest.observed, latest.baseline, latest.details),
        url=alert_url(settings, latest.id),
    )


def alert_url(settings: Settings, alert_id: int | None) -> str:
    """The alert's page in the web UI (``web.base_url``), or ``""`` without an id."""
    if alert_id is None:
        return ""
    return f"{settings.web.base_url.rstrip('/')}/alerts/{int(alert_id)}"


def _render(settings: Settings, d: TeamDigest) -> None:
    n = len(d.items)
    team = label("team", d.team)
    name = settings.institution.name
    d.subject = "[veille] " + (
        _("%(name)s — %(n)s alert(s) for %(team)s") % {"name": name, "n": n, "team": team}
        if n
        else _("%(name)s — no alert for %(team)s") % {"name": name, "team": team}
    )
    context = {
        "subject": d.subject,
        "team": team,
        "items": d.items,
        "total_alerts": len(d.alert_ids),
        "generated_at": utcnow(),
    }
    d.text = render("digest.txt.j2", **context)
    d.html = render("digest.html.j2", **context)


def send_digests(
    settings: Settings,
    db_url: str,
    *,
    send_empty: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
) -> DigestOutcome:
    """Build, send and mark; ``dry_run`` builds only (nothing sent or marked)."""
    digests, unrouted = build_digests(settings, db_url, send_empty=send_empty)
    outcome = DigestOutcome(digests, unrouted=unrouted)
    if dry_run or not digests:
        return outcome
    # One team at a time: a failure leaves the remaining teams' alerts pending.
    for d in digests:
        mail.send(settings, [mail.Outgoing(d.recipients, d.subject, d.text, d.html)])
        outcome.sent += 1
        with session_scope(db_url) as s:
            outcome.alerts_marked += store_alerts.mark_digest_sent(s, d.alert_ids, now or utcnow())
    return outcome


def digest_stage(ctx: StageContext) -> StageResult:
    """Scheduler job: the daily digest (``options['send_empty']``, ``options['dry_run']``)."""
    outcome = send_digests(
        ctx.settings,
        ctx.db_url,
        send_empty=bool(ctx.options.get("send_empty", False)),
        dry_run=bool(ctx.options.get("dry_run", False)),
    )
    return StageResult(
        counts={
            "digests": len(outcome.digests),
            "emails": outcome.sent,
            "alerts": outcome.alerts_marked,
            "unrouted": outcome.unrouted,
        }
    )
