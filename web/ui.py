"""Server-rendered pages: review inbox, alumni records, alerts, mentions, reports.

Plain HTML forms (POST then redirect) with a CSRF token in each; a little
vanilla JavaScript (``static/app.js``) adds keyboard shortcuts. Every route
names the roles it admits.
"""

from __future__ import annotations

import importlib
import io
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from reports.alert_text import rule_sentence, sample_ids, series_of, surface_terms, terms_of
from reports.charts import as_image
from reports.plots import counts_with_band
from reports.text import author_label
from store import alert_inbox, report_queries, review
from store.db import session_scope
from store.mention_search import MentionFilter
from store.models import AuditEvent
from store.review import BAND_NAMES, NotFoundError, ReviewError
from store.users import Account, authenticate
from veille.csvsafe import to_csv
from veille.errors import VeilleError
from veille.i18n import gettext as _
from veille.i18n import label
from veille.privacy import display_author
from web.links import self_confirmation_link
from web.messages import RefusedError, error_message
from web.render import _N, BAND_LABELS, FIELD_LABELS, safe_url
from web.security import (
    ALERT_ROLES,
    ALUMNI_ROLES,
    MENTION_ROLES,
    REPORT_ROLES,
    any_user,
    csrf_protect,
    csrf_token,
    require,
    session_account,
)
from web.sessions import sign_in, sign_out

log = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

AdminUser = Annotated[Account, Depends(require(frozenset({"admin"})))]
AlumniUser = Annotated[Account, Depends(require(ALUMNI_ROLES))]
AlertUser = Annotated[Account, Depends(require(ALERT_ROLES))]
MentionUser = Annotated[Account, Depends(require(MENTION_ROLES))]
ReportUser = Annotated[Account, Depends(require(REPORT_ROLES))]
PAGE_SIZE = 50
#: Row ids in URLs: bounded so that no database is asked about an impossible integer.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]

HOME_ROLES = frozenset({"admin", "community_manager", "communications"})
NAV = (
    ("/home", _N("Home"), HOME_ROLES),
    ("/review", _N("Suggestions"), ALUMNI_ROLES),
    ("/alumni", _N("Alumni"), ALUMNI_ROLES),
    ("/alerts", _N("Alerts"), ALERT_ROLES),
    ("/mentions", _N("Mentions"), MENTION_ROLES),
    ("/reports", _N("Reports"), REPORT_ROLES),
    ("/sources", _N("Sources"), frozenset({"admin"})),
    ("/jobs", _N("Jobs"), frozenset({"admin"})),
    ("/admin/security", _N("Security"), frozenset({"admin"})),
    (
        "/api/docs",
        "API",
        frozenset({"admin", "alumni_officer", "community_manager", "communications"}),
    ),
)
HOME = {
    "admin": "/review",
    "alumni_officer": "/review",
    "community_manager": "/home",
    "communications": "/home",
}


def nav_for(account: Account | None) -> list[tuple[str, str]]:
    """The menu a role sees (error pages too, so nobody is stranded)."""
    return [(href, _(text)) for href, text, roles in NAV if account and account.role in roles]


def flash(request: Request, message: str, kind: str = "info") -> None:
    """A message shown once on the next page (kept in the server-side session).

    Storing it never extends the session: its lifetime is fixed at sign-in.
    """
    messages = list(request.session.get("flash", []))[-4:]
    messages.append({"kind": kind, "text": message[:500]})
    request.session["flash"] = messages


def page(
    request: Request,
    template: str,
    account: Account | None,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "account": account,
        "csrf": csrf_token(request),
        "flashes": request.session.pop("flash", []),
        "nav": nav_for(account),
        "path": request.url.path,
    }
    ctx.update(context or {})
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, ctx, status_code=status_code
    )
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _db(request: Request) -> str:
    url: str = request.app.state.db_url
    return url


def _local_next(value: str) -> str:
    """Only same-site paths are allowed after login (no open redirect)."""
    if value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return ""


def _notify(request: Request, event: AuditEvent, kind: str) -> None:
    request.app.state.webhooks.notify(webhook_payload(event, kind))


def webhook_payload(event: AuditEvent, kind: str) -> dict[str, Any]:
    return {
        "event": kind,
        "audit_event_id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "alumnus_id": event.entity_id,
        "field": event.field,
        "old_value": event.old_value,
        "new_value": event.new_value,
        "suggestion_id": event.suggestion_id,
    }


# ---------------------------------------------------------------------------
# Sign in / out
# ---------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str = "") -> HTMLResponse:
    return page(request, "login.html", session_account(request), {"next": _local_next(next)})


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    throttle = request.app.state.throttle
    ip = request.client.host if request.client else "?"
    wait = throttle.retry_after(username, ip)
    if wait:
        return page(
            request,
            "login.html",
            None,
            {
                "next": _local_next(next),
                "error": _("Too many attempts. Try again in %(n)s min.") % {"n": wait // 60 + 1},
            },
            status_code=429,
        )
    with session_scope(_db(request)) as session:
        account = authenticate(session, username, password)
    if account is None:
        throttle.failure(username, ip)
        log.info("failed login for %r from %s", username[:50], ip)
        return page(
            request,
            "login.html",
            None,
            {"next": _local_next(next), "error": "Identifiant ou mot de passe incorrect."},
            status_code=401,
        )
    throttle.success(username, ip)
    sign_in(request, account)  # a new session id and CSRF token (no session fixation)
    return redirect(_local_next(next) or HOME.get(account.role, "/"))


@router.post("/logout")
def logout(request: Request) -> Response:
    sign_out(request)  # the session row is deleted: a copied cookie is refused from now on
    return redirect("/login")


@router.get("/")
def home(account: Annotated[Account, Depends(any_user)]) -> Response:
    return redirect(HOME.get(account.role, "/login"))


# ---------------------------------------------------------------------------
# Review inbox
# ---------------------------------------------------------------------------


def _band_param(value: str | None) -> str | None:
    if value in (None, "", "all"):
        return None
    if value not in BAND_NAMES:
        raise HTTPException(status_code=400, detail="unknown band")
    return value


@router.get("/review")
def review_inbox(
    request: Request, account: AlumniUser, band: Annotated[str | None, Query(max_length=10)] = None
) -> HTMLResponse:
    band_name = _band_param(band)
    with session_scope(_db(request)) as session:
        groups = review.inbox(session, band_name=band_name)
        counts = review.band_counts(session)
    return page(
        request,
        "review.html",
        account,
        {"groups": groups, "counts": counts, "band": band_name or "all", "bands": BAND_NAMES},
    )


def _back(request: Request, default: str = "/review") -> str:
    """Return to the page the form was on (same site only)."""
    referer = request.headers.get("referer", "")
    base = str(request.base_url)
    if referer.startswith(base):
        return _local_next("/" + referer[len(base) :]) or default
    return default


@router.post("/review/{suggestion_id}/accept")
def accept(
    request: Request,
    suggestion_id: RowId,
    account: AlumniUser,
    value: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    try:
        with session_scope(_db(request)) as session:
            suggestion = review.get_suggestion(session, suggestion_id)
            edited = value if value is not None and value.strip() != suggestion.new_value else None
            event = review.accept_suggestion(session, suggestion_id, account.username, edited)
    except ReviewError as exc:
        flash(request, error_message(exc), "error")
        return redirect(_back(request))
    _notify(request, event, "suggestion.accepted")
    flash(
        request,
        _("Suggestion accepted for %(who)s (%(field)s).")
        % {"who": event.entity_id, "field": FIELD_LABELS.get(event.field)},
        "ok",
    )
    return redirect(_back(request))


@router.post("/review/{suggestion_id}/reject")
def reject(request: Request, suggestion_id: RowId, account: AlumniUser) -> Response:
    try:
        with session_scope(_db(request)) as session:
            review.reject_suggestion(session, suggestion_id, account.username)
    except ReviewError as exc:
        flash(request, error_message(exc), "error")
    else:
        flash(request, _("Suggestion rejected."), "ok")
    return redirect(_back(request))


@router.post("/review/{suggestion_id}/snooze")
def snooze(
    request: Request,
    suggestion_id: RowId,
    account: AlumniUser,
    days: Annotated[int, Form(ge=1, le=365)] = 7,
) -> Response:
    try:
        with session_scope(_db(request)) as session:
            review.snooze_suggestion(session, suggestion_id, account.username, days)
    except ReviewError as exc:
        flash(request, error_message(exc), "error")
    else:
        flash(request, _("Suggestion snoozed for %(days)s days.") % {"days": days}, "ok")
    return redirect(_back(request))


@router.post("/review/{suggestion_id}/link")
def confirmation_link(request: Request, suggestion_id: RowId, account: AlumniUser) -> Response:
    """Show a self-confirmation link to send to the alumnus."""
    try:
        with session_scope(_db(request)) as session:
            suggestion = review.get_suggestion(session, suggestion_id)
    except NotFoundError as exc:
        raise RefusedError(404, exc) from exc
    link = self_confirmation_link(
        request.app.state.settings, suggestion_id, secret_key=request.app.state.secret_key
    )
    days = request.app.state.config.confirm_link_days
    flash(
        request,
        _("Self-confirmation link (valid %(days)s days): %(link)s") % {"days": days, "link": link},
        "ok",
    )
    return redirect(f"/alumni/{suggestion.alumnus_id}")


@router.get("/review/bulk")
def bulk_confirm(
    request: Request, account: AlumniUser, band: Annotated[str, Query(max_length=10)]
) -> HTMLResponse:
    band_name = _band_param(band)
    if band_name is None:
        raise HTTPException(status_code=400, detail="choose a band")
    with session_scope(_db(request)) as session:
        count = review.band_counts(session)[band_name]
    return page(request, "bulk_confirm.html", account, {"band": band_name, "count": count})


@router.post("/review/bulk")
def bulk(
    request: Request,
    account: AlumniUser,
    band: Annotated[str, Form(max_length=10)],
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    band_name = _band_param(band)
    if band_name is None or confirm != "yes":
        flash(request, _("Bulk acceptance not confirmed."), "error")
        return redirect("/review")
    with session_scope(_db(request)) as session:
        events = review.bulk_accept(session, band_name, account.username)
    for event in events:
        _notify(request, event, "suggestion.accepted")
    flash(
        request,
        _("%(n)s suggestions accepted (band %(band)s).")
        % {"n": len(events), "band": BAND_LABELS[band_name]},
        "ok",
    )
    return redirect("/review")


# ---------------------------------------------------------------------------
# Alumni records and history
# ---------------------------------------------------------------------------


@router.get("/alumni")
def alumni_list(
    request: Request,
    account: AlumniUser,
    q: Annotated[str, Query(max_length=100)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    with session_scope(_db(request)) as session:
        rows, total = review.list_alumni(
            session, search=q, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
    return page(
        request,
        "alumni.html",
        account,
        {"rows": rows, "total": total, "q": q, "page_no": page_no, "page_size": PAGE_SIZE},
    )


@router.get("/alumni/{alumnus_id}")
def alumnus_page(
    request: Request,
    alumnus_id: Annotated[str, Path(min_length=1, max_length=64)],
    account: AlumniUser,
) -> HTMLResponse:
    try:
        with session_scope(_db(request)) as session:
            alumnus = review.get_alumnus(session, alumnus_id)
            history = review.alumnus_history(session, alumnus_id)
            suggestions = review.alumnus_suggestions(session, alumnus_id)
            mentions = review.alumnus_mentions(session, alumnus_id)
    except NotFoundError as exc:
        raise RefusedError(404, exc) from exc
    return page(
        request,
        "alumnus.html",
        account,
        {"a": alumnus, "history": history, "suggestions": suggestions, "mentions": mentions},
    )


@router.post("/audit/{event_id}/undo")
def undo(request: Request, event_id: RowId, account: AlumniUser) -> Response:
    try:
        with session_scope(_db(request)) as session:
            event = review.undo_event(session, event_id, account.username)
    except ReviewError as exc:
        flash(request, error_message(exc), "error")
        return redirect(_back(request, "/alumni"))
    _notify(request, event, "change.undone")
    flash(
        request,
        _("Change undone: %(field)s restored.") % {"field": FIELD_LABELS.get(event.field)},
        "ok",
    )
    return redirect(f"/alumni/{event.entity_id}")


@router.get("/exports/accepted-changes.csv")
def export_changes(request: Request, account: AlumniUser) -> Response:
    with session_scope(_db(request)) as session:
        events = review.accepted_changes(session)
    return Response(
        changes_csv(events),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="accepted-changes.csv"'},
    )


def changes_csv(events: list[AuditEvent]) -> str:
    header = [
        "audit_event_id", "at", "action", "alumnus_id", "field",
        "old_value", "new_value", "actor", "suggestion_id",
    ]  # fmt: skip
    return to_csv(
        header,
        (
            [
                e.id,
                e.at.isoformat(),
                e.action,
                e.entity_id,
                e.field,
                e.old_value,
                e.new_value,
                e.actor,
                e.suggestion_id,
            ]
            for e in events
        ),
    )


# ---------------------------------------------------------------------------
# Home per role: listening (community manager), share of voice (communications)
# ---------------------------------------------------------------------------

HomeUser = Annotated[Account, Depends(require(HOME_ROLES))]
HOME_PERIODS = (7, 30, 90)


def _anchor(session: Any) -> datetime:
    """ "Today" of the homes: now, or the newest mention's time on a database that stopped."""
    from store.home import last_mention_at

    now = datetime.now(UTC)
    last = last_mention_at(session)
    if last is None:
        return now
    last = last if last.tzinfo else last.replace(tzinfo=UTC)
    return min(now, last)


def _days(end: date, n: int) -> list[date]:
    return [end - timedelta(days=n - 1 - i) for i in range(n)]


@router.get("/home")
def home_page(
    request: Request,
    account: HomeUser,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> HTMLResponse:
    """The community manager's listening home, or communications' share of voice."""
    if account.role == "communications":
        return _comms_home(request, account, days if days in HOME_PERIODS else 30)
    return _listening_home(request, account)


def _listening_home(request: Request, account: Account) -> HTMLResponse:
    from store import report_queries as rq
    from store.home import daily_by_institution, untriaged_count
    from store.mention_search import search

    settings = request.app.state.settings
    with session_scope(_db(request)) as session:
        ids = rq.ensure_institutions(session, settings)
        self_id = ids[settings.institution.slug]
        names = rq.institution_names(session)
        anchor = _anchor(session)
        day_list = _days(anchor.date(), 15)
        start = datetime.combine(day_list[0], datetime.min.time(), UTC)
        end = datetime.combine(anchor.date() + timedelta(days=1), datetime.min.time(), UTC)
        daily = daily_by_institution(session, start, end, self_id)
        alerts, open_total = alert_inbox.list_alerts(session, status="open", limit=5)
        week_start = end - timedelta(days=7)
        triage = untriaged_count(session, week_start, end)
        tops = search(
            session,
            MentionFilter(start=anchor.date() - timedelta(days=1), end=anchor.date(), sort="reach"),
            limit=5,
        ).rows
        for m in tops:
            session.expunge(m)
        spoke = rq.ambassadors(session, week_start, end, self_id, limit=5)
    keys = [d.isoformat() for d in day_list]
    rows = []
    for iid, (_slug, name, is_self) in sorted(names.items(), key=lambda x: (not x[1][2], x[1][1])):
        series = [daily.get(iid, {}).get(k, (0, 0, 0)) for k in keys]
        counts = [n for n, _p, _n in series]
        base = counts[:-1]
        mean = sum(base) / len(base)
        sd = (sum((c - mean) ** 2 for c in base) / len(base)) ** 0.5
        neg_base = sum(ng for _n, _p, ng in series[:-1])
        today_n, _today_pos, today_neg = series[-1]
        rows.append(
            {
                "name": name,
                "is_self": is_self,
                "today": today_n,
                "mean": mean,
                "sd": sd,
                "unusual": today_n > mean + 2 * max(sd, 1.0),
                "neg_today": today_neg / today_n if today_n else None,
                "neg_usual": neg_base / sum(base) if sum(base) else None,
                "spark": counts,
            }
        )
    ours = next((r for r in rows if r["is_self"]), None)
    chart = None
    if ours is not None:
        svg = counts_with_band(
            _("Mentions per day"),
            [d.strftime("%d/%m") for d in day_list],
            [(_("Mentions"), ours["spark"])],
            baseline=ours["mean"],
            spread=ours["sd"],
        )
        chart = as_image(svg, _("Mentions per day"))
    authors = {m.id: display_author(m, settings, is_alumnus=m.alumnus_id is not None) for m in tops}
    return page(
        request,
        "home.html",
        account,
        {
            "anchor": anchor,
            "is_today": anchor.date() == datetime.now(UTC).date(),
            "rows": rows,
            "chart": chart,
            "alerts": alerts,
            "open_total": open_total,
            "sentences": {
                a.id: rule_sentence(a.rule, a.observed, a.baseline, a.details) for a in alerts
            },
            "triage": triage,
            "triage_start": week_start.date().isoformat(),
            "tops": tops,
            "authors": authors,
            "spoke": spoke,
        },
    )


def _comms_home(request: Request, account: Account, days: int) -> HTMLResponse:
    from reports.charts import hbars, lines
    from store import report_queries as rq
    from store.home import daily_by_institution

    settings = request.app.state.settings
    with session_scope(_db(request)) as session:
        ids = rq.ensure_institutions(session, settings)
        self_id = ids[settings.institution.slug]
        names = rq.institution_names(session)
        anchor = _anchor(session)
        day_list = _days(anchor.date(), days)
        start = datetime.combine(day_list[0], datetime.min.time(), UTC)
        end = datetime.combine(anchor.date() + timedelta(days=1), datetime.min.time(), UTC)
        sov = rq.share_of_voice(session, start, end)
        daily = daily_by_institution(session, start, end, self_id)
    total = sum(int(r["mentions"]) for r in sov)
    sov_rows = [
        {
            **r,
            "share": int(r["mentions"]) / total if total else 0.0,
            "net": (int(r["positive"]) - int(r["negative"])) / int(r["mentions"])
            if int(r["mentions"])
            else None,
        }
        for r in sov
    ]
    keys = [d.isoformat() for d in day_list]
    trend: dict[str, list[float | None]] = {}
    for iid, (_slug, name, _is_self) in sorted(names.items(), key=lambda x: (not x[1][2], x[1][1])):
        values: list[float | None] = []
        for k in keys:
            n, pos, _neg = daily.get(iid, {}).get(k, (0, 0, 0))
            values.append(pos / n if n else None)  # a day without mentions is a gap
        if any(v is not None for v in values):
            trend[name] = values
    labels = [d.strftime("%d/%m") for d in day_list]
    return page(
        request,
        "home_comms.html",
        account,
        {
            "anchor": anchor,
            "days": days,
            "periods": HOME_PERIODS,
            "sov": sov_rows,
            "total": total,
            "sov_chart": hbars(
                [(r["name"], r["share"]) for r in sov_rows], _("Share of voice"), percent=True
            )
            if total
            else None,
            "trend_chart": lines(
                labels, trend, _("Share of positive mentions per day"), percent=True
            )
            if trend
            else None,
        },
    )


# ---------------------------------------------------------------------------
# Community managers: alerts and mentions
# ---------------------------------------------------------------------------


def _teams(request: Request) -> list[str]:
    return sorted(request.app.state.settings.teams)


@router.get("/alerts")
def alerts_page(
    request: Request,
    account: AlertUser,
    status: Annotated[str, Query(max_length=20)] = "open",
    team: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    status_filter = status if status in alert_inbox.ALERT_STATUSES else None
    with session_scope(_db(request)) as session:
        rows, total = alert_inbox.list_alerts(
            session, status=status_filter, team=team or None, limit=200
        )
        names = {i: n[1] for i, n in report_queries.institution_names(session).items()}
    return page(
        request,
        "alerts.html",
        account,
        {
            "rows": rows,
            "names": names,
            "sentences": {
                a.id: rule_sentence(a.rule, a.observed, a.baseline, a.details) for a in rows
            },
            "total": total,
            "status": status_filter or "all",
            "team": team,
            "teams": _teams(request),
        },
    )


def _alert_posts(request: Request, session: Any, alert: Any) -> list[dict[str, Any]]:
    """The posts behind an alert: text, author or pseudonym, link, reach, sentiment."""
    from store import alerts as store_alerts

    ids = sample_ids(alert.details)
    rows = store_alerts.mentions_by_ids(session, ids)
    settings = request.app.state.settings
    return [
        {
            **rows[i],
            "author": author_label(settings, rows[i]),
            "href": safe_url(rows[i].get("url")),
            "body": " ".join(str(rows[i].get("text") or rows[i].get("title") or "").split()),
        }
        for i in ids
        if i in rows
    ]


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: RowId, account: AlertUser) -> HTMLResponse:
    """One alert: its rule in a sentence, the series against the usual band, its posts."""
    try:
        with session_scope(_db(request)) as session:
            alert = alert_inbox.get_alert(session, alert_id)
            posts = _alert_posts(request, session, alert)
            institution = _institution_name(session, alert.institution_id)
            handlers = [a.username for a in alert_inbox.alert_handlers(session)]
    except VeilleError as exc:
        raise HTTPException(status_code=404, detail=_("This alert does not exist.")) from exc
    totals, _negs = series_of(alert.details)
    return page(
        request,
        "alert.html",
        account,
        {
            "al": alert,
            "sentence": rule_sentence(alert.rule, alert.observed, alert.baseline, alert.details),
            "terms": surface_terms(terms_of(alert.details), [p["body"] for p in posts]),
            "posts": posts,
            "institution": institution,
            "has_series": bool(totals),
            "teams": _teams(request),
            "handlers": handlers,
        },
    )


@router.get("/alerts/{alert_id}/series.svg")
def alert_series(request: Request, alert_id: RowId, account: AlertUser) -> Response:
    """The counts the spike test read, with the usual band (pygal SVG, served as an image)."""
    try:
        with session_scope(_db(request)) as session:
            alert = alert_inbox.get_alert(session, alert_id)
    except VeilleError as exc:
        raise HTTPException(status_code=404, detail=_("This alert does not exist.")) from exc
    totals, negs = series_of(alert.details)
    if not totals:
        raise HTTPException(status_code=404, detail=_("This alert has no series."))
    news = alert.details.get("channel") == "news"
    step = timedelta(days=1) if news else timedelta(hours=1)
    end = alert.window_end
    x_labels = [
        (end - step * (len(totals) - k)).strftime("%d/%m" if news else "%Hh")
        for k in range(len(totals))
    ]
    test: dict[str, Any] = next(
        (t for t in alert.details.get("tests") or [] if t.get("rule") == "volume_spike"), {}
    )
    svg = counts_with_band(
        _("Mentions per day") if news else _("Mentions per hour"),
        x_labels,
        [(_("Mentions"), totals), (_("Negative mentions"), negs)],
        baseline=float(test.get("baseline") or 0.0) if test else None,
        spread=float(test.get("baseline_sd") or 0.0) if test else None,
    )
    return Response(svg, media_type="image/svg+xml")


def _institution_name(session: Any, institution_id: int | None) -> str:
    if institution_id is None:
        return ""
    return report_queries.institution_names(session).get(institution_id, ("", "", False))[1]


@router.post("/alerts/{alert_id}/ack")
def alert_ack(request: Request, alert_id: RowId, account: AlertUser) -> Response:
    return _act_and_flash(
        request,
        lambda session: alert_inbox.acknowledge_alert(session, alert_id, account.username),
        _("Alert acknowledged."),
        "/alerts",
    )


def _act_and_flash(
    request: Request,
    act: Callable[[Session], Any],
    done: str | Callable[[Any], str],
    back: str,
) -> Response:
    """Run ``act`` in one transaction; flash ``done``, or the refusal in words; go back.

    Why one helper: every small form (acknowledge, assign, correct a label, route by
    hand) must answer the same way, a refusal named and nothing half-written. ``done``
    may be a function of what ``act`` returned (read inside the transaction).
    """
    try:
        with session_scope(_db(request)) as session:
            result = act(session)
    except VeilleError as exc:
        flash(request, error_message(exc), "error")
    else:
        flash(request, done(result) if callable(done) else done, "ok")
    return redirect(_back(request, back))


@router.post("/alerts/{alert_id}/assign")
def alert_assign(
    request: Request,
    alert_id: RowId,
    account: AlertUser,
    team: Annotated[str, Form(max_length=64)] = "",
    assignee: Annotated[str | None, Form(max_length=64)] = None,
    note: Annotated[str | None, Form(max_length=alert_inbox.NOTE_MAX)] = None,
) -> Response:
    """Route an alert to a team and, from its page, to a person with a note.

    The alerts list sends the team only: the person and the note stay. A
    new team is a correction the router learns from (in the store).
    """
    teams = _teams(request)

    def assign(session: Session) -> str | None:
        alert = alert_inbox.assign_alert(
            session,
            alert_id,
            team or None,
            teams,
            assignee=assignee,
            note=note,
            actor=account.username,
        )
        return alert.assignee

    def said(person: str | None) -> str:
        who = label("team", team) if team else _("nobody")
        if person:
            who = _("%(person)s (%(team)s)") % {"person": person, "team": who}
        return _("Alert assigned to %(who)s.") % {"who": who}

    return _act_and_flash(request, assign, said, "/alerts")


def _mention_filter(request: Request, params: MentionParams) -> MentionFilter:
    """The explorer's filter from the query string; unknown values are ignored."""
    from store import report_queries as rq
    from store.mention_search import AUTHOR_KINDS, SORTS

    settings = request.app.state.settings
    institution_id = None
    if params.institution:
        with session_scope(_db(request)) as session:
            slugs = {slug: iid for iid, (slug, _n, _s) in rq.institution_names(session).items()}
        institution_id = slugs.get(params.institution, -1)
    own = [
        (platform.lower(), handle.lstrip("@"))
        for inst in settings.institutions()
        for platform, handles in inst.handles.items()
        for handle in handles
    ]
    return MentionFilter(
        query=params.q,
        platform=params.platform,
        start=params.start,
        end=params.end,
        institution_id=institution_id,
        lang=params.lang,
        sentiment=params.sentiment,
        team=params.team,
        author_kind=params.author if params.author in AUTHOR_KINDS else "",
        institutional_handles=own,
        sort=params.sort if params.sort in SORTS else "date",
    )


class MentionParams:
    """The explorer's query string (bounded: each value is short)."""

    def __init__(
        self,
        q: Annotated[str, Query(max_length=500)] = "",
        platform: Annotated[str, Query(max_length=32)] = "",
        start: Annotated[date | None, Query()] = None,
        end: Annotated[date | None, Query()] = None,
        institution: Annotated[str, Query(max_length=100)] = "",
        lang: Annotated[str, Query(max_length=8)] = "",
        sentiment: Annotated[str, Query(max_length=16)] = "",
        team: Annotated[str, Query(max_length=64)] = "",
        author: Annotated[str, Query(max_length=16)] = "",
        sort: Annotated[str, Query(max_length=8)] = "date",
        page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    ) -> None:
        self.q, self.platform, self.start, self.end = q, platform, start, end
        self.institution, self.lang, self.sentiment, self.team = institution, lang, sentiment, team
        self.author, self.sort, self.page_no = author, sort, page_no

    def query_string(self, **changes: object) -> str:
        """This view's URL parameters (with ``changes``), for pager, sort and CSV links."""
        values: dict[str, object] = {
            "q": self.q, "platform": self.platform,
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "institution": self.institution, "lang": self.lang, "sentiment": self.sentiment,
            "team": self.team, "author": self.author, "sort": self.sort, "page": self.page_no,
        }  # fmt: skip
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1, "date")})


def _platforms_and_langs(request: Request) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    from sqlalchemy import select
    from sqlmodel import col

    from store import report_queries as rq
    from store.models import Mention

    with session_scope(_db(request)) as session:
        platforms = sorted(
            p for p in session.execute(select(col(Mention.platform)).distinct()).scalars() if p
        )
        langs = sorted(
            x for x in session.execute(select(col(Mention.lang)).distinct()).scalars() if x
        )
        rq.ensure_institutions(session, request.app.state.settings)
        insts = sorted((slug, name) for slug, name, _s in rq.institution_names(session).values())
    return platforms, langs, insts


@router.get("/mentions")
def mentions_page(
    request: Request, account: MentionUser, params: Annotated[MentionParams, Depends()]
) -> HTMLResponse:
    from store.mention_search import search
    from veille.query import QuerySyntaxError

    error = ""
    rows: list[Any] = []
    total, truncated = 0, False
    try:
        with session_scope(_db(request)) as session:
            result = search(
                session,
                _mention_filter(request, params),
                limit=PAGE_SIZE,
                offset=(params.page_no - 1) * PAGE_SIZE,
            )
            rows, total, truncated = result.rows, result.total, result.truncated
            for m in rows:
                session.expunge(m)
    except QuerySyntaxError as exc:
        error = error_message(exc)
    settings = request.app.state.settings
    platforms, langs, insts = _platforms_and_langs(request)
    return page(
        request,
        "mentions.html",
        account,
        {
            "rows": rows,
            "authors": {
                m.id: display_author(m, settings, is_alumnus=m.alumnus_id is not None) for m in rows
            },
            "total": total,
            "truncated": truncated,
            "error": error,
            "p": params,
            "teams": _teams(request),
            "platforms": platforms,
            "langs": langs,
            "institutions": insts,
            "page_size": PAGE_SIZE,
            "can_correct": account.role in ("admin", "community_manager"),
        },
        status_code=400 if error else 200,
    )


#: Rows of one CSV export of the explorer's view.
CSV_EXPORT_LIMIT = 10_000


@router.get("/mentions.csv")
def mentions_csv(
    request: Request,
    account: MentionUser,
    params: Annotated[MentionParams, Depends()],
    excel: Annotated[str, Query(max_length=3)] = "fr",
) -> Response:
    """The current view (query, filters, sort) as CSV; ``excel=fr``: ``;`` and a BOM."""
    from store.mention_search import search
    from veille.csvsafe import write_rows
    from veille.query import QuerySyntaxError

    settings = request.app.state.settings
    try:
        with session_scope(_db(request)) as session:
            result = search(session, _mention_filter(request, params), limit=CSV_EXPORT_LIMIT)
            body = [
                [
                    m.id,
                    m.published_at.isoformat(),
                    m.platform,
                    m.lang or "",
                    m.sentiment_label or "",
                    m.team or "",
                    m.reach,
                    display_author(m, settings, is_alumnus=m.alumnus_id is not None),
                    m.title,
                    m.text,
                    m.url,
                ]
                for m in result.rows
            ]
    except QuerySyntaxError as exc:
        raise RefusedError(400, exc) from exc
    french = excel == "fr"
    buf = io.StringIO()
    header = [
        "id", "published_at", "platform", "lang", "sentiment", "team", "reach",
        "author", "title", "text", "url",
    ]  # fmt: skip
    write_rows(buf, header, body, delimiter=";" if french else ",")
    data = ("\ufeff" if french else "") + buf.getvalue()
    return Response(
        data.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="mentions.csv"'},
    )


CorrectUser = Annotated[Account, Depends(require(frozenset({"admin", "community_manager"})))]


@router.post("/mentions/{mention_id}/sentiment")
def correct_sentiment(
    request: Request,
    mention_id: RowId,
    account: CorrectUser,
    label_value: Annotated[str, Form(alias="label", max_length=16)],
) -> Response:
    """A human sentiment label: applied to the mention, kept as a labelled example."""
    from store.labels import add_correction

    return _act_and_flash(
        request,
        lambda session: add_correction(session, mention_id, label_value, account.username),
        _("Sentiment corrected to %(label)s; kept as a labelled example.")
        % {"label": label("sentiment", label_value)},
        "/mentions",
    )


@router.post("/mentions/{mention_id}/team")
def correct_team(
    request: Request,
    mention_id: RowId,
    account: CorrectUser,
    team: Annotated[str, Form(max_length=64)],
) -> Response:
    """Route a mention to a team by hand, kept as a labelled example for the router."""
    from store.labels import add_team_correction

    teams = _teams(request)
    return _act_and_flash(
        request,
        lambda session: add_team_correction(session, mention_id, team, account.username, teams),
        _("Mention routed to %(team)s; kept as a labelled example.")
        % {"team": label("team", team)},
        "/mentions",
    )


@router.get("/mentions/labels")
def labelled_page(request: Request, account: MentionUser) -> HTMLResponse:
    """The corrections people made, newest first: the examples retraining will read."""
    from sqlmodel import col, select

    from store.models import LabelledExample

    with session_scope(_db(request)) as session:
        rows = session.exec(
            select(LabelledExample)
            .order_by(col(LabelledExample.created_at).desc(), col(LabelledExample.id).desc())
            .limit(200)
        ).all()
        for r in rows:
            session.expunge(r)
    return page(request, "labels.html", account, {"rows": rows})


# ---------------------------------------------------------------------------
# Communications: brand reports
# ---------------------------------------------------------------------------

REPORT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


def _brand_report_fn() -> Any:
    """``reports.brand.brand_report`` if installed, else None (imported lazily)."""
    try:
        module = importlib.import_module("reports.brand")
    except ImportError:
        return None
    return getattr(module, "brand_report", None)


def data_span(db_url: str) -> tuple[date, date] | None:
    """First and last day with mentions (UTC), or None on an empty database."""
    from sqlalchemy import func, select

    from store.models import Mention

    with session_scope(db_url) as session:
        lo, hi = session.execute(
            select(func.min(Mention.published_at), func.max(Mention.published_at))
        ).one()
    if lo is None or hi is None:
        return None
    return lo.date(), hi.date()


def default_period(db_url: str, today: date | None = None) -> tuple[date, date]:
    """The brand form's period: the last 30 days *where the data is*, not before it."""
    today = today or date.today()
    span = data_span(db_url)
    if span is None:
        return today - timedelta(days=30), today
    first, last = span
    end = min(last, today)
    return max(first, end - timedelta(days=30)), end


def _archive(request: Request) -> list[str]:
    from store import report_snapshots

    with session_scope(_db(request)) as session:
        return report_snapshots.periods(session, report_snapshots.WEEKLY)


@router.get("/reports")
def reports_page(request: Request, account: ReportUser) -> HTMLResponse:
    settings = request.app.state.settings
    start, end = default_period(_db(request))
    return page(
        request,
        "reports.html",
        account,
        {
            "installed": _brand_report_fn() is not None,
            "query": settings.institution.effective_query(),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "error": None,
            "weeks": _archive(request),
        },
    )


WeekLabel = Annotated[str, Path(pattern=r"^\d{4}-W\d{2}$", max_length=8)]


@router.get("/reports/weekly/{week}.html")
def weekly_html(request: Request, week: WeekLabel, account: ReportUser) -> Response:
    """A past weekly report, as it was frozen by the weekly stage."""
    return Response(_weekly(request, week), media_type="text/html; charset=utf-8")


@router.get("/reports/weekly/{week}.pdf")
def weekly_pdf(request: Request, week: WeekLabel, account: ReportUser) -> Response:
    from reports.render import html_to_pdf

    body = html_to_pdf(_weekly(request, week))
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="weekly-{week}.pdf"'},
    )


def _weekly(request: Request, week: str) -> str:
    from reports.weekly import WeekFormatError, build_weekly, parse_week, render_weekly

    if week not in _archive(request):
        raise HTTPException(status_code=404, detail=_("This weekly report is not archived."))
    try:
        parsed = parse_week(week)
    except WeekFormatError as exc:
        raise RefusedError(404, exc) from exc
    context = build_weekly(request.app.state.settings, _db(request), parsed)
    return render_weekly(context)


@router.post("/reports")
def run_report(
    request: Request,
    account: ReportUser,
    query: Annotated[str, Form(max_length=2000)],
    start: Annotated[date, Form()],
    end: Annotated[date, Form()],
    fmt: Annotated[str, Form(max_length=4)] = "html",
    compare_peers: Annotated[str, Form(max_length=5)] = "",
    csv_excel: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    settings = request.app.state.settings
    context = {
        "installed": True,
        "query": query,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "error": None,
        "weeks": _archive(request),
    }
    fn = _brand_report_fn()
    if fn is None:
        context.update(installed=False)
        return page(request, "reports.html", account, context, status_code=501)
    if fmt not in REPORT_TYPES or end < start:
        context["error"] = _("Choose a format (HTML, PDF, CSV) and an end after the start.")
        return page(request, "reports.html", account, context, status_code=400)
    try:
        options = {"csv_delimiter": ";", "csv_bom": True} if csv_excel else {}
        body = fn(
            settings,
            query=query,
            start=start,
            end=end,
            compare_peers=bool(compare_peers),
            fmt=fmt,
            **options,
        )
    except VeilleError as exc:
        context["error"] = error_message(exc)
        return page(request, "reports.html", account, context, status_code=400)
    name = f"brand-report-{start.isoformat()}-{end.isoformat()}.{fmt}"
    log.info("brand report %s run by %s", name, account.username)
    return Response(
        body,
        media_type=REPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---------------------------------------------------------------------------
# Admin: the scheduler's run log
# ---------------------------------------------------------------------------


@router.get("/jobs")
def jobs_page(request: Request, account: AdminUser) -> HTMLResponse:
    import scheduler
    from store.runs import recent_runs

    with session_scope(_db(request)) as session:
        runs = recent_runs(session, limit=100)
    health = scheduler.health(request.app.state.settings)
    return page(
        request,
        "jobs.html",
        account,
        {
            "runs": runs,
            "health": health,
            "overall": overall_state(health),
            "job_states": job_states(health),
        },
    )


def overall_state(health: dict[str, Any]) -> str:
    """``ok``, ``never_run`` (nothing ever ran) or ``degraded``: as ``/health`` says it."""
    if not health.get("ever_ran", True):
        return "never_run"
    return "ok" if health.get("ok") else "degraded"


def job_states(health: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per known job: never run, late, failed, stuck, running or ok."""
    by_job = {j["job"]: j for j in health.get("jobs") or []}
    names = sorted({*by_job, *(health.get("never_run") or [])})
    out = []
    for name in names:
        j = by_job.get(name, {})
        if name in (health.get("never_run") or []):
            state = "late" if name in (health.get("late") or []) else "never_run"
        elif name in (health.get("stuck") or []):
            state = "stuck"
        elif j.get("status") == "error":
            state = "error"
        elif name in (health.get("late") or []):
            state = "late"
        else:
            state = str(j.get("status") or "never_run")
        out.append(
            {
                "job": name,
                "state": state,
                "started_at": str(j.get("started_at") or "")[:16].replace("T", " "),
                "last_ok_at": str(j.get("last_ok_at") or "")[:16].replace("T", " "),
            }
        )
    return out


# ---------------------------------------------------------------------------
# Admin: crawl sources, failing targets, quarantined items
# ---------------------------------------------------------------------------


@router.get("/sources")
def sources_page(request: Request, account: AdminUser) -> HTMLResponse:
    from store import crawl_state
    from store import rejected as rejected_store

    configured = {s.name for s in request.app.state.settings.sources}
    with session_scope(_db(request)) as session:
        rows = [h for h in crawl_state.health(session) if not configured or h.name in configured]
        recent = rejected_store.recent(session, limit=PAGE_SIZE)
    return page(request, "sources.html", account, {"sources": rows, "rejected": recent})
