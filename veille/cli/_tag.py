"""The shared ``veille tag`` command group, created once whichever module asks first."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import typer

from veille.errors import ImportFileError


def get_tag_app(app: typer.Typer) -> typer.Typer:
    """Return the ``tag`` sub-app of ``app``, creating and registering it on first use."""
    existing = getattr(app, "_veille_tag_app", None)
    if isinstance(existing, typer.Typer):
        return existing
    tag_app = typer.Typer(help="Tag texts in batch (JSONL in, JSONL out).", no_args_is_help=True)
    app.add_typer(tag_app, name="tag")
    app._veille_tag_app = tag_app  # type: ignore[attr-defined]
    return tag_app


def read_jsonl(lines: Iterable[str], *, require_text: bool = False) -> Iterator[dict[str, Any]]:
    """The objects of a JSON Lines stream; the first bad line stops it, with its number.

    ``"text"``, when present (always, with ``require_text``), must be a string.
    """
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"not valid JSON ({exc.msg})", line=n) from exc
        if not isinstance(obj, dict):
            raise ImportFileError("each line must be a JSON object", line=n)
        text = obj.get("text")
        if (require_text or text is not None) and not isinstance(text, str):
            raise ImportFileError('"text" must be a string', line=n)
        yield obj
