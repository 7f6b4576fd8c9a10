"""The shared ``veille tag`` command group (several modules add commands to it)."""

from __future__ import annotations

import typer


def get_tag_app(app: typer.Typer) -> typer.Typer:
    """Create the ``tag`` group on ``app`` once and return it on every call."""
    existing: typer.Typer | None = getattr(app, "_veille_tag_app", None)
    if existing is not None:
        return existing
    tag_app = typer.Typer(help="Tag mentions from JSONL files.", no_args_is_help=True)
    app.add_typer(tag_app, name="tag")
    app._veille_tag_app = tag_app  # type: ignore[attr-defined]
    return tag_app
