"""JSON Lines read one way everywhere: each object with its line number, the first bad line named.

Why one reader: batch input (``veille tag``), the routing and job-change training files and the
rules' trigger data all read JSONL, and a malformed line must stop each of them with the same
clear message (its number, never its content) before anything is used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from veille.errors import ImportFileError
from veille.i18n import _


def json_objects(
    lines: Iterable[str | bytes], *, path: Path | str | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line; a bad line raises ImportFileError.

    Lines may be bytes (then they must be UTF-8; a byte-order mark on the first is dropped).
    Each line must hold one JSON object. ``path`` names the file in the message.
    """
    for n, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError:
                raise ImportFileError(_("not UTF-8 text"), line=n, path=path) from None
        else:
            line = raw
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFileError(
                _("not valid JSON (%(detail)s)") % {"detail": exc.msg}, line=n, path=path
            ) from None
        except RecursionError:
            raise ImportFileError(_("JSON nested too deeply"), line=n, path=path) from None
        if not isinstance(obj, dict):
            raise ImportFileError(_("each line must be a JSON object"), line=n, path=path)
        yield n, obj


def read_json_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`json_objects` of a UTF-8 file."""
    with path.open("rb") as fh:
        yield from json_objects(fh, path=path)
