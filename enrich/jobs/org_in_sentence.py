"""The organisation a change's sentence names outside the readers' spans.

Why: over the spent parts 53-130 (``benchmarks/README.md``, round 87) about one gold
organisation in twelve is lost by a change formed without one, many of them written in two
regular places the tagger does not tag:

* before the title, as a possessive: "sworn in as Puerto Rico's governor", "named as
  Derbyshire's head coach" (the territory of a governor or a mayor is the organisation, as
  the gold conventions say of prefects);
* as the subject that appoints, opening the sentence: "Swindon Town have just appointed Phil
  Brown as their new manager", "Le conseil d'administration du Conseil coton anacarde a
  désigné X comme nouveau directeur général" (the employer past its governing body).

Round 88 adds a third place, for the titles whose territory is the organisation (a mayor's,
a sheriff's, a governor's: ``[territorial_titles]`` of ``words.txt``): the territory written
just before the title ("the new Kuala Lumpur Mayor"). All are read only for a change with a
title and no organisation, and a subject only when it reads as an organisation (an
organisation word, an acronym, or a possessive that points back to it: "their new manager",
"sa présidence"), never a person who appoints ("Duterte named X"). A minister's title is
left without one (:func:`enrich.jobs.tidy.minister_title`).
"""

from __future__ import annotations

import re

from enrich.jobs.lexicon import (
    DAYS_MONTHS,
    HONORIFICS,
    ORG_HEADS,
    TITLE_HEADS,
    UPPER,
    capitalised_name,
    folded,
    word_key,
    word_keys,
    words,
)

_VERBS = words("appointing_verbs")
_FILLERS = words("appointing_fillers")
#: The words that may stand between "X's" and the title, as one regex alternation.
_LEAD = "|".join(sorted(map(re.escape, words("possessive_title_lead"))))
_TERRITORIAL = folded("territorial_titles")
#: Up to four capitalised words that end the text before a territorial title: its place.
_PLACE_AT_END = re.compile(
    rf"(?:^|\s)(?P<place>[{UPPER}][\w'’.-]*(?:\s+[{UPPER}][\w'’.-]*){{0,3}})\s+$"
)
#: A capitalised name: its words and the connectors inside it ("University of Ghana").
_NAME = capitalised_name(r"of|de|du|des|la|le|and|et|&|d['’]\S+|l['’]\S+|on|the", digits=True)
#: A dateline or a time phrase that may open the sentence: "VIENNA, VA –", "On Thursday,".
_OPENING = re.compile(
    r"^(?:[A-Z][\w.'’ ,-]{0,40}\s[–—-]\s+)?(?:(?:On|Last|This|Today|Mardi|Lundi|Mercredi|"
    r"Jeudi|Vendredi|Samedi|Dimanche|Hier|Aujourd'hui)\b[^,]{0,25},\s*)?"
)
#: A governing body written before the employer: "Le conseil d'administration du X".
_BODY_OF = re.compile(
    r"^(?:the|le|la|l['’])\s*(?:conseil d['’]administration|assembl[ée]e g[ée]n[ée]rale|"
    r"comit[ée] ex[ée]cutif|board of (?:directors|trustees|governors))\s+(?:du|de la|de l['’]|"
    r"des|de|d['’]|of the|of)\s*",
    re.I,
)
#: An organisation's name starts with a capital or a digit, after an article.
_STARTS_NAME = re.compile(rf"^(?i:the\s+|les?\s+|la\s+|l['’])?[{UPPER}0-9]")
#: Lower-case words a name may hold between its capitalised ones.
_CONNECTORS = frozenset(
    {"of", "de", "du", "des", "la", "le", "les", "and", "et", "&", "the", "on", "for", "pour"}
    | {"en", "d'", "l'", "d’", "l’", "sur"}
)
#: A time phrase between the subject and its verb: "(ACB) on Thursday announced".
_TIME_AFTER = re.compile(r"\s+(?:on|this|last|ce|le)\s+\w+$", re.I)
_BACK_REFERENCE = re.compile(
    r"\b(?:its|their|the (?:association|club|company|firm|university|college|museum|"
    r"organi[sz]ation|society|team|board|school|institution|group)['’]s|of the (?:university|"
    r"college|association|club|company|firm|museum|society|institution|school)|sa|son|ses|"
    r"leur)\b",
    re.I,
)
_TRAILING_BODY = re.compile(
    r"\s+(?:Council|Board(?: of (?:Directors|Trustees|Governors|Regents))?|Governing Council)$"
)


def _names_an_organisation(name: str) -> bool:
    """Whether ``name`` reads as an organisation: one of its words is an organisation head
    word, or it is an acronym."""
    parts = name.replace("’", "'").split()
    return any(word_key(w).lower() in ORG_HEADS for w in parts) or any(
        len(w) >= 2 and w.isupper() and w.isalpha() for w in parts
    )


def _not_a_person(name: str, person: str | None) -> bool:
    """Whether ``name`` may be an organisation: no honorific or title word in it ("Gov.
    Kristi Noem's chief of staff", "President Biden"), not the appointee's name, and no
    possessive of its own ("The Governor's Office")."""
    parts = [w.lower().strip(",") for w in name.split()]
    if any(
        w in HONORIFICS or f"{w}." in HONORIFICS or word_key(w.strip(".")).lower() in TITLE_HEADS
        for w in parts
    ):
        return False
    if "'s" in name.replace("’", "'"):
        return False
    return not person or (name not in person and person not in name)


def _written_as_a_name(name: str) -> bool:
    """Whether ``name`` is written as a name: its words capitalised or connectors, or, in a
    name that opens on an organisation word ("Conseil coton anacarde"), any words."""
    parts = name.replace("’", "'").split()
    if word_key(parts[0]).lower() in ORG_HEADS and parts[0][:1].isupper():
        return True
    return all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _CONNECTORS for w in parts)


def _without_article(name: str) -> str:
    return re.sub(r"^(?:The|the)\s+", "", name)


def possessive_org(title: str, person: str | None, sentence: str) -> str | None:
    """The name written as a possessive just before ``title``: "Puerto Rico's governor"."""
    rx = re.compile(rf"({_NAME})['’]s\s+(?:(?:{_LEAD})\s+)*{re.escape(title)}\b")
    for m in rx.finditer(sentence):
        name = _without_article(m.group(1))
        if _written_as_a_name(name) and _not_a_person(name, person):
            return name
    return None


def subject_org(title: str, person: str | None, sentence: str) -> str | None:
    """The organisation that opens ``sentence`` and appoints: "Swindon Town have just
    appointed X as their new manager"; its governing body is dropped ("The University of
    Ghana Council" -> "University of Ghana", "Le conseil d'administration du X" -> "X")."""
    rest = sentence[_OPENING.match(sentence).end() :]  # type: ignore[union-attr]
    tokens = rest.split()
    verb = next(
        (k for k, w in enumerate(tokens[:12]) if w.lower().strip(",") in _VERBS and k > 0), None
    )
    if verb is None:
        return None
    k = verb
    while k > 0 and tokens[k - 1].lower().strip(",") in _FILLERS:
        k -= 1
    after = " ".join(tokens[verb + 1 :])
    if k == 0 or (person and person not in after):
        return None
    name = _TIME_AFTER.sub("", " ".join(tokens[:k]).strip(" ,"))
    name = re.sub(r"\s*\([^)]{1,20}\)$", "", name)  # "(SINU)"
    name = _BODY_OF.sub("", name)
    if not _STARTS_NAME.match(name) or "," in name or (person and person in name):
        return None
    name = _TRAILING_BODY.sub("", _without_article(name)).strip()
    if not name or not _written_as_a_name(name) or not _not_a_person(name, person):
        return None
    if _names_an_organisation(name) or _BACK_REFERENCE.search(after):
        return name
    return None


def place_before_title(title: str, person: str | None, sentence: str) -> str | None:
    """The territory written just before a mayor's, a sheriff's or a governor's title ("the
    new Kuala Lumpur Mayor", "new Jackson County Sheriff"): the gold conventions file a
    mayor's or a prefect's territory as the organisation."""
    if not any(key in _TERRITORIAL for key in word_keys(title)):
        return None
    pos = sentence.find(title)
    if pos <= 0:
        return None
    before = _PLACE_AT_END.search(sentence[:pos])
    if before is None:
        return None
    place = before.group("place")
    first = word_key(place.split()[0].strip(".")).lower()
    if first in DAYS_MONTHS or first in {"the", "le", "la", "new", "a", "an"}:
        return None
    return place if _written_as_a_name(place) and _not_a_person(place, person) else None


def org_in_sentence(title: str, person: str | None, sentence: str) -> str | None:
    """The organisation of a change with ``title`` and none of its own, when its sentence
    names one as a possessive before the title or as the subject that appoints; a lone
    common noun ("the Association's new director") or a nationality names none."""
    from enrich.jobs.tidy import lone_common_noun, lone_nationality

    for read in (possessive_org, place_before_title, subject_org):
        name = read(title, person, sentence)
        if name and not lone_common_noun(name) and not lone_nationality(name):
            return name
    return None
