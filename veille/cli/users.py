"""`veille users`: web accounts, roles, API tokens, and locking an account out.

``deactivate`` and ``reset-password`` end every web session of the account
at once (sessions are server-side), and ``deactivate`` also revokes its API
tokens; ``revoke-sessions`` signs an account out everywhere without
touching its password.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from store.db import session_scope
from store.users import (
    ROLES,
    SCOPES,
    UserError,
    activate_user,
    all_users,
    canonical_username,
    create_api_token,
    create_user,
    deactivate_user,
    end_sessions,
    list_tokens,
    revoke_token,
    revoke_tokens,
    set_password,
)
from store.web_sessions import count_sessions
from veille.cli._common import console, print_table, ready_db_url
from veille.i18n import gettext as _
from veille.i18n import label, ngettext

users_app = typer.Typer(help="Web UI accounts and API tokens.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt(
        _("Password"), hide_input=True, confirmation_prompt=_("Repeat the password")
    )
    return password


@users_app.command("add")
def add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (scripts)."
    ),
) -> None:
    """Create an account with one role."""
    if role not in ROLES:
        raise UserError(
            _("unknown role %(role)s; choose one of %(roles)s")
            % {"role": repr(role), "roles": ", ".join(ROLES)}
        )
    password = _read_password(password_stdin)
    with session_scope(ready_db_url()) as session:
        account = create_user(session, username, password, role)
    console.print(
        _("Account %(user)s created (%(role)s).")
        % {"user": f"[bold]{escape(account.username)}[/]", "role": label("role", account.role)},
        highlight=False,
    )


@users_app.command("list")
def list_() -> None:
    """Every account: role, active or not, API tokens and open web sessions."""
    with session_scope(ready_db_url()) as session:
        accounts = all_users(session)
        sessions = count_sessions(session)
        tokens: dict[str, int] = {}
        for t in list_tokens(session):
            tokens[t.username] = tokens.get(t.username, 0) + 1
    table = Table(title=_("Accounts"))
    for column in (_("Account"), _("Role"), _("State"), _("API tokens"), _("Open sessions")):
        table.add_column(column)
    for a in accounts:
        table.add_row(
            Text(a.username),
            label("role", a.role),
            _("active") if a.active else _("deactivated"),
            str(tokens.get(a.username, 0)),
            str(sessions.get(a.id, 0)),
        )
    print_table(table)


@users_app.command("deactivate")
def deactivate(username: str = typer.Argument(...)) -> None:
    """Lock an account out: its sessions end and its API tokens are revoked at once."""
    with session_scope(ready_db_url()) as session:
        ended, revoked = deactivate_user(session, username)
    console.print(
        _("Account %(user)s deactivated: %(sessions)s, %(tokens)s.")
        % {
            "user": escape(username),
            "sessions": _sessions_ended(ended),
            "tokens": _revoked(revoked),
        },
        highlight=False,
    )


@users_app.command("activate")
def activate(username: str = typer.Argument(...)) -> None:
    """Let a deactivated account sign in again (its revoked tokens stay revoked)."""
    with session_scope(ready_db_url()) as session:
        activate_user(session, username)
    console.print(_("Account %(user)s activated.") % {"user": escape(username)}, highlight=False)


@users_app.command("reset-password")
def reset_password(
    username: str = typer.Argument(...),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from standard input (scripts)."
    ),
) -> None:
    """Set a new password; every web session of the account ends."""
    password = _read_password(password_stdin)
    with session_scope(ready_db_url()) as session:
        ended = set_password(session, username, password)
    console.print(
        _("Password of %(user)s reset; %(sessions)s.")
        % {"user": escape(username), "sessions": _sessions_ended(ended)},
        highlight=False,
    )


@users_app.command("revoke-sessions")
def revoke_sessions(username: str = typer.Argument(...)) -> None:
    """Sign an account out everywhere (a lost laptop), password unchanged."""
    with session_scope(ready_db_url()) as session:
        ended = end_sessions(session, username)
    console.print(
        _("%(user)s: %(sessions)s.")
        % {"user": escape(username), "sessions": _sessions_ended(ended)},
        highlight=False,
    )


@users_app.command("token")
def token(
    username: str = typer.Argument(...),
    scope: str = typer.Option(
        "read",
        "--scope",
        help="read (GET only), review (also accept/reject/undo/acknowledge/opt out) "
        "or admin (admins only).",
    ),
    label: str = typer.Option("", "--label", help="What the token is for (e.g. 'CRM sync')."),
) -> None:
    """Create a REST API token; it is printed once and only its hash is kept."""
    if scope not in SCOPES:
        raise UserError(
            _("unknown scope %(scope)s; choose one of %(scopes)s")
            % {"scope": repr(scope), "scopes": ", ".join(SCOPES)}
        )
    with session_scope(ready_db_url()) as session:
        value = create_api_token(session, username, label, scope)
    console.print(value, highlight=False, soft_wrap=True)


@users_app.command("tokens")
def tokens(username: str = typer.Argument("", help="Only this user's tokens.")) -> None:
    """API tokens (never their values): id, user, label, scope, creation, last use."""
    with session_scope(ready_db_url()) as session:
        rows = [
            t
            for t in list_tokens(session)
            if not username or t.username == canonical_username(username)
        ]
    table = Table(title=_("API tokens"))
    for column in (
        "#",
        _("Account"),
        _("Token label"),
        _("Scope"),
        _("Created on"),
        _("Last used"),
    ):
        table.add_column(column)
    for t in rows:
        table.add_row(
            str(t.id),
            Text(t.username),
            Text(t.label),
            label("token_scope", t.scope),
            t.created_at.strftime("%d/%m/%Y %H:%M"),
            t.last_used_at.strftime("%d/%m/%Y %H:%M") if t.last_used_at else _("never"),
        )
    print_table(table)


@users_app.command("revoke-token")
def revoke_one(token_id: int = typer.Argument(..., help="Id from `veille users tokens`.")) -> None:
    """Delete one API token."""
    with session_scope(ready_db_url()) as session:
        if not revoke_token(session, token_id):
            raise UserError(_("no API token %(id)s; see `veille users tokens`") % {"id": token_id})
    console.print(_("Token %(id)s revoked.") % {"id": token_id}, highlight=False)


@users_app.command("revoke-tokens")
def revoke(username: str = typer.Argument(...)) -> None:
    """Delete every API token of a user."""
    with session_scope(ready_db_url()) as session:
        n = revoke_tokens(session, username)
    console.print(
        _("%(user)s: %(tokens)s.") % {"user": escape(username), "tokens": _revoked(n)},
        highlight=False,
    )


def _sessions_ended(n: int) -> str:
    return ngettext("%(n)s web session ended", "%(n)s web sessions ended", n) % {"n": n}


def _revoked(n: int) -> str:
    return ngettext("%(n)s API token revoked", "%(n)s API tokens revoked", n) % {"n": n}


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
