"""Last touches on a change's slots, whoever read them (rules or tagger).

Why: two slips of either reader cost precision on text nobody tuned for (issue 21, round 6,
``enrich/data/jobs_train/fresh_sites4.jsonl``), and neither is worth a rule of its own:

* an organisation that is one common noun ("the University hired James W. Gray") names no
  organisation an alumni office could file (the gold convention: such an organisation is null);
* a title runs on into a parenthesis ("directeur commercial (création de poste) du
  promoteur"): the title is what precedes it. An acronym in brackets ("chief executive
  officer (CEO)") goes too; the title before it is the same title.
* a title or an organisation ends on a preposition or an article ("chairman of the",
  "Assistant Professor in", round 7, ``fresh_sites5.jsonl``): the reader stopped one word
  after the slot, and the dangling words are never part of it. Nor does one start on a
  lower-case one ("du tribunal judiciaire", round 7, ``fresh_sites6.jsonl``).
* a person starts with an honorific ("Prince Ajibola Afonja", "Cllr Mark Ogden", round 10,
  ``jobs_test9.jsonl``): the rules strip the data file's honorifics from the names they read,
  the tagger does not, and a person is written without them (the gold convention).
* an organisation is a governing body ("Conseil d'Administration" of "président du Conseil
  d'Administration (PCA) de la Sococim", round 14, ``jobs_test13.jsonl``): the tagger cut
  the employer off, or kept it behind the body; the employer is what follows the body, and a
  body with no employer after it names none.
* an organisation is a nationality adjective alone ("signed by English county
  Northamptonshire": "English", round 21, ``jobs_test17.jsonl``): the reader stopped on the
  adjective before the name; it names no employer.
* a minister's change keeps the country or the body the tagger saw beside the title ("Tonga's
  new Minister for Agriculture": "Tonga", round 46): a minister's title carries the ministry
  and the change names no organisation (the gold convention; the rules already read so).
* an organisation is the title itself ("Fred joined us a Data Engineer", "un poste d'ATER":
  organisation and title both "Data Engineer", round 68): the reader took the only noun
  phrase for both slots; a title names no employer, so the organisation is dropped.
* a diplomat's posting stays in the title, or the sending country stands for the
  organisation ("ambassadeur de Thaïlande en France", round 72): the posting is the
  organisation (:mod:`enrich.jobs.posting`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from itertools import pairwise

from enrich.jobs.change import JobChangeFound
from enrich.jobs.lexicon import (
    DETS,
    HONORIFICS,
    MINISTER_TITLES,
    NAMED_BODIES,
    NATIONALITIES,
    OF_PREPS,
    ORG_HEADS,
    ORG_PREPS,
    SEAT_BODIES,
    SEAT_TITLES,
    capitalised_name,
    phrases,
    word_key,
    word_keys,
)
from enrich.jobs.org_in_sentence import org_in_sentence
from enrich.jobs.posting import posted_at, posting_title
from enrich.jobs.title_of import body_after_title, body_written_after, government_head

#: Leading articles dropped before an organisation is judged a lone common noun (typographic
#: apostrophes are made plain first, so only "l'" is listed).
_ARTICLES = frozenset({"the", "le", "la", "les", "l", "l'", "this", "cette", "ce", "its"})


def lone_common_noun(org: str) -> bool:
    """Whether ``org`` is only a generic organisation noun ("University", "la société")."""
    words = [w for w in org.replace("’", "'").split() if w.lower() not in _ARTICLES]
    if len(words) == 1 and words[0].lower().startswith(("l'", "d'")):
        words = [words[0][2:]]
    if len(words) != 1 or words[0].isupper():  # an acronym ("CNRS", "CHU") names a body
        return False
    key = word_key(words[0]).lower()
    return key in ORG_HEADS and key not in NAMED_BODIES


def lone_nationality(org: str) -> bool:
    """Whether ``org`` is one nationality adjective ("English", "française"), capitalised or
    not (``[nationalities]`` of ``words.txt``)."""
    words = org.split()
    return len(words) == 1 and word_key(words[0]).lower() in NATIONALITIES


def title_before_parenthesis(title: str) -> str | None:
    """The title up to its first parenthesis (None when nothing precedes it)."""
    head = title.split("(", 1)[0].strip(" ,;:-–")
    return head or None


#: Words a slot never ends on (the data files' prepositions and determiners).
_DANGLING = frozenset(w.lower() for w in OF_PREPS | DETS | ORG_PREPS)


def without_dangling_words(value: str) -> str | None:
    """``value`` without the prepositions and articles it ends on, nor the lower-case ones it
    starts with ("du tribunal judiciaire"; a capital one may be the name's: "De Beers", "La
    Poste"). None when nothing is left."""
    words = value.split()
    while words and words[-1].lower().replace("’", "'") in _DANGLING:
        words.pop()
    while words and words[0].islower() and words[0].replace("’", "'") in _DANGLING:
        words.pop(0)
    return " ".join(words) or None


def without_honorifics(person: str) -> str:
    """``person`` without the honorifics it starts with ("Cllr Mark Ogden" -> "Mark Ogden");
    a lone word stays ("Prince"), as the rules' own reader keeps it."""
    rest = person
    while True:
        head, _, tail = rest.partition(" ")
        if not tail.strip() or head.lower().replace("’", "'") not in HONORIFICS:
            return rest  # a slice of ``person``: still the text's own characters
        rest = tail.lstrip()


#: Governing bodies (``[governing_bodies]`` of ``words.txt``), longest first; a bare "board"
#: counts only as the whole organisation.
_BODIES = sorted((" ".join(p) for p in phrases("governing_bodies")), key=len, reverse=True)
#: What may stand between a body and its employer: an acronym in brackets, then "de"/"of".
_TO_EMPLOYER = re.compile(
    r"\s*(?:\([^)]{1,20}\)\s*)?(?:de la|de l['’]|du|des|de|d['’]|of the|of)\s*", re.I
)
#: The employer named after a bare body in the text: capitalised words and their connectors.
_NAME = re.compile(capitalised_name(r"de|du|des|d['’]\S+|la|le|les|of|the|and|et|&", digits=True))


def _fold_chars(value: str) -> str:
    """``value`` lower case, accents and typographic apostrophes made plain, char for char."""
    out = []
    for c in value.replace("\u2019", "'"):
        base = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))
        out.append(base[0].lower() if len(base) == 1 else c.lower()[:1] or c)
    return "".join(out)


def _leading_body(org: str) -> tuple[int, str | None]:
    """Where the governing body that opens ``org`` starts (past an article) and which it is
    (folded); a bare "board" counts only as the whole organisation."""
    folded = _fold_chars(org)
    lead = re.match(r"(?:le |la |l'|the )?", folded)
    start = lead.end() if lead else 0
    body = next(
        (
            b
            for b in _BODIES
            if folded.startswith(b, start) and (b != "board" or folded[start:] == b)
        ),
        None,
    )
    return start, body


def employer_past_its_board(org: str, text: str) -> str | None:
    """The employer of a governing-body organisation: ``org`` itself when it is no body."""
    start, body = _leading_body(org)
    if body is None:
        return org
    rest = org[start + len(body) :]
    if rest.strip():
        link = _TO_EMPLOYER.match(rest)
        return without_dangling_words(rest[link.end() :]) if link and link.end() else org
    pos = text.find(org)
    after = text[pos + len(org) :] if pos >= 0 else ""
    link = _TO_EMPLOYER.match(after)
    name = _NAME.match(after, link.end()) if link and link.end() else None
    return without_dangling_words(name.group(0)) if name else None


#: Between a title and the body it chairs: "présidente du conseil", "chair of the board".
_TITLE_TO_BODY = r"\s+(?:du|de la|de l['’]|des|de|d['’]|of the|of)\s*"


def title_with_its_board(title: str, org: str, text: str) -> str:
    """``title`` with the governing body that opens ``org`` when the text writes them
    together: "présidente" + "conseil d'administration de Santé Québec" -> "présidente du
    conseil d'administration" (the labelled data's convention, 37 of 46 such titles); the
    organisation is the employer past the body (:func:`employer_past_its_board`)."""
    start, body = _leading_body(org)
    if body is None or body == "board":
        return title
    written = org[start : start + len(body)]
    together = re.search(re.escape(title) + _TITLE_TO_BODY + re.escape(written), text)
    return together.group(0) if together else title


def minister_title(title: str) -> bool:
    """Whether ``title`` names a minister's post ("Minister for Agriculture", "ministre
    d'État", "secrétaire d'État"): one of its words, or two joined by a hyphen, is in the data
    list ``minister_titles``."""
    words = word_keys(title)
    pairs = [f"{a}-{b}" for a, b in pairwise(words)]
    return any(w in MINISTER_TITLES for w in [*words, *pairs])


#: Seats named by a phrase (``[seat_phrases]``), folded words joined by one space.
_SEAT_PHRASES = tuple(" ".join(p) for p in phrases("seat_phrases"))


def seat_title(title: str, sentence: str = "") -> bool:
    """Whether ``title`` is a seat on a board or a committee ("board members", "Trustee",
    "membres"): its last word is in the data list ``seat_titles`` ("member of parliament" is
    a post), or it ends a phrase of ``seat_phrases`` with the words written just before it in
    ``sentence`` ("independent and non-executive director", round 73). Such a change is
    dropped with the vetoes (the gold convention counts board and committee members as
    negatives; ``benchmarks/README.md``, round 47)."""
    words = word_keys(title)
    if words and words[-1] in SEAT_TITLES:
        return True
    pos = sentence.find(title)
    lead = sentence[max(0, pos - 30) : pos] if pos > 0 else ""
    written = " " + " ".join(word_keys(lead + title))
    return any(written.endswith(" " + phrase) for phrase in _SEAT_PHRASES)


def seat_body(org: str | None, title: str | None) -> bool:
    """Whether a change with no title goes into a board or a trust ("the election of X to
    the Netball WA Board", round 73): its organisation's last word is in ``seat_bodies``."""
    if title or not org:
        return False
    words = word_keys(org)
    return bool(words) and words[-1] in SEAT_BODIES


def _serves_a_body(title: str) -> bool:
    """Whether the country, state or acronym after ``title``'s "of" is its organisation: not
    a diplomat's (the posting is, :mod:`enrich.jobs.posting`), nor a minister's portfolio,
    but a head of government's country (:func:`enrich.jobs.title_of.government_head`)."""
    return not posting_title(title) and (government_head(title) or not minister_title(title))


def _trimmed(value: str | None) -> str | None:
    return without_dangling_words(value) if value else value


def tidy(jc: JobChangeFound) -> JobChangeFound:
    """``jc`` with a governing body replaced by its employer, a lone-noun or nationality
    organisation dropped (and any beside a minister's title, or equal to the title), its title
    cut before a parenthesis, neither ending on a preposition or an article, a diplomat's
    posting as its organisation, or else the country or body its title runs on into
    (:mod:`enrich.jobs.title_of`), or else the organisation its sentence names as a
    possessive or an appointing subject (:mod:`enrich.jobs.org_in_sentence`), and its
    person without honorifics."""
    title = title_before_parenthesis(jc.title) if jc.title and "(" in jc.title else jc.title
    org = employer_past_its_board(jc.organization, jc.sentence) if jc.organization else None
    if title and jc.organization and org != jc.organization:
        title = title_with_its_board(title, jc.organization, jc.sentence)
    org, title = _trimmed(org), _trimmed(title)
    org = None if org and (lone_common_noun(org) or lone_nationality(org)) else org
    org = None if org and title and minister_title(title) else org
    org = None if org and title and _fold_chars(org) == _fold_chars(title) else org
    posting = posted_at(title, jc.sentence) if title else None
    if posting:
        title, org = posting
    elif title and not org:
        cut = body_after_title(title)
        if cut and _serves_a_body(cut[0]):
            title, org = cut
    person = without_honorifics(jc.person) if jc.person else jc.person
    if title and not org and not minister_title(title):
        org = org_in_sentence(title, person, jc.sentence)
    if title and not org and _serves_a_body(title):
        org = body_written_after(title, jc.sentence)
    if org == jc.organization and title == jc.title and person == jc.person:
        return jc
    return replace(jc, organization=org, title=title, person=person)
