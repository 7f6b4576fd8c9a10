"""The rules: one small function per trigger label, dispatched from :data:`RULES`.

Why one function per rule: each trigger form (``enrich/data/jobs/triggers_*.jsonl``) puts the
person, title and organisation in its own places ("X a été nommée Z de Y", "Y appoints X as
Z", "X succède à W au poste de Z"); a function per form reads them with the slot readers of
:mod:`enrich.jobs.slots` and says nothing about the other forms. A rule returns the slots it
read, or ``None`` when the match is no job change; :func:`read_sentence` then adds the
sentence's other person entity when the rule found no subject, and reads the further
"name title" pairs of an enumeration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from enrich.jobs.lexicon import (
    ANNOUNCE_VERBS,
    AUX_WORDS,
    HIRE_VERBS,
    NEXT_WORDS,
    OF_PREPS,
    folded,
    word_key,
    words,
)
from enrich.jobs.slots import (
    after_title_org,
    board_or_head_org,
    is_award,
    name_before,
    only_place,
    org_after_de,
    org_forward,
    org_subject,
    person_after,
    person_before,
    read_org,
    read_title,
    strip_honorific,
    title_forward,
)
from enrich.jobs.slots.tokens import is_cap, is_title_word, looks_title_start

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

    #: (rule, person, organisation, title) read in one sentence.
    Found = tuple[str, list[Token], list[Token], list[Token]]

JOINED_BODIES = folded("joined_bodies")
JOINED_UNITS = folded("joined_units")
APPOINTMENT_NOUNS = words("appointment_nouns")
SUCCEED_VERBS = words("succeed_verbs")
FIRST_PERSON_SKIP = words("first_person_skip")
NOT_SUBJECT_AFTER = words("not_subject_after")
#: Active verbs of "Acme named Jane Doe CFO", read as an organisation appointing.
ACTIVE_APPOINT = {"hired", "named", "appointed", "tapped", "elected", "promoted", "recruited"}
LAND_VERBS = {"lands", "landed", "land"}
#: Signing verbs (``[sign_verbs]`` of ``words.txt``): what they join is a club even when a
#: city names it ("a signé à Brest").
SIGN_VERBS = words("sign_verbs")
TAKE_VERBS = {
    "prend",
    "prendra",
    "prennent",
    "pris",
    "prise",
    "prendre",
    "reprend",
    "reprendra",
    "repris",
}
#: Labels read by another label's rule ("signe au Real Madrid" is a joining).
ALIASES = {"SUBJ_SIGNS": "SUBJ_JOINS"}


@dataclass(frozen=True)
class Hit:
    """One trigger match in its sentence: what every rule reads."""

    doc: Doc
    sent: Span
    start: int
    stop: int
    lang: str
    ents: list[Span]

    @property
    def end(self) -> int:
        return self.sent.end

    def subject(self) -> list[Token]:
        """The person before the trigger (:func:`person_before`)."""
        return person_before(self.doc, self.sent, self.start, self.ents)


@dataclass(frozen=True)
class Slots:
    """What a rule read; ``fallback=False``: no other person is looked for when none."""

    person: list[Token]
    org: list[Token]
    title: list[Token]
    fallback: bool = True


def relabel(label: str, h: Hit) -> str:
    """The rule that reads a match: headline actives and aliases change the reading."""
    doc, start, stop = h.doc, h.start, h.stop
    if (
        label == "SUBJ_APPOINTED"
        and h.lang == "en"
        and start > h.sent.start
        and doc[start - 1].lower_ not in AUX_WORDS
        and is_cap(doc[h.sent.start])
        and doc[start].lower_ in ACTIVE_APPOINT
        and stop < h.end
        and is_cap(doc[stop])
        and not looks_title_start(doc[stop])
        and doc[stop].lower_ not in NEXT_WORDS
    ):
        # "Acme named Jane Doe CFO" (active) vs the headline "John Doe named CEO of Acme"
        return "ORG_APPOINTS"
    if label == "SUBJ_BECOMES" and doc[start].lower_ in LAND_VERBS:
        return "SUBJ_JOINS"  # "lands at Google as staff engineer"
    return ALIASES.get(label, label)


def subj_forward(h: Hit) -> Slots | None:
    """The slots come a little later: "a paraphé un contrat de deux ans avec les Blues",
    "agreed to a four-year deal as the next head coach of the Washington Wizards"."""
    doc, stop, end = h.doc, h.stop, h.end
    title, k = title_forward(doc, stop, end, h.lang, window=10)
    org = after_title_org(doc, k, end) if title else []
    if not org and doc[stop - 1].lower_ in {"par", "by"}:
        org, _ = read_org(doc, stop, end)  # "a été annoncé par l'USM Alger"
    if not org:
        org = org_forward(doc, stop, end)
    if not org and not title:
        return None
    person = h.subject()
    if not person and not title:
        return None  # "Elle a signé un contrat avec Netflix": no name, no post
    return Slots(person, org, title)


def new_title(h: Hit) -> Slots | None:
    """ "Sophie Morel, nouvelle directrice du Louvre", "Meet our new Head of Sales at Criteo".

    A title lexicon word must follow: "Marie, nouvelle venue" or "our new office" is none.
    """
    doc = h.doc
    title, k = read_title(doc, h.stop, h.end, h.lang)
    if not title or not any(is_title_word(t) for t in title):
        return None
    org = after_title_org(doc, k, h.end)
    person: list[Token] = []
    if doc[h.start].text == ",":
        person = strip_honorific(name_before(doc, h.start - 1, h.sent.start))
        if len(person) < 2:
            return None  # "Paris, nouvelle capitale ...": an apposition to a non-person
    return Slots(person, org, title, fallback=False)


def subj_appointed(h: Hit) -> Slots | None:
    """ "X a été nommée directrice de Y", "X has been appointed to the board of Y"."""
    doc, stop, end = h.doc, h.stop, h.end
    title, k = read_title(doc, stop, end, h.lang)
    if not title:
        title, k = title_forward(doc, stop, end, h.lang)
    if title:
        org = after_title_org(doc, k, end)
    else:
        org = board_or_head_org(doc, stop, end)
        if not org:
            return None
    return Slots(h.subject(), org, title)


def _board_org(doc: Doc, m: int, end: int) -> tuple[list[Token], int]:
    """ "rejoint le conseil d'administration de Y", "joins the board of Y": Y."""
    r = m
    while r < end and r < m + 6 and doc[r].lower_ not in OF_PREPS:
        r += 1
    if (
        r < end
        and r > m
        and doc[r].lower_ in OF_PREPS
        and all(not is_cap(t) for t in doc[m:r])
        and any(word_key(t.text) in JOINED_BODIES for t in doc[m:r])
    ):
        return read_org(doc, r + 1, end)
    return [], m


def _unit_post(h: Hit, m: int) -> Slots | None:
    """ "is joining the department as an assistant professor": a post, the unit unnamed."""
    doc, end = h.doc, h.end
    a = m
    while a < end and a < m + 5 and doc[a].lower_ not in {"as", "comme"}:
        a += 1
    unit = {word_key(t.text) for t in doc[m:a]}
    if a < end and a > m and unit & JOINED_UNITS:
        title, _ = read_title(doc, a, end, h.lang)
        if title:
            return Slots(h.subject(), [], title, fallback=False)
    return None


def subj_joins(h: Hit) -> Slots | None:
    """ "X rejoint Y en tant que Z", "X joins Y as Z", "X signe au Real Madrid"."""
    doc, sent, start, end = h.doc, h.sent, h.start, h.end
    before = start - 1
    while before > sent.start and doc[before].lower_ in {"also", "now", "officially"}:
        before -= 1
    if doc[start].lower_ == "joining" and (
        start == sent.start
        or doc[before].lower_ not in {"is", "am", "'m", "’m", "be", "are", "was", "were"}
    ):
        return None  # ", joining Stoops, the coach in Dallas": a participle, not a move
    m = h.stop
    if m < end and doc[m].lower_ in {"forces", "force"}:
        return None
    org, k = read_org(doc, m, end)
    if not org:
        org, k = _board_org(doc, m, end)
    if not org:
        return _unit_post(h, m)
    m = k
    while m < end and doc[m].lower_ in {","} and m < k + 1:
        m += 1
    title, _ = read_title(doc, m, end, h.lang)
    if title and (
        m >= end or doc[m].lower_ not in {"as", "en", "comme", "au", "aux", "pour", "to"}
    ):
        title = []
    if not title:
        title, _ = title_forward(doc, m, end, h.lang, window=8)
    if (
        not title
        and h.lang == "fr"
        and doc[start].lower_ not in SIGN_VERBS
        and only_place(org, h.ents)
    ):
        return None  # "Il a rejoint Bruxelles mardi": a trip, not a job; "signé à Brest" is not
    if not title and doc[start].lower_ in LAND_VERBS:
        return None  # "The plane landed at Heathrow": only "lands at Y as Z" is a post
    return Slots(h.subject(), org, title)


def _succession(h: Hit) -> tuple[list[Token], list[Token]] | None:
    """ "X succède à W au poste de Z de Y", "succède à X à la présidence de Y": (title, org)."""
    doc, stop, end = h.doc, h.stop, h.end
    k = stop
    while (
        k < end
        and doc[k].lower_ not in {"au", "aux", "as", "comme", "en", "à", "at"}
        and k < stop + 8
    ):
        k += 1
    if k < end and doc[k].lower_ in {"à", "at"}:
        k += 1
        while k < end and doc[k].lower_ not in {"au", "aux", "as", "comme", "en"} and k < stop + 10:
            k += 1
    title, k2 = read_title(doc, k, end, h.lang)
    if title:
        return title, after_title_org(doc, k2, end)
    org = board_or_head_org(doc, stop, end, window=10)
    return (title, org) if org else None


def subj_becomes(h: Hit) -> Slots | None:
    """ "X devient directrice de Y", "X prend la tête de Y", "X takes over as Z"."""
    doc, start, stop, end = h.doc, h.start, h.stop, h.end
    low = doc[start].lower_
    title: list[Token] = []
    if low in TAKE_VERBS and doc[start + 1].lower_ in {"la", "les"}:
        # "prend la tête de Y", "prend les rênes du Web Summit"
        org, _ = org_after_de(doc, stop, end)
        if not org:
            return None
    elif low in SUCCEED_VERBS:
        read = _succession(h)
        if read is None:
            return None
        title, org = read
    else:
        s0 = stop
        if (
            doc[stop - 1].lower_ == "fonctions"
            and stop < end
            and doc[stop].lower_ in {"de", "d'", "d’"}
        ):
            s0 = stop + 1  # "a pris ses fonctions de directrice de l'Opéra"
        title, k = read_title(doc, s0, end, h.lang)
        if not title:
            title, k = title_forward(doc, stop, end, h.lang)
        if not title:
            return None
        org = after_title_org(doc, k, end)
    return Slots(h.subject(), org, title)


def replaced_by(h: Hit) -> Slots | None:
    """ "X sera remplacé au poste de directeur financier par Y", "replaced by Y as CEO"."""
    doc, stop, end = h.doc, h.stop, h.end
    by = next(
        (j for j in range(stop - 1, min(end, stop + 10)) if doc[j].lower_ in {"par", "by"}),
        None,
    )
    if by is None:
        return None
    person, k = person_after(doc, by + 1, end, h.ents)
    if not person or person[0].i > by + 3:
        return None
    title, k2 = read_title(doc, stop, by, h.lang) if by > stop else ([], stop)
    if not title:
        title, k2 = read_title(doc, k, end, h.lang)
    if not title:
        return None
    return Slots(person, after_title_org(doc, k2, end), title)


def _announced(h: Hit) -> int | None:
    """Where the appointee is read after "announces": "the appointment of X", "its new Z"."""
    doc, stop, end = h.doc, h.stop, h.end
    m = stop
    while m < end and m < stop + 3 and doc[m].lower_ in {"the", "its"}:
        m += 1
    if m < end and doc[m].lower_ in {"new", "next", "first"}:
        # "Microsoft announced its new head of marketing today, Chris Capossela"
        return m
    if m >= end or doc[m].lower_ not in APPOINTMENT_NOUNS:
        return None
    stop = m + 1
    if stop < end and doc[stop].lower_ == "of":
        stop += 1
    return stop


def org_appoints(h: Hit) -> Slots | None:
    """ "Y nomme X directrice", "Y a nommé X", "Y appoints X as Z", "Y announces the
    appointment of X as Z"."""
    doc, start, end, lang = h.doc, h.start, h.end, h.lang
    stop = h.stop
    if doc[start].lower_ in ANNOUNCE_VERBS:
        announced = _announced(h)
        if announced is None:
            return None
        stop = announced
    person, k = person_after(doc, stop, end, h.ents)
    if person or (k < end and doc[k].lower_ in {"a", "an", "its", "their", "un", "une"}):
        # "have named an interim coach to lead the team": the post, no name
        title, k2 = read_title(doc, k, end, lang)
    else:
        title, k2 = [], k
    if not title:
        title, k2 = title_forward(doc, k, end, lang, window=16)
    if not title and person and person[0].i > stop:
        # "has appointed a new chief technology officer, Gary Steen": the title
        # stands between the verb and the name
        title, k2 = read_title(doc, stop, person[0].i, lang)
    hire = any(t.lower_ in HIRE_VERBS for t in doc[start:stop])
    if not title and not (person and hire):
        return None
    org = after_title_org(doc, k2, end) if title else []
    org = org or org_subject(doc, h.sent, start, h.ents)
    if not title and not org:
        return None
    return Slots(person, org, title)


def first_person(h: Hit) -> Slots | None:
    """ "je rejoins Y", "I've joined Y as Z", "nouveau poste de Z chez Y", "new role at Y"."""
    doc, sent, start, stop, end, lang = h.doc, h.sent, h.start, h.stop, h.end, h.lang
    m = stop
    while m < end and m < stop + 2 and doc[m].text in {":", "-", "–", "—"}:
        m += 1  # "Nouveau poste : responsable marketing chez Decathlon"
    if (
        m < end
        and doc[stop - 1].lower_ in {"poste", "fonction", "fonctions", "role", "position"}
        and doc[m].lower_ in {"de", "d'", "d’", "of"}
    ):
        m += 1  # "un nouveau poste de chargée de communication chez Airbus"
    title, k = read_title(doc, m, end, lang)
    org: list[Token] = []
    if title:
        org = after_title_org(doc, k, end)
    else:
        # "I've joined Y as Z", "je rejoins Y en tant que Z", "new role at Y"
        while m < end and doc[m].lower_ in FIRST_PERSON_SKIP and m < stop + 4:
            if doc[m].lower_ in {"as", "tant", "en"}:
                break
            m += 1
        org, k = read_org(doc, m, end)
        if org:
            title, _ = read_title(doc, k, end, lang)
        elif doc[stop - 1].lower_ == "fonctions":
            # "Je prendrai mes fonctions en septembre à l'université de Reims"
            org = org_forward(doc, stop, end, window=8)
    if not org and not title:
        return None
    person: list[Token] = []
    third = {"sa", "son", "her", "his", "their", "leur"}
    if doc[start].lower_ in third or (start > sent.start and doc[start - 1].lower_ in third):
        # "Félicitations à Paul Martin pour sa nomination", "Congratulations to Jane Doe
        # on her new role": the post is someone else's, named earlier
        person = h.subject()
    return Slots(person, org, title, fallback=False)


@dataclass(frozen=True)
class Rule:
    """A trigger label's reader; ``enumerate``: further "name title" pairs may follow."""

    read: Callable[[Hit], Slots | None]
    enumerate: bool = False


#: Trigger label -> its rule. A label of the trigger files must be a key here (or of ALIASES).
RULES: dict[str, Rule] = {
    "SUBJ_APPOINTED": Rule(subj_appointed),
    "SUBJ_JOINS": Rule(subj_joins),
    "SUBJ_FORWARD": Rule(subj_forward),
    "SUBJ_BECOMES": Rule(subj_becomes),
    "ORG_APPOINTS": Rule(org_appoints, enumerate=True),
    "REPLACED_BY": Rule(replaced_by),
    "FIRST_PERSON": Rule(first_person),
    "NEW_TITLE": Rule(new_title),
}


def _other_person(h: Hit, used: list[Token]) -> list[Token]:
    """The sentence's first two-word person entity outside ``used``, not after "par"/"de"."""
    doc = h.doc
    taken = {t.i for t in used}
    for e in h.ents:
        if (
            e.label_ in {"PER", "PERSON"}
            and e.start >= h.sent.start
            and e.end <= h.end
            and not any(t.i in taken for t in e)
            and e.end - e.start >= 2
            and (e.start == h.sent.start or doc[e.start - 1].lower_ not in NOT_SUBJECT_AFTER)
        ):
            return strip_honorific(list(e))
    return []


def _enumerated(h: Hit, last: list[Token], rule: str) -> list[Found]:
    """Further "name title (de org)" after the first: "a nommé A rectrice de X, B rectrice
    de Y et C recteur de Z", "named A CEO and B CFO"."""
    doc, end = h.doc, h.end
    more: list[Found] = []
    k = max(t.i for t in last) + 1
    while k < end and doc[k].lower_ in {",", "et", "and", ";"}:
        k += 1
        if k < end and doc[k].lower_ in {"et", "and"}:
            k += 1
        person, p_end = person_after(doc, k, min(end, k + 6), h.ents)
        if not person or person[0].i != k:
            break
        title, t_end = read_title(doc, p_end, end, h.lang)
        if not title or title[0].i > p_end + 2:
            break
        org = after_title_org(doc, t_end, end)
        more.append((rule, person, org, title))
        k = (org[-1].i if org else title[-1].i) + 1
    return more


def read_sentence(
    doc: Doc, sent: Span, matches: list[tuple[str, int, int]], lang: str, ents: list[Span]
) -> list[Found]:
    """(rule, person, org, title) read in one sentence, one reading per kept match."""
    found: list[Found] = []
    for label, start, stop in matches:
        if is_award(doc, stop, sent.end):
            continue
        hit = Hit(doc, sent, start, stop, lang, ents)
        name = relabel(label, hit)
        rule = RULES[name]
        slots = rule.read(hit)
        if slots is None:
            continue
        person = slots.person
        if not person and slots.fallback:
            person = _other_person(hit, [*slots.org, *slots.title])
        if slots.title or slots.org:
            found.append((name, person, slots.org, slots.title))
            if rule.enumerate and person and slots.title:
                found.extend(_enumerated(hit, [*person, *slots.title, *slots.org], name))
    return found
