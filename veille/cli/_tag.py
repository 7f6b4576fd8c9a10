"""The shared ``veille tag`` command group, created once whichever module asks first."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import typer

from veille.errors import ImportFileError
from veille.i18n import gettext as _
from veille.inputcheck import problem
from veille.jsonl import json_objects


def get_tag_app(app: typer.Typer) -> typer.Typer:
    """Return the ``tag`` sub-app of ``app``, creating and registering it on first use."""
    existing = getattr(app, "_veille_tag_app", None)
    if isinstance(existing, typer.Typer):
        return existing
    tag_app = typer.Typer(help="Tag texts in batch (JSONL in, JSONL out).", no_args_is_help=True)
    app.add_typer(tag_app, name="tag")
    app._veille_tag_app = tag_app  # type: ignore[attr-defined]
    return tag_app


#: Longest accepted ``"id"`` (ids are echoed back and joined on by the caller).
MAX_ID_LENGTH = 256


def read_jsonl(
    lines: Iterable[str | bytes], *, require_text: bool = False
) -> Iterator[dict[str, Any]]:
    """The objects of a JSON Lines stream; the first bad line stops it, with its number.

    Lines may be bytes (then they must be UTF-8). ``"text"``, when present
    (always, with ``require_text``), must be a string without NUL; ``"id"``,
    when present, a string or number of at most :data:`MAX_ID_LENGTH`
    characters without control characters. Messages never quote the line.
    """
    for n, obj in json_objects(lines):
        text = obj.get("text")
        if (require_text or text is not None) and not isinstance(text, str):
            raise ImportFileError(_('"text" must be a string'), line=n)
        if isinstance(text, str) and "\x00" in text:
            raise ImportFileError(_('"text" contains a NUL character'), line=n)
        ident = obj.get("id")
        if ident is not None:
            if isinstance(ident, bool) or not isinstance(ident, str | int | float):
                raise ImportFileError(_('"id" must be a string or a number'), line=n)
            trouble = problem(str(ident), max_length=MAX_ID_LENGTH)
            if trouble:
                raise ImportFileError(f'"id" {trouble}', line=n)
        yield obj
