"""A cheap trigger pre-filter run before spaCy and the tagger.

Why: most posts of a listening feed say nothing about jobs, and the spaCy parse and the
tagger cost milliseconds per text. A text that holds none of the trigger expressions of
``enrich/data/jobs_triggers.txt`` (appointment, election, hiring, joining, signing,
succession words in French and English) cannot be read as a job change by the rules, and
the tagger's changes without such a word are the ones an alumni office should not act on,
so it is skipped. The lexicon is data: a "strong" expression lets a text through alone, a
"weak" one ("new", "poste", "will be") only beside a title word (the title heads of
:mod:`enrich.jobs`). ``tests/enrich/test_jobs_prefilter.py`` checks that the labelled job
changes of the training data and the dev splits go through.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

TRIGGERS = Path(__file__).parent / "data" / "jobs_triggers.txt"
#: Titles the lexicon's weak expressions need beside them, besides the rules' title heads.
_EXTRA_TITLES = frozenset({"leader", "leaders", "principale"})


def fold(text: str) -> str:
    """Lower case without accents, typographic apostrophes made plain."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def read_lexicon(path: Path = TRIGGERS) -> dict[str, list[str]]:
    """Sections (``strong``, ``weak``) of the trigger file -> their regular expressions."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        if current is None:
            raise ValueError(f"{path}:{n}: an expression before any [section]")
        expr = "(?:" + line.replace("*", r"[\w-]*") + ")"
        try:
            re.compile(expr)
        except re.error as exc:
            raise ValueError(f"{path}:{n}: not a regular expression ({exc})") from None
        current.append(expr)
    return sections


def union(exprs: Iterable[str]) -> re.Pattern[str]:
    """One pattern for a list of lexicon expressions, each between word boundaries."""
    return re.compile(r"(?<![\w-])(?:" + "|".join(exprs) + r")(?![\w-])")


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    from enrich.jobs import TITLE_HEADS

    lexicon = read_lexicon()
    titles = sorted({fold(t) for t in TITLE_HEADS} | _EXTRA_TITLES, key=len, reverse=True)
    title_rx = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, titles)) + r")(?!\w)")
    return union(lexicon["strong"]), union(lexicon["weak"]), title_rx


def might_announce_change(text: str) -> bool:
    """Whether ``text`` holds a trigger expression (then the extractor reads it)."""
    strong, weak, titles = _patterns()
    folded = fold(text or "")
    if strong.search(folded):
        return True
    return bool(weak.search(folded) and titles.search(folded))


#: Longer texts are cut to their trigger sentences before spaCy and the tagger.
FOCUS_CHARS = 600
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def focus(text: str, max_chars: int = FOCUS_CHARS) -> str:
    """``text``, or for a long one only its sentences that hold a trigger expression.

    Why: a long post (a review, a feed item with its whole body) costs the parser and the
    tagger in proportion to its length, while a job change sits in the sentences that name
    it. Sentences are kept whole and in order, so every value read is still a substring of
    the original text.
    """
    if len(text) <= max_chars:
        return text
    strong, weak, _ = _patterns()
    kept = [
        piece
        for piece in _SENTENCE_END.split(text)
        if strong.search(fold(piece)) or weak.search(fold(piece))
    ]
    return " ".join(kept) or text


#: How far before its sentence a trigger may stand for a change the tagger alone read.
LOOKBACK_CHARS = 150


def near_trigger(text: str, sentence: str) -> bool:
    """Whether a trigger expression stands in ``sentence`` or just before it in ``text``.

    Why: the tagger reads roles anywhere ("X, président de l'Université Y" in a thesis
    defence notice), while a job change is told with its trigger. The look-back covers a
    sentence cut at an initial ("David L. | Calhoun as CEO").
    """
    pos = text.find(sentence[:40]) if sentence else -1
    if pos < 0:
        return might_announce_change(sentence)
    return might_announce_change(text[max(0, pos - LOOKBACK_CHARS) : pos + len(sentence)])
