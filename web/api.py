"""REST API ``/api/v1``: alumni, suggestions, mentions, alerts and the change feed.

Bearer-token auth only (tokens from ``veille users token`` or the *Mon
compte* page). Two checks on every route: the token's user role decides what
it may reach, exactly as in the UI, and the token's scope what it may do
there: ``read`` only reads, ``review`` also decides (accept, reject, undo,
acknowledge, opt out), ``admin`` allows all its role allows. Lists are
paginated with ``limit``/``offset`` and return ``{items, total, limit, offset}``.
The change feed (JSON or CSV) is what a CRM polls; webhooks push the same
events as they happen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from store import alert_inbox, review
from store.db import session_scope
from store.models import Alert, Alumnus, AuditEvent, Mention, Suggestion
from store.person import PersonNotFoundError, opt_out
from store.review import NotFoundError, ReviewError
from store.users import Account, TokenGrant, token_grant
from veille.config import Settings
from veille.privacy import display_author
from web.security import ALERT_ROLES, ALUMNI_ROLES, MENTION_ROLES

T = TypeVar("T")

bearer = HTTPBearer(
    auto_error=False,
    description="A token from `veille users token USERNAME --scope read|review|admin`.",
)

#: Text parameters: bounded, without NUL (which PostgreSQL refuses) or control characters.
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)]
AlumnusId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid token"},
    403: {"description": "The token's role or scope does not allow this"},
}


def _authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> TokenGrant:
    unauthorized = HTTPException(
        status_code=401, detail="bearer token required", headers={"WWW-Authenticate": "Bearer"}
    )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized
    with session_scope(request.app.state.db_url) as session:
        grant = token_grant(session, credentials.credentials)
    if grant is None:
        raise unauthorized
    return grant


def role(roles: frozenset[str], scope: str = "read") -> Callable[..., Account]:
    """Admit tokens whose user has one of ``roles`` and whose scope covers ``scope``."""

    def dependency(grant: Annotated[TokenGrant, Depends(_authenticate)]) -> Account:
        if grant.account.role not in roles:
            raise HTTPException(status_code=403, detail="this token's role does not allow it")
        if not grant.allows(scope):
            raise HTTPException(
                status_code=403,
                detail=f"this token's scope ({grant.scope}) does not allow it; "
                f"it needs a {scope!r} token",
            )
        return grant.account

    return dependency


AlumniToken = Annotated[Account, Depends(role(ALUMNI_ROLES))]
AlumniReviewToken = Annotated[Account, Depends(role(ALUMNI_ROLES, "review"))]
AlertToken = Annotated[Account, Depends(role(ALERT_ROLES))]
AlertReviewToken = Annotated[Account, Depends(role(ALERT_ROLES, "review"))]
MentionToken = Annotated[Account, Depends(role(MENTION_ROLES))]

router = APIRouter(prefix="/api/v1", tags=["v1"], responses=ERRORS)


# ---------------------------------------------------------------------------
# Response models
# ---------------------------------------------------------------------------


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class AlumnusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    first_name: str
    last_name: str
    birth_name: str
    graduation_year: int | None
    program: str
    emails: list[str]
    city: str
    postcode: str
    address: str
    employer: str
    job_title: str
    linkedin_url: str
    orcid: str
    handles: dict[str, str]
    verified_at: datetime | None
    opt_out: bool
    updated_at: datetime


class SuggestionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    alumnus_id: str
    field: str
    old_value: str | None
    new_value: str
    confidence: float
    band: str
    evidence: dict[str, Any]
    provenance: dict[str, Any]
    status: str
    reviewer: str | None
    decided_at: datetime | None
    snoozed_until: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, s: Suggestion) -> SuggestionOut:
        data = {k: getattr(s, k) for k in cls.model_fields if k != "band"}
        return cls(**data, band=review.band(s.confidence))


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    field: str | None
    old_value: str | None
    new_value: str | None
    suggestion_id: int | None


class MentionOut(BaseModel):
    id: int
    platform: str
    url: str
    published_at: datetime
    author: str = Field(description="Handle, or a keyed pseudonym when authors are pseudonymised")
    title: str
    text: str
    lang: str | None
    sentiment_label: str | None
    sentiment_score: float | None
    team: str | None
    team_score: float | None = Field(None, description="The router's probability for the team")
    team_runner_up: str | None = Field(None, description="The next best team")
    team_status: str | None = Field(
        None, description="routed | triage (unsure: a person decides) | corrected (by a person)"
    )
    reach: int


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule: str
    severity: str
    title: str
    institution_id: int | None
    window_start: datetime
    window_end: datetime
    observed: float
    baseline: float
    sigma: float | None
    details: dict[str, Any]
    team: str | None
    assignee: str | None
    note: str
    status: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    created_at: datetime


class AcceptBody(BaseModel):
    value: Annotated[str, StringConstraints(max_length=500, pattern=NO_CONTROL)] | None = Field(
        default=None, description="Accept this value instead of the suggested one"
    )


class OptOutBody(BaseModel):
    reason: Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)] = Field(
        default="", description="Why (kept with the suppression hashes; no personal data)"
    )


class OptOutOut(BaseModel):
    alumnus_id: str
    opt_out: bool
    suppressed: int = Field(description="New entries on the suppression list (keyed hashes)")
    withdrawn_suggestions: int
    mentions_blanked: int
    audit_event_id: int | None


def _conflict(exc: ReviewError) -> HTTPException:
    if isinstance(exc, NotFoundError):
        return HTTPException(status_code=404, detail=str(exc))
    return HTTPException(status_code=409, detail=str(exc))


# ---------------------------------------------------------------------------
# Alumni and suggestions
# ---------------------------------------------------------------------------


@router.get("/alumni", response_model=Page[AlumnusOut])
def list_alumni(
    request: Request, _: AlumniToken, q: Text = "", limit: Limit = 50, offset: Offset = 0
) -> Page[AlumnusOut]:
    with session_scope(request.app.state.db_url) as session:
        rows, total = review.list_alumni(session, search=q, limit=limit, offset=offset)
    return Page[AlumnusOut](
        items=[AlumnusOut.model_validate(a) for a in rows], total=total, limit=limit, offset=offset
    )


@router.get("/alumni/{alumnus_id}", response_model=AlumnusOut, responses={404: {}})
def get_alumnus(request: Request, alumnus_id: AlumnusId, _: AlumniToken) -> AlumnusOut:
    try:
        with session_scope(request.app.state.db_url) as session:
            alumnus: Alumnus = review.get_alumnus(session, alumnus_id)
    except ReviewError as exc:
        raise _conflict(exc) from exc
    return AlumnusOut.model_validate(alumnus)


@router.get("/alumni/{alumnus_id}/history", response_model=list[AuditEventOut], responses={404: {}})
def alumnus_history(request: Request, alumnus_id: AlumnusId, _: AlumniToken) -> list[AuditEventOut]:
    try:
        with session_scope(request.app.state.db_url) as session:
            review.get_alumnus(session, alumnus_id)
            entries = review.alumnus_history(session, alumnus_id)
    except ReviewError as exc:
        raise _conflict(exc) from exc
    return [AuditEventOut.model_validate(e.event) for e in entries]


@router.post(
    "/alumni/{alumnus_id}/opt-out",
    response_model=OptOutOut,
    responses={404: {}},
)
def opt_out_alumnus(
    request: Request,
    alumnus_id: AlumnusId,
    account: AlumniReviewToken,
    body: OptOutBody | None = None,
) -> OptOutOut:
    """Record an alumnus's objection (RGPD Art. 21), as the CLI and the self-service link do.

    The record is flagged, every identifier suppressed (keyed hashes), their
    posts blanked, their open suggestions withdrawn, and the objection
    audited. Repeating it is harmless.
    """
    try:
        with session_scope(request.app.state.db_url) as session:
            summary = opt_out(
                session,
                alumnus_id,
                request.app.state.pseudonym_key,
                actor=f"api:{account.username}",
                reason=body.reason if body else "",
            )
    except PersonNotFoundError as exc:
        raise HTTPException(status_code=404, detail=f"no alumnus {alumnus_id!r}") from exc
    return OptOutOut(
        alumnus_id=alumnus_id,
        opt_out=True,
        suppressed=summary.suppressed,
        withdrawn_suggestions=summary.withdrawn_suggestions,
        mentions_blanked=summary.mentions_blanked,
        audit_event_id=summary.event.id if summary.event else None,
    )


SuggestionStatus = Literal["pending", "accepted", "rejected", "snoozed", "superseded", "reverted"]


@router.get("/suggestions", response_model=Page[SuggestionOut])
def list_suggestions(
    request: Request,
    _: AlumniToken,
    status: SuggestionStatus | None = None,
    alumnus_id: Annotated[str | None, Query(max_length=64, pattern=NO_CONTROL)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[SuggestionOut]:
    with session_scope(request.app.state.db_url) as session:
        rows, total = review.list_suggestions(
            session, status=status, alumnus_id=alumnus_id, limit=limit, offset=offset
        )
        items = [SuggestionOut.of(s) for s in rows]
    return Page[SuggestionOut](items=items, total=total, limit=limit, offset=offset)


@router.get("/suggestions/{suggestion_id}", response_model=SuggestionOut, responses={404: {}})
def get_suggestion(request: Request, suggestion_id: Id, _: AlumniToken) -> SuggestionOut:
    try:
        with session_scope(request.app.state.db_url) as session:
            return SuggestionOut.of(review.get_suggestion(session, suggestion_id))
    except ReviewError as exc:
        raise _conflict(exc) from exc


def _notify(request: Request, event: AuditEvent, kind: str) -> None:
    from web.ui import webhook_payload

    request.app.state.webhooks.notify(webhook_payload(event, kind))


@router.post(
    "/suggestions/{suggestion_id}/accept",
    response_model=AuditEventOut,
    responses={404: {}, 409: {"description": "Already decided or invalid value"}},
)
def accept_suggestion(
    request: Request,
    suggestion_id: Id,
    account: AlumniReviewToken,
    body: AcceptBody | None = None,
) -> AuditEventOut:
    """Apply the suggestion (or ``value``) to the alumnus; audited like in the UI."""
    try:
        with session_scope(request.app.state.db_url) as session:
            event = review.accept_suggestion(
                session, suggestion_id, account.username, body.value if body else None
            )
    except ReviewError as exc:
        raise _conflict(exc) from exc
    _notify(request, event, "suggestion.accepted")
    return AuditEventOut.model_validate(event)


@router.post(
    "/suggestions/{suggestion_id}/reject",
    response_model=AuditEventOut,
    responses={404: {}, 409: {"description": "Already decided"}},
)
def reject_suggestion(
    request: Request, suggestion_id: Id, account: AlumniReviewToken
) -> AuditEventOut:
    try:
        with session_scope(request.app.state.db_url) as session:
            event = review.reject_suggestion(session, suggestion_id, account.username)
    except ReviewError as exc:
        raise _conflict(exc) from exc
    return AuditEventOut.model_validate(event)


@router.post(
    "/audit/{event_id}/undo",
    response_model=AuditEventOut,
    responses={404: {}, 409: {"description": "Cannot be undone (already undone or changed since)"}},
)
def undo(request: Request, event_id: Id, account: AlumniReviewToken) -> AuditEventOut:
    try:
        with session_scope(request.app.state.db_url) as session:
            event = review.undo_event(session, event_id, account.username)
    except ReviewError as exc:
        raise _conflict(exc) from exc
    _notify(request, event, "change.undone")
    return AuditEventOut.model_validate(event)


@router.get("/changes", response_model=list[AuditEventOut])
def changes(
    request: Request, _: AlumniToken, since_id: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0
) -> list[AuditEventOut]:
    """Accepted changes and undos after ``since_id``, oldest first (CRM polling)."""
    with session_scope(request.app.state.db_url) as session:
        events = review.accepted_changes(session, since_id=since_id)
    return [AuditEventOut.model_validate(e) for e in events]


@router.get(
    "/changes.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV, formula-neutralised"}},
)
def changes_csv(
    request: Request, _: AlumniToken, since_id: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0
) -> Response:
    from web.ui import changes_csv as render

    with session_scope(request.app.state.db_url) as session:
        events = review.accepted_changes(session, since_id=since_id)
    return Response(
        render(events),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="accepted-changes.csv"'},
    )


# ---------------------------------------------------------------------------
# Mentions and alerts
# ---------------------------------------------------------------------------


def _mention_out(m: Mention, settings: Settings) -> MentionOut:
    author = display_author(m, settings, is_alumnus=m.alumnus_id is not None)
    return MentionOut(
        id=m.id or 0,
        platform=m.platform,
        url=m.url,
        published_at=m.published_at,
        author=author,
        title=m.title,
        text=m.text,
        lang=m.lang,
        sentiment_label=m.sentiment_label,
        sentiment_score=m.sentiment_score,
        team=m.team,
        team_score=m.team_score,
        team_runner_up=m.team_runner_up,
        team_status=m.team_status,
        reach=m.reach,
    )


@router.get("/mentions", response_model=Page[MentionOut])
def list_mentions(
    request: Request,
    _: MentionToken,
    team: Text | None = None,
    sentiment: Text | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[MentionOut]:
    settings = request.app.state.settings
    with session_scope(request.app.state.db_url) as session:
        rows, total = alert_inbox.list_mentions(
            session, team=team, sentiment=sentiment, limit=limit, offset=offset
        )
    return Page[MentionOut](
        items=[_mention_out(m, settings) for m in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(
    request: Request,
    _: AlertToken,
    status: Literal["open", "acknowledged"] | None = None,
    team: Text | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AlertOut]:
    with session_scope(request.app.state.db_url) as session:
        rows, total = alert_inbox.list_alerts(
            session, status=status, team=team, limit=limit, offset=offset
        )
    return Page[AlertOut](
        items=[AlertOut.model_validate(a) for a in rows], total=total, limit=limit, offset=offset
    )


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut, responses={404: {}})
def acknowledge_alert(request: Request, alert_id: Id, account: AlertReviewToken) -> AlertOut:
    try:
        with session_scope(request.app.state.db_url) as session:
            alert: Alert = alert_inbox.acknowledge_alert(session, alert_id, account.username)
    except alert_inbox.AlertError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return AlertOut.model_validate(alert)
