"""`veille users`: web accounts, roles and API tokens."""

from __future__ import annotations

import sys

import typer

from store.db import session_scope
from store.users import ROLES, UserError, create_api_token, create_user, list_users, revoke_tokens
from veille.cli._common import console, db_url

users_app = typer.Typer(help="Web UI accounts and API tokens.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
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
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    password = _read_password(password_stdin)
    with session_scope(db_url()) as session:
        account = create_user(session, username, password, role)
    console.print(f"created [bold]{account.username}[/] ({account.role})")


@users_app.command("list")
def list_() -> None:
    """Active accounts and their roles."""
    with session_scope(db_url()) as session:
        accounts = list_users(session)
    for account in accounts:
        console.print(f"{account.username}\t{account.role}", highlight=False)


@users_app.command("token")
def token(
    username: str = typer.Argument(...),
    label: str = typer.Option("", "--label", help="What the token is for (e.g. 'CRM sync')."),
) -> None:
    """Create a REST API token; it is printed once and only its hash is kept."""
    with session_scope(db_url()) as session:
        value = create_api_token(session, username, label)
    console.print(value, highlight=False, soft_wrap=True)


@users_app.command("revoke-tokens")
def revoke(username: str = typer.Argument(...)) -> None:
    """Delete every API token of a user."""
    with session_scope(db_url()) as session:
        n = revoke_tokens(session, username)
    console.print(f"revoked {n} token(s) of {username}")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
