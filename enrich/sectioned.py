"""One reader for the job rules' list files: ``[section]`` headers, one entry a line.

Why one: the word lists (``enrich/data/jobs/words.txt``), the trigger lexicon and the
vetoes share the format (``#`` comments, blank lines ignored); each caller gives the
entries their meaning (words, phrases, regular expressions) and keeps the line numbers
to name a bad line.
"""

from __future__ import annotations

from pathlib import Path


def read_sections(path: Path) -> dict[str, list[tuple[int, str]]]:
    """``name`` -> its ``(line number, stripped line)`` entries, in file order."""
    out: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            if line[1:-1] in out:
                raise ValueError(f"{path}:{n}: section {line} given twice")
            current = out.setdefault(line[1:-1], [])
        elif current is None:
            raise ValueError(f"{path}:{n}: an entry before any [section]")
        else:
            current.append((n, line))
    return out
