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


def _union(exprs: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(exprs) + r")(?![\w-])")


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    from enrich.jobs import TITLE_HEADS

    lexicon = read_lexicon()
    titles = sorted({fold(t) for t in TITLE_HEADS} | _EXTRA_TITLES, key=len, reverse=True)
    title_rx = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, titles)) + r")(?!\w)")
    return _union(lexicon["strong"]), _union(lexicon["weak"]), title_rx


def might_announce_change(text: str) -> bool:
    """Whether ``text`` holds a trigger expression (then the extractor reads it)."""
    strong, weak, titles = _patterns()
    folded = fold(text or "")
    if strong.search(folded):
        return True
    return bool(weak.search(folded) and titles.search(folded))
