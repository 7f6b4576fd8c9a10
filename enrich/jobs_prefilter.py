"""A cheap trigger pre-filter run before spaCy and the tagger.

Why: most posts of a listening feed say nothing about jobs, and the spaCy parse and the
tagger cost milliseconds per text. A text that holds none of the trigger expressions of
``enrich/data/jobs_triggers.txt`` (appointment, election, hiring, joining, signing,
succession words in French and English) cannot be read as a job change by the rules, and
the tagger's changes without such a word are the ones an alumni office should not act on,
so it is skipped. The lexicon is data: a "strong" expression lets a text through alone, a
"weak" one ("new", "poste", "will be") only beside a title word (the title heads of
:mod:`enrich.jobs`, and the file's ``[titles]`` section).
``tests/enrich/test_jobs_prefilter.py`` checks that the labelled job changes of the
training data and the dev splits go through.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from enrich.sectioned import read_sections

TRIGGERS = Path(__file__).parent / "data" / "jobs_triggers.txt"
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case without accents, typographic apostrophes made plain, and every run of white
    space one space: the data lines are written with single spaces, and real texts pad or break
    their words ("a  été  nommé", a line break inside a sentence; round 62)."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return _SPACES.sub(" ", text)


def read_lexicon(path: Path = TRIGGERS) -> dict[str, list[str]]:
    """Sections (``strong``, ``weak``, ``titles``) of the trigger file -> regular expressions."""
    sections: dict[str, list[str]] = {}
    for name, entries in read_sections(path).items():
        exprs = sections[name] = []
        for n, line in entries:
            expr = "(?:" + line.replace("*", r"[\w-]*") + ")"
            try:
                re.compile(expr)
            except re.error as exc:
                raise ValueError(f"{path}:{n}: not a regular expression ({exc})") from None
            exprs.append(expr)
    return sections


def union(exprs: Iterable[str]) -> re.Pattern[str]:
    """One pattern for a list of lexicon expressions, each between word boundaries."""
    return re.compile(r"(?<![\w-])(?:" + "|".join(exprs) + r")(?![\w-])")


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    from enrich.jobs import TITLE_HEADS

    lexicon = read_lexicon()
    heads = sorted({fold(t) for t in TITLE_HEADS}, key=len, reverse=True)
    titles = [*map(re.escape, heads), *lexicon.get("titles", [])]
    # a plural counts too ("the new partners are", "nouveaux directeurs")
    title_rx = re.compile(r"(?<![\w-])(?:" + "|".join(titles) + r")[sx]?(?!\w)")
    return union(lexicon["strong"]), union(lexicon["weak"]), title_rx


def has_trigger(text: str) -> bool:
    """Whether ``text`` holds a trigger expression of the lexicon."""
    strong, weak, titles = _patterns()
    folded = fold(text or "")
    if strong.search(folded):
        return True
    return bool(weak.search(folded) and titles.search(folded))


def might_announce_change(text: str) -> bool:
    """Whether the extractor should read ``text``: a trigger expression, and the gate agrees.

    The gate (:mod:`enrich.jobs_gate`) is a word n-gram classifier that tells the posts using a
    trigger word in passing ("Jay Z joined Instagram") from job news; it runs only on the few
    texts with a trigger.
    """
    if not has_trigger(text):
        return False
    from enrich.jobs_gate import load_gate

    return load_gate().accepts(text or "")


#: Longer texts are cut to their trigger sentences before spaCy and the tagger.
FOCUS_CHARS = 400
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
#: A piece ending so was cut at an initial or an abbreviation ("David L.", "M.", "Dr."):
#: it is joined to the next one.
_NOT_AN_END = re.compile(r"(?:^|[\s(])(?:[A-Z]|[A-Z][a-z]{1,2}|Mme|Mgr|Pr|St|etc)\.$")


def sentence_starts(text: str) -> list[int]:
    """Where the sentences of ``text`` after the first begin, by the same cuts as
    :func:`sentences` (none after an initial or an abbreviation: "M. Charlemagne Igué").

    Why here: the tagger's grouping (:func:`enrich.job_tagger.group`) must not pair spans
    across sentences, and it cuts them as this module does, so that one splitter decides.
    """
    return [
        m.end() for m in _SENTENCE_END.finditer(text) if not _NOT_AN_END.search(text, 0, m.start())
    ]


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` by punctuation, not cut at initials or abbreviations."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if out and _NOT_AN_END.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def focus(text: str, max_chars: int = FOCUS_CHARS) -> str:
    """``text``, or for a longer one only its sentences that hold a trigger expression.

    Why: the parser and, above all, the tagger cost in proportion to the length of what they
    read (on ordinary posts the tagger's encoder is most of the time), while a job change sits
    in the sentences that name it; the tagger never pairs spans across sentences anyway.
    Sentences are kept whole and in order, so every value read is still a substring of the
    original text. A text let through by a weak expression and a title word that stand in
    different sentences keeps the sentences holding either, not the whole text (round 65).
    """
    if len(text) <= max_chars:
        return text
    strong, weak, titles = _patterns()
    pieces = [(piece, fold(piece)) for piece in sentences(text)]

    def alone(folded: str) -> list[tuple[int, int]]:
        hits = [m.span() for m in strong.finditer(folded)]
        if titles.search(folded):
            hits += [m.span() for m in weak.finditer(folded)]
        return hits

    def either(folded: str) -> list[tuple[int, int]]:
        return [m.span() for rx in (weak, titles) for m in rx.finditer(folded)]

    kept = _kept(pieces, alone) or _kept(pieces, either)
    return " ".join(kept) or text


def _kept(
    pieces: list[tuple[str, str]], hits_of: Callable[[str], list[tuple[int, int]]]
) -> list[str]:
    """The sentences (or, in a run-on one, the words around each hit) where ``hits_of`` finds
    a hit in the folded sentence."""
    kept: list[str] = []
    for piece, folded in pieces:
        hits = hits_of(folded)
        if not hits:
            continue
        if len(piece) <= PIECE_CHARS:
            kept.append(piece)
            continue
        # A run-on "sentence" (a transcript, an e-mail without stops): the words around each
        # trigger, found in the folded text and, where folding changed its length, mapped
        # back to the sentence's characters.
        if len(folded) != len(piece):
            origins = fold_origins(piece)
            if origins is None:
                kept.append(piece)
                continue
            hits = [(origins[a], origins[b - 1] + 1) for a, b in hits if b > a]
        kept.extend(_windows(piece, sorted(hits)))
    return kept


def fold_origins(text: str) -> list[int] | None:
    """For each character of ``fold(text)``, the index of the character of ``text`` it comes
    from; ``None`` in the rare case where folding character by character differs from
    :func:`fold` (a Greek final sigma).

    Why: :func:`fold` changes lengths (NFKD expands "…" and "ﬁ", runs of white space become
    one space since round 62), so a position in the folded text is not one in ``text``.
    """
    out: list[str] = []
    origins: list[int] = []
    in_space = False
    for i, ch in enumerate(text.replace("’", "'")):
        for c in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(c):
                continue
            for low in c.lower():
                if _SPACES.fullmatch(low):
                    if in_space:
                        continue
                    low, in_space = " ", True
                else:
                    in_space = False
                out.append(low)
                origins.append(i)
    return origins if "".join(out) == fold(text) else None


#: A kept sentence longer than this is cut to the words around its triggers.
PIECE_CHARS = 500
WINDOW_CHARS = 200


def _windows(piece: str, hits: list[tuple[int, int]]) -> list[str]:
    """Merged windows of ``WINDOW_CHARS`` around each hit, widened to whole words."""
    spans: list[list[int]] = []
    for start, end in hits:
        a, b = max(0, start - WINDOW_CHARS), min(len(piece), end + WINDOW_CHARS)
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    out = []
    for a, b in spans:
        while a > 0 and not piece[a - 1].isspace():
            a -= 1
        while b < len(piece) and not piece[b].isspace():
            b += 1
        out.append(piece[a:b].strip())
    return out


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
        return has_trigger(sentence)
    return has_trigger(text[max(0, pos - LOOKBACK_CHARS) : pos + len(sentence)])
