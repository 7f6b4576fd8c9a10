"""The shared ``veille tag`` command group, created once whichever module asks first."""

from __future__ import annotations

import typer


def get_tag_app(app: typer.Typer) -> typer.Typer:
    """Return the ``tag`` sub-app of ``app``, creating and registering it on first use."""
    existing = getattr(app, "_veille_tag_app", None)
    if isinstance(existing, typer.Typer):
        return existing
    tag_app = typer.Typer(help="Tag texts in batch (JSONL in, JSONL out).", no_args_is_help=True)
    app.add_typer(tag_app, name="tag")
    app._veille_tag_app = tag_app  # type: ignore[attr-defined]
    return tag_app
