"""A diplomat's posting is the change's organisation.

Why: the gold convention (the collectors' brief since part 68, ``benchmarks/README.md``, round
72) files an ambassador's or a consul's country or city of posting as the organisation, as a
prefect's territory: "nommé ambassadeur en Allemagne" is title "ambassadeur", organisation
"Allemagne"; "ambassadeur de Thaïlande en France" is title "ambassadeur de Thaïlande",
organisation "France". Both readers keep the posting inside the title, or take the sending
country or the appointer ("Téhéran a nommé un ambassadeur en France") for the organisation.
The words are data: ``[posting_titles]`` and ``[posting_preps]`` of ``words.txt``.
"""

from __future__ import annotations

import re

from enrich.jobs.lexicon import DAYS_MONTHS, UPPER, folded, phrases, place_name, word_key, word_keys

#: Titles whose posting is the organisation (folded).
POSTING_TITLES = folded("posting_titles")
#: "en", "au", "auprès de la", "to"...: what opens the posting, longest first.
_PREPS = sorted((" ".join(p) for p in phrases("posting_preps")), key=len, reverse=True)
_PREP = "(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in _PREPS) + ")"
#: A place: capitalised words, with the connectors of a country's or a city's name between.
_PLACE = "(?P<place>" + place_name(chars=r"\w'’.-") + ")"
_ARTICLE = r"(?:(?:la|le|les|the)\s+|l['’])?"
#: The posting that closes a title ("ambassadeur en Allemagne").
_IN_TITLE = re.compile(rf"\s+{_PREP}\s*{_ARTICLE}{_PLACE}\s*$")
#: The posting written right after a title, past the sending country ("ambassadeur | de
#: Thaïlande en France").
_AFTER = re.compile(
    rf"(?P<mid>\s+(?:de|du|des|d['’]|of)\s*(?:la\s+|l['’]|the\s+)?[{UPPER}][\w'’.-]*"
    rf"(?:\s+[{UPPER}][\w'’.-]*){{0,3}})?\s+{_PREP}\s*{_ARTICLE}{_PLACE}"
)


def posting_title(title: str) -> bool:
    """Whether ``title`` is a diplomat's post ("ambassadeur", "consul général"): its "de X"
    is the sending country, never the organisation."""
    return any(key in POSTING_TITLES for key in word_keys(title))


def _a_place(place: str) -> bool:
    """Whether ``place`` names a place rather than a date ("in January 2020")."""
    return word_key(place.split()[0]) not in DAYS_MONTHS


def posted_at(title: str, sentence: str) -> tuple[str, str] | None:
    """``(title, place)`` when ``title`` is a diplomat's post and the title, or the words
    right after it in ``sentence``, name where the post is; None otherwise. The title ends
    before the posting preposition and keeps the sending country."""
    inside = _IN_TITLE.search(title)
    if inside and posting_title(title[: inside.start()]) and _a_place(inside["place"]):
        return title[: inside.start()], inside.group("place")
    if not posting_title(title):
        return None
    pos = sentence.find(title)
    after = _AFTER.match(sentence, pos + len(title)) if pos >= 0 else None
    if after is None or not _a_place(after["place"]):
        return None
    return title + (after.group("mid") or ""), after.group("place")
