"""Vetoes: job changes read from a sentence that announces something else.

Why: the words of a job change also announce prizes ("nommée aux César"), protests
("joined the protest"), firings, rumours and candidacies; on text nobody tuned for, one such
negative in five produced a change. The vetoes are data (``enrich/data/jobs_vetoes.txt``):
a change whose evidence sentence matches an ``[always]`` expression is dropped, and one whose
sentence matches an ``[unless-appointed]`` expression is dropped unless an ``[appointed]``
expression is in the text too ("X was named CEO after Y resigned" stays); a ``[text]``
expression anywhere in the text (a thesis defence notice, a job offer) vetoes all its
changes. They apply to the rules' and the tagger's changes alike, after both.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from enrich.jobs_prefilter import fold, read_lexicon, union

VETOES = Path(__file__).parent / "data" / "jobs_vetoes.txt"


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], ...]:
    lexicon = read_lexicon(VETOES)
    sections = ("always", "unless-appointed", "appointed", "text")
    return tuple(union(lexicon[name]) for name in sections)


def veto(sentence: str, text: str | None = None) -> str | None:
    """The expression that vetoes a change read in ``sentence`` of ``text``, or None.

    The appointment that lifts an ``[unless-appointed]`` veto is looked for in the whole
    text: sentence splitting cuts at initials ("David L. Calhoun"), which would leave the
    verb in another piece.
    """
    always, unless, appointed, whole = _patterns()
    folded = fold(sentence or "")
    folded_text = fold(text) if text is not None else folded
    hit = always.search(folded) or whole.search(folded_text)
    if hit:
        return hit.group(0)
    hit = unless.search(folded)
    if hit and not appointed.search(folded_text):
        return hit.group(0)
    return None


def doubt(sentence: str) -> str | None:
    """Any ``[always]`` or ``[unless-appointed]`` expression of ``sentence``, appointment or
    not: where the deciding tagger said no, only a sentence with no word of a prize, a
    departure, a rumour or a candidacy overrules it (:mod:`enrich.jobs.name_list`)."""
    always, unless, _appointed, _whole = _patterns()
    folded = fold(sentence or "")
    hit = always.search(folded) or unless.search(folded)
    return hit.group(0) if hit else None
