"""REST API ``/api/v1``: alumni, suggestions, mentions, alerts and the change feed.

Bearer-token auth only (tokens from ``veille users token``); the token's user
role decides what it may read, exactly as in the UI. Lists are paginated
with ``limit``/``offset`` and return ``{items, total, limit, offset}``.
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
from store.review import NotFoundError, ReviewError
from store.users import Account, account_for_token
from veille.config import Settings
from veille.privacy import display_author
from web.security import ALERT_ROLES, ALUMNI_ROLES, MENTION_ROLES

T = TypeVar("T")

bearer = HTTPBearer(auto_error=False, description="A token from `veille users token USERNAME`.")

#: Text parameters: bounded, and without NUL (which PostgreSQL refuses).
Text = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid token"},
    403: {"description": "The token's role does not allow this"},
}


def _authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Account:
    unauthorized = HTTPException(
        status_code=401, detail="bearer token required", headers={"WWW-Authenticate": "Bearer"}
    )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized
    with session_scope(request.app.state.db_url) as session:
        account = account_for_token(session, credentials.credentials)
    if account is None:
        raise unauthorized
    return account


def role(roles: frozenset[str]) -> Callable[..., Account]:
    def dependency(account: Annotated[Account, Depends(_authenticate)]) -> Account:
        if account.role not in roles:
            raise HTTPException(status_code=403, detail="this token's role does not allow it")
        return account

    return dependency


AlumniToken = Annotated[Account, Depends(role(ALUMNI_ROLES))]
AlertToken = Annotated[Account, Depends(role(ALERT_ROLES))]
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
    status: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    created_at: datetime


class AcceptBody(BaseModel):
    value: Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00]*$")] | None = Field(
        default=None, description="Accept this value instead of the suggested one"
    )


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
def get_alumnus(
    request: Request,
    alumnus_id: Annotated[str, Path(max_length=64, pattern=r"^[^\x00]+$")],
    _: AlumniToken,
) -> AlumnusOut:
    try:
        with session_scope(request.app.state.db_url) as session:
            alumnus: Alumnus = review.get_alumnus(session, alumnus_id)
    except ReviewError as exc:
        raise _conflict(exc) from exc
    return AlumnusOut.model_validate(alumnus)


@router.get("/alumni/{alumnus_id}/history", response_model=list[AuditEventOut], responses={404: {}})
def alumnus_history(
    request: Request,
    alumnus_id: Annotated[str, Path(max_length=64, pattern=r"^[^\x00]+$")],
    _: AlumniToken,
) -> list[AuditEventOut]:
    try:
        with session_scope(request.app.state.db_url) as session:
            review.get_alumnus(session, alumnus_id)
            entries = review.alumnus_history(session, alumnus_id)
    except ReviewError as exc:
        raise _conflict(exc) from exc
    return [AuditEventOut.model_validate(e.event) for e in entries]


SuggestionStatus = Literal["pending", "accepted", "rejected", "snoozed", "superseded", "reverted"]


@router.get("/suggestions", response_model=Page[SuggestionOut])
def list_suggestions(
    request: Request,
    _: AlumniToken,
    status: SuggestionStatus | None = None,
    alumnus_id: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]*$")] = None,
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
    request: Request, suggestion_id: Id, account: AlumniToken, body: AcceptBody | None = None
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
def reject_suggestion(request: Request, suggestion_id: Id, account: AlumniToken) -> AuditEventOut:
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
def undo(request: Request, event_id: Id, account: AlumniToken) -> AuditEventOut:
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
def acknowledge_alert(request: Request, alert_id: Id, account: AlertToken) -> AlertOut:
    try:
        with session_scope(request.app.state.db_url) as session:
            alert: Alert = alert_inbox.acknowledge_alert(session, alert_id, account.username)
    except alert_inbox.AlertError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return AlertOut.model_validate(alert)
