"""The organisation slot: a proper name read from a token, and where to look for it.

Why capitals: an employer is named ("Stellantis", "l'Université de Lille"), which is what
tells it from "le cortège" or "the protest"; French names that run on in lower case
("l'Agence nationale de la recherche") are followed with the part-of-speech tags.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from enrich.jobs.lexicon import (
    AUX_WORDS,
    BOARD_WORDS,
    CLUB_WORDS,
    DAYS_MONTHS,
    DETS,
    GOVERNMENT_TITLES,
    HONORIFICS,
    NAME_ARTICLES,
    NAME_ELISIONS,
    OF_PREPS,
    ORG_CONNECT,
    ORG_HEADS,
    ORG_PREPS,
    SENT_STOP_CAPS,
    TITLE_HEADS,
    TITLE_MODIFIERS,
    TITLE_STOP,
    word_key,
)
from enrich.jobs.slots.tokens import is_cap, is_punct, is_title_word, strip_span

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token


def read_org(doc: Doc, i: int, end: int) -> tuple[list[Token], int]:
    """An organisation name from token ``i``: capitalised words and their connectors."""
    j = i
    while (
        j < end
        and (doc[j].lower_ in DETS or doc[j].is_space)
        and doc[j].text not in NAME_ELISIONS
        and not (doc[j].text in NAME_ARTICLES and not doc[j].is_sent_start)
    ):
        j += 1
    toks: list[Token] = []
    k = j
    while k < end:
        tok = doc[k]
        if word_key(tok.text) in DAYS_MONTHS:
            break
        head = word_key(tok.text) in ORG_HEADS
        if (
            is_cap(tok)
            or (toks and (tok.like_num or tok.text in {"&", "-"}))
            or (not toks and head)
            or (toks and head and (doc[k - 1].lower_ in ORG_CONNECT or is_cap(doc[k - 1])))
        ):
            toks.append(tok)
        elif toks and tok.lower_ in ORG_CONNECT:
            # a connector counts only if a capitalised word follows (within the det)
            m = k + 1
            while m < end and doc[m].lower_ in DETS | ORG_CONNECT:
                m += 1
            if (
                m < end
                and (is_cap(doc[m]) or word_key(doc[m].text) in ORG_HEADS)
                and not (
                    tok.lower_ in {"and", "et", "in", "en", "on", "for", "pour"}
                    and not is_cap(doc[m])
                )
            ):
                if tok.lower_ in {"and", "et"} and is_title_word(doc[m]):
                    break
                if tok.lower_ in {"and", "et"}:
                    # "recteur de Dijon et Anne Roussel rectrice de Lille": a name and a title
                    # follow, so the organisation ends here
                    r = m
                    while r < end and is_cap(doc[r]) and not is_title_word(doc[r]):
                        r += 1
                    if r < end and r > m + 1 and is_title_word(doc[r]):
                        break
                toks.append(tok)
            else:
                break
        else:
            break
        k += 1
    toks = strip_span(toks, set())
    if (
        toks
        and doc.has_annotation("POS")
        and (word_key(toks[0].text) in ORG_HEADS or (len(toks) == 1 and toks[0].pos_ == "NOUN"))
    ):
        toks = _extend_french_org(doc, toks, end)
    # An organisation made only of title words is a title ("Director", "CEO").
    if toks and all(is_title_word(t) or word_key(t.text) in TITLE_MODIFIERS for t in toks):
        return [], i
    if toks and all(word_key(t.text) in SENT_STOP_CAPS for t in toks):
        return [], i
    if toks and not any(is_cap(t) for t in toks):
        return [], i
    # "l'équipe de Capgemini", "the team at Stripe": the organisation is what follows
    if (
        len(toks) > 2
        and not is_cap(toks[0])
        and word_key(toks[0].text) in {"equipe", "team", "teams", "equipes"}
        and toks[1].lower_ in {"de", "d'", "d’", "of", "at", "du", "des"}
    ):
        toks = strip_span(toks[2:], set())
    return toks, (toks[-1].i + 1 if toks else i)


def _extend_french_org(doc: Doc, toks: list[Token], end: int) -> list[Token]:
    """French names run on in lower case: "l'Agence nationale de la recherche"."""
    k = toks[-1].i + 1
    limit = k + 8
    while k < end and k < limit:
        t = doc[k]
        if t.pos_ == "ADJ" and t.lower_ not in TITLE_STOP and not is_title_word(t):
            toks.append(t)
            k += 1
            continue
        if t.lower_ in {"de", "du", "des", "d'", "d’"}:
            m = k + 1
            while m < end and doc[m].lower_ in {"la", "l'", "l’", "le", "les"}:
                m += 1
            if (
                m < end
                and doc[m].pos_ in {"NOUN", "PROPN"}
                and not is_title_word(doc[m])
                and doc[m].lower_ not in TITLE_STOP
            ):
                toks.extend(doc[k : m + 1])
                k = m + 1
                continue
        if is_cap(t) and t.pos_ in {"PROPN", "NOUN"}:
            toks.append(t)
            k += 1
            continue
        break
    return toks


def _aux_len(doc: Doc, sent: Span, trig_start: int) -> int:
    n = 0
    while trig_start - n - 1 >= sent.start and doc[trig_start - n - 1].lower_ in AUX_WORDS:
        n += 1
    return n


def org_subject(doc: Doc, sent: Span, trig_start: int, ents: list[Span]) -> list[Token]:
    """The organisation that appoints ("Google appoints ...", "L'Université de Lille nomme ...")."""
    if any(
        e.label_ in {"PER", "PERSON"} and e.end == trig_start - _aux_len(doc, sent, trig_start)
        for e in ents
    ):
        return []  # "Emmanuel Macron a nommé ...": a person appoints, no organisation named
    orgs = [
        e
        for e in ents
        if e.label_ in {"ORG", "LOC", "MISC"} and e.end <= trig_start and e.start >= sent.start
    ]
    if orgs:
        return _unless_titled_person(list(orgs[-1]))
    k = trig_start - 1
    skip = AUX_WORDS | {
        "have",
        "has",
        "to",
        "pleased",
        "happy",
        "proud",
        "delighted",
        "thrilled",
        "excited",
        "heureux",
        "heureuse",
        "fier",
        "fière",
        "ravi",
        "ravie",
        "de",
        "d'",
        "is",
        "are",
        "est",
        "sont",
        "today",
        "officially",
    }
    while k >= sent.start and doc[k].lower_ in skip:
        k -= 1
    last = k
    while k >= sent.start and (is_cap(doc[k]) or doc[k].lower_ in ORG_CONNECT):
        k -= 1
    if last < sent.start:
        return []
    toks, _ = read_org(doc, k + 1, last + 1)
    return _unless_titled_person(toks)


#: Words that make an appointing subject a person ("President X", "director X").
_APPOINTER_TITLES = TITLE_HEADS | GOVERNMENT_TITLES


def _unless_titled_person(toks: list[Token]) -> list[Token]:
    """Nothing when the appointing subject is a person named with a title ("President
    Akufo-Addo has appointed ...", "athletics director Joe Castiglione named ..."): such a
    subject reads as capitalised words, but it names who appoints, not an organisation."""
    if not toks:
        return toks
    first = toks[0]
    titled = len(toks) >= 2 and (
        word_key(first.text) in _APPOINTER_TITLES or first.lower_ in HONORIFICS
    )
    after_title = first.i > 0 and word_key(first.doc[first.i - 1].text) in _APPOINTER_TITLES
    return [] if titled or after_title else toks


def after_title_org(doc: Doc, k: int, end: int) -> list[Token]:
    """The organisation right after a title: "at Y", "de Y", "chez Y", "of Y"."""
    m = k
    if m < end and doc[m].text == "(":
        # "chief technology officer (CTO) of the Central Intelligence Agency"
        close = next((j for j in range(m + 1, min(end, m + 6)) if doc[j].text == ")"), None)
        if close is not None:
            m = close + 1
    while m < end and doc[m].lower_ in {",", "au", "sein"} and m < k + 3:
        m += 1
    if m < end and doc[m].lower_ in ORG_PREPS | OF_PREPS | {"sein"}:
        m += 1
        if m < end and doc[m].lower_ in {"sein"}:
            m += 2
        toks, _ = read_org(doc, m, end)
        return toks
    return []


def org_forward(doc: Doc, i: int, end: int, window: int = 10) -> list[Token]:
    """The organisation after the first "avec/chez/par/with/at/du côté de" within a few words."""
    preps = {"avec", "chez", "par", "with", "at", "for", "pour", "au", "à"}
    j = i
    while j < min(end, i + window):
        t = doc[j]
        if is_punct(t) and t.text not in {"'", "’"}:
            return []
        if t.lower_ == "côté" and j + 1 < end and doc[j + 1].lower_ in {"de", "du", "des", "d'"}:
            org, _ = read_org(doc, j + 2, end)
            return org
        if t.lower_ in preps:
            org, _ = read_org(doc, j + 1, end)
            if org:
                return org
        j += 1
    return []


def only_place(org: list[Token], ents: list[Span]) -> bool:
    """True when the whole organisation span is a place entity (LOC) and nothing more."""
    if not org:
        return False
    if word_key(org[0].text) in ORG_HEADS or word_key(org[0].text) in CLUB_WORDS:
        return False  # "le Stade Rennais", "l'Olympique de Marseille": a club, not a trip
    idx = {t.i for t in org}
    return any(e.label_ in {"LOC", "GPE"} and {t.i for t in e} >= idx for e in ents)


def board_or_head_org(doc: Doc, i: int, end: int, window: int = 7) -> list[Token]:
    """Organisation of "appointed to the board of Shell", "nommée à la tête du ministère X"."""
    span = doc[i : min(end, i + window)]
    if not any(word_key(t.text) in BOARD_WORDS for t in span):
        return []
    for t in span:
        if word_key(t.text) in BOARD_WORDS:
            r = t.i + 1
            # skip "of directors", "d'administration", "de surveillance"
            while (
                r < end
                and r < t.i + 4
                and (
                    doc[r].lower_ in {"of", "de", "d'", "d’", "du", "des"}
                    and r + 1 < end
                    and not is_cap(doc[r + 1])
                    and doc[r + 1].lower_ not in DETS
                    and word_key(doc[r + 1].text) not in ORG_HEADS
                )
            ):
                r += 2
            if r < end and doc[r].lower_ in {"of", "de", "d'", "d’", "du", "des", "at", "chez"}:
                org, _ = read_org(doc, r + 1, end)
                return org
    return []


def org_after_de(doc: Doc, i: int, end: int) -> tuple[list[Token], int]:
    m = i
    while m < end and doc[m].lower_ in {"de", "du", "des", "d'", "d’", "of"} and m < i + 2:
        m += 1
    return read_org(doc, m, end)
