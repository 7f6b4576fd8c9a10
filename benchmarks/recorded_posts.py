"""Real post texts for throughput benchmarks, read from the recordings the tests replay.

Why: a throughput benchmark needs real posts (their lengths, emoji, URLs, FR/EN mix) but no
labels, and the repository may only carry texts whose licence allows it. The recordings under
``tests/fixtures/`` (Mastodon, Bluesky, X/Twitter, Reddit bodies and RSS feeds of French
universities) are vendored with their SOURCES.md already; labelled research tweets are not
(their sources ask that they be used, not copied), so F1 is measured only on data given with
``--text/--labels`` from outside the repository.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
#: Fields that carry a post's text in the recorded API bodies.
_TEXT_KEYS = frozenset({"content", "text", "full_text", "selftext", "title", "body"})
_TAG = re.compile(r"<[^>]+>")
_MIN_CHARS = 20


def _clean(value: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", value)).split())


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _TEXT_KEYS and isinstance(value, str):
                yield _clean(value)
            else:
                yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _feed_texts(path: Path) -> Iterator[str]:
    import feedparser

    for entry in feedparser.parse(path.read_bytes()).entries:
        text = " ".join(part for part in (entry.get("title", ""), entry.get("summary", "")) if part)
        yield _clean(text)


def recording_texts(root: Path, platforms: tuple[str, ...]) -> Iterator[tuple[Path, str]]:
    """(file, text) of every post text of the recordings of ``platforms`` under ``root``.

    One walk for every reader of the recordings: API bodies are JSON, feeds are parsed
    by feedparser; SOURCES.md and unreadable files are skipped.
    """
    for platform in platforms:
        for path in sorted((root / platform).rglob("*")):
            if not path.is_file() or path.name == "SOURCES.md":
                continue
            if platform == "rss" and path.suffix in (".xml", ".rss"):
                found: Iterator[str] = _feed_texts(path)
            else:
                try:
                    found = _strings(json.loads(path.read_bytes()))
                except ValueError:
                    continue
            for text in found:
                yield path, text


def recorded_post_texts() -> list[str]:
    """Every distinct post text (>= 20 characters) of the vendored recordings, in a fixed order."""
    seen: set[str] = set()
    texts: list[str] = []
    platforms = ("mastodon", "bluesky", "twitter", "reddit", "rss")
    for _path, text in recording_texts(FIXTURES, platforms):
        if len(text) >= _MIN_CHARS and text not in seen:
            seen.add(text)
            texts.append(text)
    return texts
