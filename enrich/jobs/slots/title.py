"""The title slot: a job title read from a token, which must hold a known title head word.

Why the head-word test: it is what rejects "nommé aux Oscars" or "joined the protest", which
share the trigger words; the lead-ins ("au poste de", "as", "en tant que") and the words that
end a title are lists of ``enrich/data/jobs/words.txt``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from enrich.jobs.lexicon import (
    DAYS_MONTHS,
    DEPARTMENTS,
    DETS,
    GOVERNMENT_TITLES,
    NEXT_WORDS,
    OF_PREPS,
    ORG_HEADS,
    ORG_PREPS,
    TITLE_FILLERS,
    TITLE_INTRO,
    TITLE_MODIFIERS,
    TITLE_STOP,
    is_award_word,
    word_key,
)
from enrich.jobs.slots.tokens import is_cap, is_punct, is_title_word, looks_title_start, strip_span

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


def _skip_intro(doc: Doc, i: int, end: int) -> int:
    """Skip "au poste de", "as", "en tant que", "its new" before a title."""
    while i < end and doc[i].is_space:
        i += 1
    moved = True
    while moved and i < end:
        moved = False
        for intro in TITLE_INTRO:
            n = len(intro)
            if i + n <= end and tuple(doc[i + k].lower_ for k in range(n)) == intro:
                # "to" / "a" / "the" only if a title word follows
                nxt = doc[i + n] if i + n < end else None
                if intro in {
                    ("to",),
                    ("the",),
                    ("a",),
                    ("an",),
                    ("le",),
                    ("la",),
                    ("l'",),
                    ("un",),
                    ("une",),
                } and (nxt is None or not (looks_title_start(nxt) or nxt.lower_ in NEXT_WORDS)):
                    continue
                i += n
                moved = True
                break
    return i


def _org_prep_later(doc: Doc, k: int, end: int) -> int:
    """Index of an "at"/"chez"/"au sein de" further in the same clause (0 when none)."""
    for j in range(k + 1, min(end, k + 12)):
        t = doc[j]
        if is_punct(t) or t.lower_ in TITLE_STOP - {"le", "a"}:
            return 0
        if t.lower_ in ORG_PREPS or (
            t.lower_ == "au" and j + 1 < end and doc[j + 1].lower_ == "sein"
        ):
            return j
    return 0


_ORDINAL = re.compile(r"^\d+(st|nd|rd|th|e|er|ère|ème|eme|è)$", re.I)


def _skip_fillers(doc: Doc, i: int, end: int) -> int:
    """Skip fillers, ordinals, dates and a possessor ("the country's") before a title.

    Each is skipped only when a title word follows within three tokens, so that
    nothing but the lead-in of a title is ever eaten.
    """
    j = i
    if (
        j + 1 < end
        and doc[j].lower_ in DETS
        and (doc[j + 1].lower_ in TITLE_FILLERS or _ORDINAL.match(doc[j + 1].text))
    ):
        j += 1  # "the 36th mayor", "the official Mayor"
    if j < end and (
        (doc[j].lower_ in TITLE_FILLERS and not is_cap(doc[j]))
        or _ORDINAL.match(doc[j].text)
        or word_key(doc[j].text) in DAYS_MONTHS
    ):
        j += 1
    else:
        # "the country's Chief Technology Officer", "Boston's first mayor"
        for n in (1, 2, 3):
            if j + n < end and doc[j + n].lower_ in {"'s", "’s"}:
                j = j + n + 1
                break
    if j == i:
        return i
    if any(looks_title_start(t) for t in doc[j : min(end, j + 3)]):
        return j
    return i


def read_title(doc: Doc, i: int, end: int, lang: str) -> tuple[list[Token], int]:
    """A job title from token ``i``; it must contain a known title head word."""
    i = _skip_intro(doc, i, end)
    for _ in range(4):
        j = _skip_fillers(doc, i, end)
        if j == i:
            break
        i = _skip_intro(doc, j, end)
    if i < end and doc[i].lower_ in TITLE_STOP:
        return [], i
    toks: list[Token] = []
    k = i
    while k < end:
        tok = doc[k]
        low = tok.lower_
        if tok.is_space:
            k += 1
            continue
        if is_punct(tok) and tok.text not in {"-"}:
            break
        if low in ORG_PREPS:
            break
        if low in {"and", "et", "&", "/"}:
            # "President and CEO", "directeur et fondateur"
            if k + 1 < end and (
                looks_title_start(doc[k + 1])
                or (doc[k + 1].lower_ in DETS and k + 2 < end and looks_title_start(doc[k + 2]))
            ):
                toks.append(tok)
                k += 1
                continue
            break
        if low in OF_PREPS | {"chargé", "chargée", "charge", "chargee", "in"} and any(
            word_key(t.text) in GOVERNMENT_TITLES for t in toks
        ):
            # "ministre des Armées", "ministre délégué chargé de l'Énergie": the portfolio is
            # part of the title, not an organisation
            r = k + 1
            while (
                r < end
                and not is_punct(doc[r])
                and doc[r].lower_ not in TITLE_STOP - {"a", "le", "et", "and", "en"} | ORG_PREPS
                and word_key(doc[r].text) not in DAYS_MONTHS
                and not doc[r].like_num
            ):
                r += 1
            toks.extend(doc[k:r])
            k = r
            continue
        at = _org_prep_later(doc, k, end)
        if low in OF_PREPS and at and low not in {"à", "au", "aux"}:
            # "Dean of the Faculty of Law at the University of X": all before "at" is title
            toks.extend(doc[k:at])
            k = at
            continue
        if low in OF_PREPS:
            # title continues ("of Marketing", "de la communication") or org starts
            m = k + 1
            while m < end and doc[m].lower_ in DETS:
                m += 1
            if m >= end:
                break
            run: list[Token] = []
            r = m
            while r < end and (is_cap(doc[r]) or (run and doc[r].lower_ in {"&", "and"})):
                run.append(doc[r])
                r += 1
            if run and all(
                word_key(t.text) in DEPARTMENTS or t.lower_ in {"&", "and"} for t in run
            ):
                toks.extend(doc[k:r])
                k = r
                continue
            nxt = doc[m]
            if (
                not is_cap(nxt)
                and nxt.is_alpha
                and word_key(nxt.text) not in ORG_HEADS
                and low not in {"à", "au", "aux", "a", "in", "for", "pour"}
                and not nxt.like_num
            ):
                # "directrice de la communication", "chargé de mission"
                r = m
                while (
                    r < end
                    and not is_cap(doc[r])
                    and doc[r].is_alpha
                    and (
                        doc[r].lower_ not in TITLE_STOP | ORG_PREPS | OF_PREPS
                        or doc[r].lower_ in DETS
                    )
                    and word_key(doc[r].text) not in ORG_HEADS
                ):
                    r += 1
                toks.extend(doc[k:r])
                k = r
                continue
            break
        if low in TITLE_STOP and toks:
            break
        if is_cap(tok) and not is_title_word(tok) and word_key(tok.text) not in TITLE_MODIFIERS:
            # English titles are capitalised ("Chief Technology Officer"): keep a capitalised
            # word only if a title head follows within three words.
            ahead = doc[k : min(end, k + 4)]
            acronym_after_head = (
                toks
                and is_title_word(toks[-1])
                and tok.text.isupper()
                and 2 <= len(tok.text) <= 5
                and (k + 1 >= end or doc[k + 1].lower_ in ORG_PREPS or is_punct(doc[k + 1]))
            )
            if acronym_after_head:
                pass  # "Responsable RSE chez Orange", "Directeur RH"
            elif not any(is_title_word(t) for t in ahead[1:]) or any(
                t.lower_ in OF_PREPS | ORG_PREPS for t in ahead[1:2]
            ):
                break
        if not tok.is_alpha and tok.text not in {"-", "·", "'", "’"} and not word_key(tok.text):
            break
        if (
            not is_cap(tok)
            and not tok.is_alpha
            and "·" not in tok.text
            and "." not in tok.text
            and "-" not in tok.text
        ):
            break
        toks.append(tok)
        k += 1
        if len(toks) > 12:
            break
    toks = strip_span(toks, DETS | {"new", "nouveau", "nouvelle", "a", "an", "un", "une"})
    while toks and toks[-1].lower_ in OF_PREPS | DETS | {"and", "et", "&"}:
        toks = toks[:-1]
    if not any(is_title_word(t) for t in toks):
        return [], i
    folded = " ".join(word_key(t.text) for t in toks).replace("'", " ").replace("’", " ")
    folded = " ".join(folded.split())
    if re.search(
        r"\b(de l annee|of the year|du mois|of the month|de la saison|of the season)\b", folded
    ):
        return [], i  # "nommé coach de l'année": an award
    return toks, (toks[-1].i + 1 if toks else i)


def title_forward(
    doc: Doc, i: int, end: int, lang: str, window: int = 12
) -> tuple[list[Token], int]:
    """A title introduced a little further on ("entrera en fonction le 20 août au poste de Z")."""
    for j in range(i, min(end, i + window)):
        low = doc[j].lower_
        if (
            low in {"as", "comme"}
            or (low == "en" and j + 1 < end and doc[j + 1].lower_ == "tant")
            or (
                low in {"au", "aux"}
                and j + 1 < end
                and doc[j + 1].lower_ in {"poste", "fonctions", "rang"}
            )
            or (low == "to" and j + 1 < end and doc[j + 1].lower_ in {"be", "become"})
        ):
            title, k = read_title(doc, j, end, lang)
            if title:
                return title, k
    return [], i


AWARD_PERIOD = re.compile(
    r"\b(de l annee|of the year|du mois|of the month|de la saison|of the season)\b"
)


def is_award(doc: Doc, start: int, end: int) -> bool:
    """ "nommé aux César", "named Coach of the Year": a prize, not a post."""
    keys = [word_key(t.text) for t in doc[start : min(end, start + 6)]]
    if any(is_award_word(keys, i) for i in range(len(keys))):
        return True
    folded = " ".join(word_key(t.text) for t in doc[start : min(end, start + 8)])
    return bool(AWARD_PERIOD.search(folded.replace("'", " ")))
