"""The shared ``veille tag`` group (sentiment, jobs, route...).

Several modules add a command to the same group; whichever registers first
creates it, the others get the same object (cached on the root app).
"""

from __future__ import annotations

import typer

_ATTR = "_veille_tag_app"


def get_tag_app(app: typer.Typer) -> typer.Typer:
    """Return the ``tag`` Typer group of ``app``, creating and mounting it once."""
    existing = getattr(app, _ATTR, None)
    if isinstance(existing, typer.Typer):
        return existing
    tag_app = typer.Typer(help="Tag JSON Lines files offline (no database).", no_args_is_help=True)
    app.add_typer(tag_app, name="tag")
    setattr(app, _ATTR, tag_app)
    return tag_app
