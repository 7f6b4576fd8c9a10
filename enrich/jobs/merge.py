"""Merging the rules' changes with the trained tagger's (:mod:`enrich.job_tagger`).

Why apart from the rules: the rules are precise on the phrasings they know and the tagger
reads the others; which one wins, and how one fills the other's gaps, is a policy measured on
labelled sentences (see :func:`with_tagger`), not a rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from enrich.jobs.change import TAGGER_VERSION, JobChangeFound
from enrich.jobs.lexicon import is_award_word, word_key
from enrich.jobs.slots import parse_start_date
from enrich.jobs.slots.title import AWARD_PERIOD
from enrich.jobs_prefilter import sentence_starts

if TYPE_CHECKING:
    from enrich.job_tagger import JobTagger, Span, Tagged

#: Tagger spans below this mean tag probability are not used.
TAGGER_MIN_SCORE = 0.7
#: A text the tagger (trained to decide, ``job-tagger-3``) gives a lower probability of telling
#: a job change yields none, whichever of the rules or the tagger read one: the natural
#: boundary of a yes/no learnt on real sentences, 45 % of them negatives sharing the words.
CHANGE_MIN = 0.5


def with_tagger(
    texts: Sequence[str],
    langs: Sequence[str],
    by_rules: list[list[JobChangeFound]],
    published: Sequence[datetime | None] | None,
    *,
    decide: bool = True,
) -> list[list[JobChangeFound]]:
    """The rules where they read a whole change, the trained tagger first elsewhere.

    A rule change with person, organisation and title is kept as it is (the
    rules are precise on the phrasings they know, and the tagger is then not
    run at all). For every other text the tagger's changes are taken (spans
    below :data:`TAGGER_MIN_SCORE` ignored, vetoes of :func:`_plausible_alone`
    applied), each completed by the rule change about the same person or
    title; where the tagger finds nothing, the rules' partial changes are
    kept, their empty fields filled from the tagger's spans. Measured on 593
    fresh labelled sentences, half of them kept out of training: taking the
    tagger first raised the organisation/title F1 by three points over
    filling the rules' gaps. See :mod:`enrich.job_tagger` for the tagger.

    When a title tagger is installed (:data:`enrich.job_tagger.TITLES_DIR`), its TITLE spans
    replace the span tagger's on the same texts (rounds 35-36 of ``benchmarks/README.md``).

    A tagger that decides (``job-tagger-3``: the yes/no of a second tagger trained with it,
    ``enrich/job_tagger_decision/``) reads every text, complete rule changes included, and
    a text it says no to (below :data:`CHANGE_MIN`) yields no change at all: the negatives
    that fired shared the trigger words with a real appointment, which rules cannot tell.
    The yes/no is read first; the span tagger then runs only on the texts said yes to whose
    rule changes are not complete (the rest would not read its spans). ``decide=False``
    leaves the yes/no out, for readers of stated positions rather than of moves.
    """
    from enrich.job_tagger import group, load_tagger, load_title_tagger, with_titles_of
    from enrich.jobs.name_list import announced_lists, may_list

    tagger = load_tagger()
    titler = load_title_tagger()
    said = _decisions(tagger, texts) if decide else None
    # A text the decider says no to, or whose rule changes are all complete, gains nothing
    # from the tagger's spans: with a separate decider their span pass is skipped, which
    # saves most of the encoder time on appointment feeds and on ordinary posts.
    # A tagger that decides by itself reads complete texts too, for its yes/no.
    says_itself = tagger.decides and not tagger.decides_apart
    todo = [
        i
        for i, found in enumerate(by_rules)
        if (said is None or said[i] >= CHANGE_MIN)
        and (not found or not all(map(_complete, found)) or says_itself)
    ]
    # A list the decider says no to is read when its sentence announces appointments
    # (:mod:`enrich.jobs.name_list`): the decider learnt on sentences telling one change.
    lists = {
        i
        for i, text in enumerate(texts)
        if said is not None and said[i] < CHANGE_MIN and may_list(text or "")
    }
    todo = sorted({*todo, *lists})
    texts_todo = [texts[i] or "" for i in todo]
    read = dict(zip(todo, tagger.tag(texts_todo, decide=False) if todo else [], strict=True))
    if titler is not None and todo:
        # Titles from the title tagger, persons and organisations from the span tagger.
        titled = titler.tag(texts_todo, decide=False)
        read = {i: with_titles_of(read[i], t) for i, t in zip(todo, titled, strict=True)}
    out: list[list[JobChangeFound]] = []
    for i, (maybe_text, found) in enumerate(zip(texts, by_rules, strict=True)):
        text = maybe_text or ""
        base = published[i] if published else None
        said_i = said[i] if said is not None else read[i].change if i in read else None
        if said_i is not None and said_i < CHANGE_MIN:
            listed = announced_lists(text, _strong(read[i])) if i in lists else []
            out.append(
                [
                    _from_tagger(text, langs[i], c, found, base)
                    for c in listed
                    if _plausible_alone(text, c)
                ]
            )
            continue
        if i not in read or (found and all(map(_complete, found))):
            out.append(found)
            continue
        tagged = [
            {**c, "title": None} if c["title"] and _NOMINAL_OFFICE.match(c["title"]) else c
            for c in group(text, _strong(read[i]))
        ]
        alone = [c for c in tagged if _plausible_alone(text, c)]
        if not alone:
            out.append([_fill(jc, tagged) for jc in found])
            continue
        out.append([_from_tagger(text, langs[i], c, found, base) for c in alone])
    return out


def _strong(tagged: Tagged) -> list[Span]:
    """The tagger's spans at or above :data:`TAGGER_MIN_SCORE`."""
    return [s for s in tagged.spans if s.score >= TAGGER_MIN_SCORE]


def _decisions(tagger: JobTagger, texts: Sequence[str]) -> list[float] | None:
    """Each text's yes/no when a separate model gives it (read before any span), else None.

    A tagger that decides by itself gives its yes/no with its spans, in the same pass.
    """
    if not tagger.decides_apart or not texts:
        return None
    return tagger.decisions([t or "" for t in texts])


def _from_tagger(
    text: str,
    lang: str,
    change: dict[str, str | None],
    by_rules: Sequence[JobChangeFound],
    published: datetime | None,
) -> JobChangeFound:
    """A tagger change, its empty fields taken from the rule change about the same post."""
    rule = next(
        (
            jc
            for jc in by_rules
            if _same_change(jc.person, jc.title, change["person"], change["title"])
        ),
        None,
    )
    person, organization, title = change["person"], change["organization"], change["title"]
    method = f"{TAGGER_VERSION}:{lang}"
    if rule is not None:
        if person and person == rule.organization:
            # "Lyon have named X": the rules read the subject as the organisation.
            person = None
        person = person or (rule.person if rule.person != organization else None)
        organization = organization or rule.organization
        title = title or rule.title
        method = f"{method}+{rule.rule}"
    start = rule.start_date if rule is not None and rule.start_date else None
    return JobChangeFound(
        person=person,
        organization=organization,
        title=title,
        start_date=start or parse_start_date(text, published),
        lang=lang,
        rule=method,
        sentence=_sentence_of(text, change),
    )


#: The writer's own words, singular (the elided "j'" / "m'" are matched apart): a
#: first-person post tells the writer's own move.
_WRITER_WORDS = r"i|i'm|i’m|i've|i’ve|i'll|i’ll|me|my|je|mon|ma|mes"

#: A title with neither person nor organisation is a change only when someone
#: is its subject ("I'm starting as Head of Data", "he was named captain") or an
#: appointment verb governs it, not in "Lyon, nouvelle capitale de la gastronomie".
_PRONOUN = re.compile(
    rf"(?<![\w'’])(?:(?:{_WRITER_WORDS}|we|our|he|she|they|his|her"
    r"|nous|notre|il|elle|ils|elles|lui)(?!\w)|[jm]['’])",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(
    rf"(?<![\w'’])(?:{_WRITER_WORDS})(?!\w)|(?<![\w])[jm]['’]", re.IGNORECASE
)

#: "I have become a fan of Paris Saint-Germain": a fan's or a supporter's club is no employer.
_FAN_OF = re.compile(
    r"(?<![\w'’])(?:fans?|supporters?|supportrices?|admirers?)\s+(?:of|de|du|des|d['’])",
    re.IGNORECASE,
)


#: An office named by a noun ("prend la présidence de", "assume the deanship") is
#: no job title: an alumni record reads "président", never "présidence".
_NOMINAL_OFFICE = re.compile(
    r"(?:vice-)?pr[ée]sidence\b|direction$|t[êe]te$|(?:presidency|chairmanship|deanship|helm)\b",
    re.IGNORECASE,
)


#: A word, as the prize check reads the title and what follows it.
_WORD = r"[\w'’-]+"

_APPOINTED = re.compile(
    r"\b(?:nomm[ée]e?s?|[ée]lue?s?|d[ée]sign[ée]e?s?|promue?s?|recrut[ée]e?s?|devien(?:t|dra|nent)"
    r"|named|appointed|elected|promoted|hired|sworn in|becomes?|became|will become)\b",
    re.IGNORECASE,
)


def _plausible_alone(text: str, change: dict[str, str | None]) -> bool:
    """The rules' vetoes, for a change only the tagger saw.

    An organisation alone ("a fan of Paris Saint-Germain") is not enough: a
    title, or a person with the organisation, is needed, except in a first-person post
    (:data:`_FIRST_PERSON`), whose writer is the person, unless the organisation is the one
    the writer is a fan of (:data:`_FAN_OF`); a title alone needs
    a subject or an appointment verb (:data:`_PRONOUN`, :data:`_APPOINTED`); a
    title followed by award words ("joueuse du mois", "Coach of the Year") is
    a prize.
    """
    title, person, org = change["title"], change["person"], change["organization"]
    # "j'ai intégré le réseau des bibliothèques de Québec", "la direction de FAIRCO m'a été
    # confiée": in a first-person post the writer is the person (left unnamed)
    writer_joins = bool(
        org and not person and _FIRST_PERSON.search(text) and not _FAN_OF.search(text)
    )
    if not title and not (person and org) and not writer_joins:
        return False
    if (
        title
        and not (change["person"] or change["organization"])
        and not (_PRONOUN.search(text) or _APPOINTED.search(text))
    ):
        return False
    if title:
        pos = text.find(title)
        after = text[pos : pos + len(title) + 60] if pos >= 0 else title
        if org:  # "Festival Director of the Dublin Fringe Festival": a body, not a prize
            after = after.replace(org, " ")
        words = [word_key(w) for w in re.findall(_WORD, after)[:10]]
        if any(is_award_word(words, i) for i in range(len(words))):
            return False
        # "Coach of the Year", "joueuse du mois": the period right after the title, not
        # one that ends a later clause ("head coach till the end of the season")
        n = len(re.findall(_WORD, title))
        if AWARD_PERIOD.search(" ".join(words[:n]).replace("'", " ")) or AWARD_PERIOD.match(
            " ".join(words[n:]).replace("'", " ")
        ):
            return False
    return True


def _same_change(
    person: str | None, title: str | None, other_person: str | None, other_title: str | None
) -> bool:
    """Whether a rule change and a tagger change are about one post: same person or title."""
    return bool((person and person == other_person) or (title and title == other_title))


def _complete(jc: JobChangeFound) -> bool:
    """All three fields read by the rules, and the person is not the organisation."""
    return bool(jc.person and jc.organization and jc.title and jc.person != jc.organization)


def _fill(jc: JobChangeFound, tagged: list[dict[str, str | None]]) -> JobChangeFound:
    """The rules' change, its empty fields taken from the tagger's matching change.

    A person read by the rules that is the organisation itself ("Northwind
    Traders has tapped X") is a misreading: the tagger's person replaces it.
    """
    if not tagged or _complete(jc):
        return jc
    same = [c for c in tagged if _same_change(jc.person, jc.title, c["person"], c["title"])]
    donor = (same or tagged)[0]
    organization = jc.organization or donor["organization"]
    title = jc.title or donor["title"]
    person = jc.person or donor["person"]
    if person and person == organization:
        person = donor["person"] if donor["person"] != organization else None
    if (person, organization, title) == (jc.person, jc.organization, jc.title):
        return jc
    return replace(
        jc,
        person=person,
        organization=organization,
        title=title,
        rule=f"{jc.rule}+{TAGGER_VERSION}",
    )


def _sentence_of(text: str, change: dict[str, str | None]) -> str:
    """The sentence of ``text`` that holds the change's first value (the evidence quote).

    Cut by the one splitter (:func:`enrich.jobs_prefilter.sentence_starts`), never after an
    initial or an abbreviation: cut at every ". ", "Vermont's Gov. X picked Dr. Harry L. Chen
    to be Health Commissioner" gave "Harry L." as the quote, the trigger fell outside it and
    the change was dropped (round 51)."""
    anchor = next((v for v in change.values() if v), "")
    pos = text.find(anchor) if anchor else -1
    if pos < 0:
        return text.strip()[:500]
    starts = sentence_starts(text)
    start = max([0, *(s for s in starts if s <= pos), text.rfind("\n", 0, pos) + 1])
    end = min([len(text), *(s for s in starts if s > pos)])
    return text[start:end].strip()[:500]
