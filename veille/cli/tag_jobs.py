"""`veille tag jobs`: job changes in a JSONL file of texts (a stable contract).

Input lines ``{"id": ..., "text": ...}`` (an optional ``"lang"`` forces the
language); output lines are the input plus ``"job_changes": [{"person",
"organization", "title", "start_date"}]``. Needs no configuration file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from veille.cli._common import console
from veille.cli._tag import get_tag_app, read_jsonl
from veille.errors import ImportFileError
from veille.i18n import gettext as _
from veille.i18n import ngettext


def read_records(path: Path) -> list[dict[str, Any]]:
    """All records of ``path``; a bad line fails the whole file with its number."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise ImportFileError(
            _("cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from None
    return list(read_jsonl(lines, require_text=True))


def tag_records(
    records: list[dict[str, Any]], lang: str | None = None, batch_size: int = 64
) -> Iterator[dict[str, Any]]:
    """Each record with its ``job_changes`` added, in input order (what ``tag jobs`` writes).

    Batches of ``batch_size``; a batch whose records all carry the same ``lang`` is read in
    that language. ``benchmarks/jobs_eval.py`` times this function on ordinary posts.
    """
    from enrich.jobs import extract_job_changes

    for start in range(0, len(records), batch_size):
        chunk = records[start : start + batch_size]
        langs = {r.get("lang") for r in chunk}
        forced = lang or (next(iter(langs)) if len(langs) == 1 else None)
        if forced not in {None, "fr", "en"}:
            forced = None
        results = extract_job_changes([r["text"] for r in chunk], forced)
        for rec, changes in zip(chunk, results, strict=True):
            rec["job_changes"] = [jc.contract() for jc in changes]
            yield rec


def tag_jobs(
    input: Path = typer.Option(..., "--input", "-i", help="JSONL with id and text per line."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the tagged JSONL."),
    lang: str | None = typer.Option(None, "--lang", help="Force fr or en (default: detect)."),
    batch_size: int = typer.Option(64, "--batch-size", min=1),
) -> None:
    """Find job changes (person, organization, title, start_date) in each text."""
    records = read_records(input)
    output.parent.mkdir(parents=True, exist_ok=True)
    found = 0
    with output.open("w", encoding="utf-8") as fh:
        for rec in tag_records(records, lang, batch_size):
            found += len(rec["job_changes"])
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    texts = ngettext("%(n)s text", "%(n)s texts", len(records)) % {"n": len(records)}
    changes = ngettext("%(n)s job change", "%(n)s job changes", found) % {"n": found}
    console.print(f"{texts}, {changes} -> {output}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    get_tag_app(app).command("jobs")(tag_jobs)
