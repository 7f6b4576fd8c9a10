"""Small text helpers shared by alerts and reports: terms, sources, pseudonyms.

Top terms explain *why* a window is unusual: a term scores by how much more
often it appears in the window than in the baseline (rate difference), so a
burst about "inscriptions" surfaces that word rather than the institution's
own name, which is everywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from veille.config import Settings
from veille.privacy import display_author
from veille.query import tokenize, words

#: Words never shown as a theme: ``reports/data/stopwords.txt`` (data, not code).
STOPWORDS = frozenset(
    word
    for line in (Path(__file__).parent / "data" / "stopwords.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if not line.startswith("#")
    for word in line.split()
)


def terms(text: str) -> list[str]:
    """Content words of a text: folded tokens minus stopwords, numbers and 1-2 letter bits."""
    return [t for t in tokenize(text) if len(t) > 2 and t not in STOPWORDS and not t.isdigit()]


def top_terms(
    window: Iterable[str],
    baseline: Iterable[str] = (),
    *,
    limit: int = 8,
    exclude: Iterable[str] = (),
) -> list[tuple[str, int]]:
    """Terms over-represented in ``window`` compared with ``baseline``.

    Score = share of window texts using the term minus its share in the
    baseline texts; ties broken by raw count. Returns ``(term, count)``.
    """
    window = list(window)
    skip = {t for e in exclude for t in tokenize(e)}
    win_docs = [set(terms(t)) - skip for t in window]
    base_docs = [set(terms(t)) for t in baseline]
    if not win_docs:
        return []
    win = Counter(t for d in win_docs for t in d)
    base = Counter(t for d in base_docs for t in d)
    nw, nb = len(win_docs), max(len(base_docs), 1)
    scored = [
        (c / nw - (base[t] / nb if base_docs else 0.0), c, t)
        for t, c in win.items()
        if c >= 2 or nw < 5
    ]
    scored.sort(key=lambda x: (-x[0], -x[1], x[2]))
    chosen = [(t, c) for s, c, t in scored[:limit] if s > 0]
    shown = _written_forms(window, {t for t, _ in chosen})
    return [(shown.get(t, t), c) for t, c in chosen]


def _written_forms(texts: Iterable[str], keys: set[str]) -> dict[str, str]:
    """The most frequent written form (accents kept) of each folded term in ``keys``.

    Terms are counted folded, so "université" and "universite" are one term;
    people read the form the posts used ("inscriptions à l'université", not
    "universite").
    """
    forms: dict[str, Counter[str]] = {}
    for text in texts:
        for key, written in words(text):
            if key in keys:
                forms.setdefault(key, Counter())[written] += 1
    return {k: c.most_common(1)[0][0] for k, c in forms.items()}


def source_label(row: Mapping[str, Any]) -> str:
    """Where a mention comes from: the site for articles, the platform for posts."""
    platform = str(row.get("platform") or "")
    url = str(row.get("url") or "")
    if platform in ("rss", "web") and url:
        host = urlsplit(url).hostname or ""
        return host.removeprefix("www.") or platform
    return platform


def top_sources(rows: Iterable[Mapping[str, Any]], limit: int = 5) -> list[tuple[str, int]]:
    counts = Counter(source_label(r) for r in rows)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def author_label(settings: Settings, row: Mapping[str, Any]) -> str:
    """What a report may show for an author: :func:`veille.privacy.display_author`.

    Alumni are named only in the ambassadors section, so here every author is
    treated as a member of the public.
    """
    if not (row.get("author_handle") or row.get("author_name")):
        return "—"
    author = SimpleNamespace(
        platform=str(row.get("platform") or ""),
        author_handle=str(row.get("author_handle") or ""),
        author_name=str(row.get("author_name") or ""),
        author_key=str(row.get("author_key") or ""),
    )
    return display_author(author, settings, is_alumnus=False)


def excerpt(row: Mapping[str, Any], length: int = 220) -> str:
    """Title or the start of the text, on one line."""
    text = " ".join(str(row.get("title") or row.get("text") or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
