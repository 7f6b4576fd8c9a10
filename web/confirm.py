"""Self-confirmation: an alumnus answers a suggestion from a signed link, no account.

They see only the one field concerned (current and suggested value) and can
confirm it, correct it, or opt out of enrichment altogether. Each answer is
applied through :mod:`store.review` and audited with the actor
``alumnus-self``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from store import review
from store.db import session_scope
from store.models import REVIEW_ONLY_FIELDS
from store.person import PersonNotFoundError, opt_out
from store.review import SELF_ACTOR, ReviewError
from veille.i18n import gettext as _
from web.links import LinkError, read_token
from web.messages import error_message
from web.security import csrf_protect, csrf_token

log = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def _render(request: Request, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "account": None,
        "csrf": csrf_token(request),
        "flashes": [],
        "nav": [],
        "path": request.url.path,
        "token": "",
        "s": None,
        "first_name": "",
        "current": "",
        "done": None,
        "error": None,
    }
    ctx.update(context)
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "confirm.html", ctx, status_code=status_code
    )
    return response


def _suggestion_id(request: Request, token: str) -> int:
    return read_token(
        request.app.state.secret_key, token, request.app.state.config.confirm_link_days
    )


@router.get("/confirm/{token}")
def confirm_page(request: Request, token: str) -> HTMLResponse:
    try:
        suggestion_id = _suggestion_id(request, token)
        with session_scope(request.app.state.db_url) as session:
            suggestion = review.get_suggestion(session, suggestion_id)
            alumnus = review.get_alumnus(session, suggestion.alumnus_id)
    except (LinkError, ReviewError) as exc:
        return _render(request, {"error": error_message(exc)}, status_code=410)
    if alumnus.opt_out:
        return _render(request, {"done": "opt_out"})
    if suggestion.status not in review.OPEN_STATUSES or suggestion.field in REVIEW_ONLY_FIELDS:
        return _render(request, {"done": "already"})
    return _render(
        request,
        {
            "token": token,
            "s": suggestion,
            "first_name": alumnus.first_name,
            "current": review.current_value(alumnus, suggestion.field),
        },
    )


@router.post("/confirm/{token}")
def confirm_answer(
    request: Request,
    token: str,
    choice: Annotated[str, Form(max_length=16)],
    value: Annotated[str, Form(max_length=500)] = "",
    opt_out_confirm: Annotated[str, Form(max_length=5)] = "",
) -> HTMLResponse:
    try:
        suggestion_id = _suggestion_id(request, token)
    except LinkError as exc:
        return _render(request, {"error": error_message(exc)}, status_code=410)
    event = None
    try:
        with session_scope(request.app.state.db_url) as session:
            suggestion = review.get_suggestion(session, suggestion_id)
            if choice == "confirm":
                event = review.accept_suggestion(
                    session, suggestion_id, SELF_ACTOR, action="self_confirm"
                )
                done = "confirmed"
            elif choice == "correct":
                event = review.accept_suggestion(
                    session, suggestion_id, SELF_ACTOR, value, action="self_confirm"
                )
                done = "corrected"
            elif choice == "opt_out" and opt_out_confirm == "yes":
                opt_out(
                    session,
                    suggestion.alumnus_id,
                    request.app.state.pseudonym_key,
                    actor=SELF_ACTOR,
                )
                done = "opt_out"
            else:
                return _render(request, {"error": _("Choose an answer.")}, status_code=400)
    except (ReviewError, PersonNotFoundError) as exc:
        return _render(request, {"error": error_message(exc)}, status_code=409)
    if event is not None:
        from web.ui import webhook_payload

        request.app.state.webhooks.notify(webhook_payload(event, "suggestion.accepted"))
    log.info("self-confirmation for suggestion %s: %s", suggestion_id, done)
    return _render(request, {"done": done})
