"""Sentences that list several appointments, one name and one post after another.

Why: governments' and councils' announcements list their appointments in one sentence ("The
newly appointed rectors are: Professor A to X University, Professor B to Y University, ...",
"Mr A – Secretary to the Prime Minister; Mr B – Ministry of Finance; ..."). The tagger
finds every name in them but tags the posts of the first one or two only, and its grouping
then pairs one post with the nearest name: such sentences held 136 of the 346 changes of
parts 95-104 and the extractor gave 81 (round 79 of ``benchmarks/README.md``).

This reader takes the names the tagger found and reads the text between two names as the
post of the first: a *list* is three names or more whose posts open with the same
connector (``[list_item_connectors]`` of ``enrich/data/jobs/words.txt``: a dash, "as",
"to", "for", "comme", a comma...) and end where the next name's honorifics and joiner
begin. A post holding a tagged organisation or title gives that span; else its words are
an organisation when they begin with an organisation word ("Ministry", "Université") or
follow "to" / "for", a title when they hold a title word. A title tagged before the first
name ("the newly appointed rectors are") is every item's title when no item has its own,
and an organisation tagged there ("X announced several promotions:") every item's
organisation.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from enrich.jobs.lexicon import (
    DETS,
    HONORIFICS,
    NAME_LIST_JOINERS,
    ORG_HEADS,
    TITLE_HEADS,
    UPPER,
    phrases,
    word_key,
    word_keys,
    words,
)
from enrich.jobs.title_of import OF_BODY

if TYPE_CHECKING:
    from enrich.job_tagger import Span

#: Connectors that open an item's post, longest first ("en tant que" before "en").
CONNECTORS = sorted((" ".join(p) for p in phrases("list_item_connectors")), key=len, reverse=True)
#: Connectors after which the post's words name the body joined ("to Bayburt University").
BODY_CONNECTORS = frozenset(" ".join(p) for p in phrases("list_body_connectors"))
#: Words that announce the appointments a list gives ("New Appointments:", "were elected"):
#: a list in a sentence that holds one is read even when the deciding tagger says no.
_ANNOUNCED = re.compile(
    r"(?<![\w'’-])(?:"
    + "|".join(re.escape(w) for w in words("list_announcements"))
    + r")(?![\w-])",
    re.IGNORECASE,
)
#: The fewest items that make a list.
MIN_ITEMS = 3
#: The most words a post may hold: more is a clause, not a list item.
MAX_POST_WORDS = 12

_JOINER = re.compile(r"(?:,|;|\band\b|\bet\b|&)\s*$", re.IGNORECASE)
#: The post's leading words that say nothing of it (``[dets]``: "the", "la", "its"...).
_DET_KEYS = frozenset(word_key(d) for d in DETS)
_EDGES = " \t\n,;:.…)(–—-"


def may_list(text: str) -> bool:
    """Whether ``text`` may hold an announced list (cheap: before any tagger runs)."""
    return (text.count(";") >= 2 or text.count(",") >= 2) and bool(_ANNOUNCED.search(text))


def announced_lists(text: str, spans: Sequence[Span]) -> list[dict]:
    """The changes of the lists of ``text`` whose sentence announces appointments.

    Why: the deciding tagger, trained on sentences that mostly tell one change, says no to
    most lists ("New Appointments: Mr A – Secretary to the Prime Minister; Mr B – ...");
    a list of three posts or more in a sentence that announces appointments, and holds no
    word of a departure, a rumour or a candidacy (:func:`enrich.jobs_vetoes.doubt`), is read
    anyway.
    """
    from enrich.jobs_prefilter import sentence_starts
    from enrich.jobs_vetoes import doubt

    bounds = [0, *sentence_starts(text), len(text)]
    out: list[dict] = []
    for a, b in itertools.pairwise(bounds):
        if not _ANNOUNCED.search(text[a:b]) or doubt(text[a:b]):
            continue
        out.extend(list_changes(text, spans, a, b) or [])
    return out


def list_changes(text: str, spans: Sequence[Span], start: int, end: int) -> list[dict] | None:
    """The changes of the list in ``text[start:end]`` (one sentence), or None when it holds
    no list of :data:`MIN_ITEMS` names whose posts open with the same connector."""
    inside = [s for s in spans if start <= s.start < end]
    people = sorted((s for s in inside if s.kind == "PER"), key=lambda s: s.start)
    if len(people) < MIN_ITEMS:
        return None
    items = []
    for k, person in enumerate(people):
        stop = people[k + 1].start if k + 1 < len(people) else end
        raw = text[person.end : stop]
        post = _without_next_name(raw) if k + 1 < len(people) else _last_post(raw)
        if post is None:
            return None
        connector, words = _connector(post)
        items.append((person, connector, words, person.end + raw.find(words) if words else -1))
    # "as your incoming President; B as the new Secretary": one connector, its first word.
    connectors = [c.split()[0] if c else None for _, c, _, _ in items]
    shared = max(set(connectors), key=connectors.count)
    run = [it for it, c in zip(items, connectors, strict=True) if c == shared]
    if shared is None or len(run) < MIN_ITEMS or len(run) < len(items) - 1:
        return None
    header = [s for s in inside if s.kind == "TITLE" and s.end <= people[0].start]
    body = [s for s in inside if s.kind == "ORG" and s.end <= people[0].start]
    out = []
    for person, connector, words, at in run:
        if not words or len(words.split()) > MAX_POST_WORDS:
            continue
        org, title = _post(words, at, inside, connector)
        if title is None and org is not None and len(header) == 1:
            title = header[0].text
        if org is None and title is not None and len(body) == 1:
            org = body[0].text  # "STUDIOS announced promotions: A, Principal; B, ..."
        if org is None and title is None:
            continue
        out.append({"person": person.text, "organization": org, "title": title})
    return out if len(out) >= MIN_ITEMS else None


def gap_to_next_name(gap: str) -> str:
    """``gap``, the text between two names, as its joiner reads: the next name's honorifics
    left out when a comma or a joiner comes before them, a longer joiner of
    ``[name_list_joiners]`` ("ainsi que", "along with") written "and".

    Why: "Mme Nicolas, Mme Savariaud et M. Thomas" lists three names (round 79), but with no
    joiner before it an honorific's word is a middle initial ("Brima M. Sowa", "M." being
    the French honorific), and the gap joins nothing (round 85). One reading serves the
    tagger's grouping of names (``enrich.job_tagger``) and the posts of a list.
    """
    parts = re.sub(r"([,;])(?=\S)", r"\1 ", gap).split(" ")  # "Affairs,Mr B"
    kept = list(parts)
    while kept and (not kept[-1] or kept[-1].casefold() in HONORIFICS):
        kept.pop()
    rest = " ".join(kept)
    folded = f" {rest.casefold()}"
    for joiner in NAME_LIST_JOINERS:
        if folded.endswith(f" {joiner}"):
            rest = f"{rest[: len(rest) - len(joiner)]}and"
            break
    dropped = [w for w in parts[len(kept) :] if w]
    if dropped and not _JOINER.search(rest):
        return gap
    return f"{rest} " if kept else " "


def _without_next_name(raw: str) -> str | None:
    """The post between two names: ``raw`` less the next name's honorifics and the joiner."""
    rest = gap_to_next_name(raw)
    if not _JOINER.search(rest) and rest.strip():
        return None  # another word between the post and the next name: no list
    return _JOINER.sub("", rest.rstrip()).rstrip()


def _last_post(raw: str) -> str:
    """The last item's post: up to the next comma, semicolon or full stop."""
    cut = re.search(r"[;.]|,(?!\d)", raw[1:]) if raw[:1] == "," else re.search(r"[;,.]", raw)
    return raw[: cut.start() + (1 if raw[:1] == "," else 0)] if cut else raw


def _connector(post: str) -> tuple[str | None, str]:
    """The connector that opens ``post`` and the post's words after it."""
    text = post.strip()
    folded = text.casefold()
    for connector in CONNECTORS:
        if folded.startswith(connector) and (
            not connector[-1].isalpha()
            or len(folded) == len(connector)
            or not folded[len(connector)].isalpha()
        ):
            return connector, text[len(connector) :].strip(_EDGES)
    return None, text.strip(_EDGES)


def _post(
    words: str, at: int, inside: Sequence[Span], connector: str | None
) -> tuple[str | None, str | None]:
    """(organisation, title) of one item's post words starting at offset ``at``."""
    end = at + len(words)
    tagged = [s for s in inside if s.kind in {"ORG", "TITLE"} and at <= s.start < end]
    org = next((s.text for s in tagged if s.kind == "ORG"), None)
    title = next((s.text for s in reversed(tagged) if s.kind == "TITLE"), None)
    if org or title:
        return org, title
    keys = [k for k in word_keys(words) if k not in _DET_KEYS]
    if not keys:
        return None, None
    if connector in BODY_CONNECTORS or keys[0] in ORG_HEADS:
        return words, None
    if any(k in TITLE_HEADS for k in keys):
        return title_and_body(words) or (None, words)
    return None, None


def title_and_body(post: str) -> tuple[str, str] | None:
    """``(organisation, title)`` of a post that reads "Title of Body" ("Director-General of
    the National Institute of Archaeology and Museum Studies"): the words before the first
    "of" / "de" hold a title word, and those after it begin with a capital and hold an
    organisation word. A department ("Director of Finance") or a ministry's portfolio
    ("Minister of Finance") has none and stays in the title (round 85)."""
    for m in OF_BODY.finditer(post):
        head, body = post[: m.start()].strip(), post[m.end() :].strip(_EDGES)
        if (
            any(k in TITLE_HEADS for k in word_keys(head))
            and re.match(rf"[{UPPER}]", body)
            and any(k in ORG_HEADS for k in word_keys(body))
        ):
            return body, head
    return None
