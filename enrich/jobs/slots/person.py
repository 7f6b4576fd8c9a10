"""The person slot: the subject before a trigger, or the person an organisation appoints.

Why not NER alone: the small French model cuts long names and misses English ones in
headlines, so a PER entity is run on over capitalised words, and without one the name-like
run nearest the verb is taken; honorifics ("Dr", "Mme", "Professor") are stripped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from enrich.jobs.lexicon import (
    AUX_WORDS,
    DAYS_MONTHS,
    DETS,
    HONORIFICS,
    INTRO_WORDS,
    OF_PREPS,
    ORG_HEADS,
    ORG_PREPS,
    PRONOUNS,
    SENT_STOP_CAPS,
    TITLE_MODIFIERS,
    word_key,
)
from enrich.jobs.slots.tokens import is_cap, is_punct, is_title_word

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token


def strip_honorific(run: list[Token]) -> list[Token]:
    while len(run) > 1 and (run[0].lower_ in HONORIFICS or run[0].text == "."):
        run = run[1:]
    while run and run[-1].text == ".":
        run = run[:-1]
    return run


def name_before(doc: Doc, r: int, lo: int) -> list[Token]:
    """The capitalised run that ends at token ``r`` (not before ``lo``), title words excluded."""
    start = r
    while start >= lo and is_cap(doc[start]) and not is_title_word(doc[start]):
        start -= 1
    return list(doc[start + 1 : r + 1])


def _name_end(doc: Doc, k: int, limit: int, particles: set[str]) -> int:
    """Where the name that starts at token ``k`` ends: capitalised words, and ``particles``
    between two of them ("Ursula von der Leyen"), up to ``limit``."""
    m = k + 1
    while (
        m < limit
        and (
            is_cap(doc[m]) or (doc[m].lower_ in particles and m + 1 < limit and is_cap(doc[m + 1]))
        )
        and not is_title_word(doc[m])
    ):
        m += 1
    return m


def _name_tokens(doc: Doc, ent: Span, end: int) -> list[Token]:
    """A PER entity's tokens, run on over capitalised words the model cut away.

    The small French model often stops early on long names ("Agnès Walch |
    Mension Rigau"); a following capitalised word that is no title, day or
    stop word still belongs to the name.
    """
    toks = [t for t in ent if not t.is_punct or t.text in {".", "-"}]
    k = ent.end
    while (
        k < end
        and k < ent.end + 3
        and is_cap(doc[k])
        and doc[k].is_alpha
        and not is_title_word(doc[k])
        and word_key(doc[k].text) not in SENT_STOP_CAPS | TITLE_MODIFIERS | DAYS_MONTHS
        and word_key(doc[k].text) not in ORG_HEADS
    ):
        toks.append(doc[k])
        k += 1
    return strip_honorific(toks)


def _is_dateline(run: list[Token], nxt: Token | None) -> bool:
    """ "SALT LAKE CITY – Erin Mendenhall was sworn in": a place in capitals, then a dash."""
    return (
        len(run) >= 1
        and all(t.text.isupper() and len(t.text) > 1 for t in run)
        and nxt is not None
        and nxt.text in {"–", "—", "-", ":"}
    )


def person_before(doc: Doc, sent: Span, trig_start: int, ents: list[Span]) -> list[Token]:
    """The subject: the nearest PER entity before the trigger, else the first name-like run."""
    q = trig_start - 1
    while q >= sent.start and doc[q].lower_ in AUX_WORDS:
        q -= 1
    if q > sent.start + 1 and doc[q].lower_ in {"who", "qui"} and doc[q - 1].text == ",":
        # "says Ann McKenna, who joined ...": the name before the relative clause
        crun = strip_honorific(name_before(doc, q - 2, sent.start))
        if len(crun) >= 2:
            return crun
    if q > sent.start and doc[q].lower_ == "qui":
        # "c'est Thiago Motta qui a pris la relève": the name right before "qui"
        qrun = name_before(doc, q - 1, sent.start)
        if len(qrun) >= 2:
            return strip_honorific(qrun)
    pers = [
        e
        for e in ents
        if e.label_ in {"PER", "PERSON"} and e.end <= trig_start and e.start >= sent.start
    ]
    pers = [e for e in pers if not all(word_key(t.text) in SENT_STOP_CAPS for t in e)]
    if pers and q >= sent.start:
        # "après la démission de Marcelino, Gennaro Gattuso a été nommé": the name right
        # before the verb is its subject
        adjacent = [e for e in pers if e.end == q + 1 and e.end - e.start >= 2]
        if adjacent and adjacent[0] is not pers[0]:
            return _name_tokens(doc, adjacent[0], trig_start)
    if pers:
        # the first person of the clause (appositions come after it)
        return _name_tokens(doc, pers[0], trig_start)
    # "Former Google executive Jane Doe has been named": the run right before the verb
    j = trig_start - 1
    while j >= sent.start and (doc[j].lower_ in AUX_WORDS or doc[j].lower_ in {"will", "would"}):
        j -= 1
    passive = j < trig_start - 1
    if j >= sent.start and doc[j].lower_ == "qui":
        # "c'est Thiago Motta qui a pris la relève"
        run = name_before(doc, j - 1, sent.start)
        if len(run) >= 2:
            return strip_honorific(run)
    if j >= sent.start and doc[j].lower_ in PRONOUNS:
        return []  # "I have been appointed", "il est nommé": no name given
    had_honorific = j >= sent.start and any(
        t.lower_ in HONORIFICS for t in doc[max(sent.start, j - 3) : j + 1]
    )
    near: list[Token] = []
    while j >= sent.start and (
        (
            is_cap(doc[j])
            and not is_title_word(doc[j])
            and word_key(doc[j].text) not in TITLE_MODIFIERS
        )
        or (
            # "Shawyn Patterson-Howard": a hyphen between two name words
            near
            and doc[j].text == "-"
            and j > sent.start
            and is_cap(doc[j - 1])
            and not is_title_word(doc[j - 1])
        )
    ):
        near.insert(0, doc[j])
        j -= 1
    near = strip_honorific([t for t in near if word_key(t.text) not in SENT_STOP_CAPS | {"former"}])
    single_surname = (
        # "in which Wallace was named interim mayor": one name word right before the
        # auxiliary, after a lower-case word
        len(near) == 1
        and passive
        and j >= sent.start
        and doc[j].is_alpha
        and not is_cap(doc[j])
        and word_key(near[0].text) not in ORG_HEADS
    )
    if (len(near) >= 2 or (near and had_honorific) or single_surname) and (
        j < sent.start or doc[j].lower_ not in OF_PREPS | ORG_PREPS | DETS
    ):
        return near
    k = sent.start
    while k < trig_start:
        tok = doc[k]
        prev = doc[k - 1] if k > sent.start else None
        if (
            is_cap(tok)
            and word_key(tok.text) not in SENT_STOP_CAPS
            and not is_title_word(tok)
            and (prev is None or prev.lower_ not in OF_PREPS | ORG_PREPS | DETS | {"by", "par"})
        ):
            m = _name_end(doc, k, trig_start, {"de", "van", "von", "da", "le", "-", "du", "di"})
            run = strip_honorific(list(doc[k:m]))
            if _is_dateline(run, doc[m] if m < trig_start else None):
                k = m
                continue
            if len(run) >= 2 and word_key(run[-1].text) not in ORG_HEADS:
                return run
            if (
                len(run) == 1
                and k == sent.start
                and m < trig_start + 1
                and (m == trig_start or doc[m].lower_ in AUX_WORDS)
                and word_key(run[0].text) not in ORG_HEADS
            ):
                return run
            k = m
            continue
        k += 1
    return []


def person_after(doc: Doc, i: int, end: int, ents: list[Span]) -> tuple[list[Token], int]:
    """The person an organisation appoints: the last name-like run before the title.

    "hired Tampa Bay Lightning assistant coach Derek Lalonde to be ..." -> Derek Lalonde.
    """
    for e in ents:
        if e.label_ in {"PER", "PERSON"} and i <= e.start <= i + 10:
            name = _name_tokens(doc, e, end)
            return name, name[-1].i + 1
    best: list[Token] = []
    k = i
    while k < end and k < i + 14:
        tok = doc[k]
        if best and tok.lower_ in INTRO_WORDS | {"from", "on", "in", "for", "who", "qui"}:
            break  # "signed Erling Haaland from RB Salzburg": the club left behind
        if best and is_title_word(tok):
            ahead = doc[k + 1 : min(end, k + 4)]
            if not any(is_cap(t) and not is_title_word(t) for t in ahead):
                break
        if is_cap(tok) and not is_title_word(tok) and word_key(tok.text) not in SENT_STOP_CAPS:
            m = _name_end(doc, k, end, {"de", "van", "von", "-"})
            run = strip_honorific(list(doc[k:m]))
            if len(run) >= 2:
                best = run
            k = m
            continue
        if is_punct(tok) and tok.text not in {",", ".", "'"}:
            break
        k += 1
    if best:
        return best, best[-1].i + 1
    return [], i
