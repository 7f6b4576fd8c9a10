"""Tagger spans written by hand, for the tests of the grouping and the list reader."""

from __future__ import annotations

import enrich.job_tagger as jt


def spans_of(text: str, *tagged: tuple[str, str]) -> list[jt.Span]:
    """Spans of ``text`` from (kind, words) pairs, each found by its first occurrence."""
    return [
        jt.Span(kind, text.index(words), text.index(words) + len(words), words, 0.9)
        for kind, words in tagged
    ]
