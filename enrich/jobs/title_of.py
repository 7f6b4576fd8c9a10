"""A title that runs on into the country or the body it serves: that body is the organisation.

Why: the gold convention (``benchmarks/README.md``, round 76) files "President of France" as
title "President", organisation "France", and "président de la République islamique d'Iran"
as title "président", organisation "République islamique d'Iran"; the tagger often reads the
whole phrase as the title and no organisation. A title is cut only where what follows its
"of" or "de" names a country (Babel's territory names, French and English), or a state's name
ending on one ("République du Burundi"), or an acronym ("Executive Director of PMA"), never a
department ("Head of Marketing", "Director of HR"): those stay in the title. A minister's
portfolio is never cut (the title carries the ministry, round 46); a head of government's
country is (``[government_heads]`` of ``words.txt``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale

from enrich.jobs.lexicon import UPPER, folded, phrases, place_name, word_key, word_keys

#: Department acronyms that stay in the title ("Director of HR").
DEPARTMENT_ACRONYMS = folded("department_acronyms")
#: Words that open a state's name before its country ("République", "Kingdom").
STATE_WORDS = folded("state_words")
#: Heads of government, folded phrases ("premier ministre").
_GOVERNMENT_HEADS = tuple(" ".join(p) for p in phrases("government_heads"))
#: An "of" that opens the body, with its article ("of the", "de la", "d'", "des").
OF_BODY = re.compile(r"\s+(?:of|de|du|des|d['’])\s*(?:(?:the|la|le|les)\s+|l['’])?(?=\S)")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]{1,7}$")


@lru_cache(maxsize=1)
def _territories() -> frozenset[str]:
    """Country and territory names in French and English, as folded word sequences."""
    names = {*Locale("fr").territories.values(), *Locale("en").territories.values()}
    return frozenset(" ".join(_keys(n)) for n in names if n[:1].isupper())


def _keys(name: str) -> list[str]:
    """The folded words of ``name``, an elision apart ("d'Iran" -> "d", "iran")."""
    return word_keys(re.sub(r"['’]", " ", name))


def government_head(title: str) -> bool:
    """Whether ``title`` is a head of government's ("premier ministre", "Deputy Prime
    Minister"): a minister's title whose "of X" is the country, not a portfolio."""
    written = " ".join(word_keys(title))
    return any(
        re.fullmatch(rf"(?:vice-|vice |deputy |first )?{re.escape(head)}", written)
        for head in _GOVERNMENT_HEADS
    )


def _names_a_body(tail: str) -> bool:
    """Whether ``tail`` is a country, a state's name ending on one ("République du Burundi"),
    or an acronym that names no department."""
    if _ACRONYM.match(tail):
        return word_key(tail) not in DEPARTMENT_ACRONYMS
    if not re.match(rf"[{UPPER}]", tail):
        return False
    keys = _keys(tail)
    countries = _territories()
    if " ".join(keys) in countries:
        return True
    # "République islamique d'Iran", "Republic of Ghana": a state word, then a country.
    return keys[0] in STATE_WORDS and any(
        " ".join(keys[i:]) in countries for i in range(1, len(keys))
    )


def body_after_title(title: str) -> tuple[str, str] | None:
    """``(title, body)`` when ``title`` runs on into the body it serves, at its first "of" or
    "de" whose remainder names a country, a state ending on one, or an acronym; else None."""
    for m in OF_BODY.finditer(title):
        head, tail = title[: m.start()].strip(), title[m.end() :].strip()
        if head and _names_a_body(tail):
            return head, tail
    return None


#: The name written after a title's "of": capitalised words and their connectors.
_NAME_AFTER = re.compile(place_name())


def body_written_after(title: str, sentence: str) -> str | None:
    """The country, state or acronym the sentence writes right after ``title`` and its "of"
    or "de" ("nommé premier ministre | du Burundi", "Prime Minister | of the Solomon
    Islands"): the reader stopped the title before it, and :func:`body_after_title` would
    have cut it there."""
    pos = sentence.find(title)
    if pos < 0:
        return None
    link = OF_BODY.match(sentence, pos + len(title))
    name = _NAME_AFTER.match(sentence, link.end()) if link else None
    if name is None:
        return None
    tail = name.group(0).rstrip(".")
    return tail if _names_a_body(tail) else None
