"""The word lists of the job rules, read from ``enrich/data/jobs/words.txt``.

Why data: adding a title head, a connector or a lead-in is a one-line change that a reader
can review without the code; ``words.txt`` says the format and which lists are compared
folded (:func:`word_key`) or as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from enrich.sectioned import read_sections
from veille.query import strip_accents

DATA = Path(__file__).resolve().parents[1] / "data" / "jobs"
WORDS = DATA / "words.txt"
#: The capital letters a name may start with, accented Latin ones included ("École", "Île"),
#: as a regular-expression character-class body: ``rf"[{UPPER}]"``.
UPPER = "A-Z\u00c0-\u00dd"

#: The lower-case words a country's, a city's or a body's name holds between its capitalised
#: ones ("Côte d'Ivoire", "Trinidad and Tobago", "Prime Minister of the Solomon Islands").
PLACE_JOINERS = r"de|du|des|d['’]|of|and|et|la|the"


def capitalised_name(
    joiners: str, *, chars: str = r"\w'’.&-", digits: bool = False, linked: bool = False
) -> str:
    """A name of capitalised words as a regular-expression body, with the lower-case
    ``joiners`` (an alternation: ``"de|du|of"``) it may hold between them.

    Why one builder: the readers that take a body, a place or an employer written in the
    text differ only in the joiners they accept and in the name's first character, so each
    says those and nothing else. ``linked``: a joiner must be followed by another
    capitalised word ("Ministry of Health", never a trailing "of"); otherwise capitalised
    words and joiners follow each other freely. ``digits``: a word may start with a digit
    ("3M", "49ers").
    """
    word = rf"[{UPPER}{'0-9' if digits else ''}][{chars}]*"
    if linked:
        return rf"{word}(?:\s+(?:(?:{joiners})\s+)?{word})*"
    return rf"{word}(?:\s+(?:{word}|{joiners}))*"


def place_name(chars: str = r"\w'’.&-") -> str:
    """A country's, a city's or a body's name as a regular-expression body: capitalised
    words linked by :data:`PLACE_JOINERS` ("Côte d'Ivoire", "Trinidad and Tobago")."""
    return capitalised_name(PLACE_JOINERS, chars=chars, linked=True)


def word_key(word: str) -> str:
    """Lower-case, accent-free, inclusive suffixes dropped: ``Directeur·rice`` -> ``directeur``."""
    word = strip_accents(word.strip())
    word = re.split(r"[·•∙⋅.(/]", word, maxsplit=1)[0] if len(word) > 3 else word
    return word.strip("'’-")


def word_keys(text: str) -> list[str]:
    """The words of ``text`` as the word lists hold them (:func:`word_key`, typographic
    apostrophes made plain first): "Ambassadrice d’Israël" -> ``ambassadrice``, ``d'israel``."""
    return [word_key(w) for w in re.findall(r"[\w'-]+", text.replace("’", "'"))]


@lru_cache(maxsize=1)
def sections() -> dict[str, list[str]]:
    """``[name]`` -> its lines (comments and blank lines dropped), from :data:`WORDS`."""
    return {name: [line for _n, line in entries] for name, entries in read_sections(WORDS).items()}


def words(name: str) -> frozenset[str]:
    """The words of list ``name``, as written."""
    return frozenset(w for line in sections()[name] for w in line.split())


#: The lists read through :func:`folded` (``tests/enrich/test_jobs_data.py`` checks that
#: they are written folded, so that the file shows what is compared).
FOLDED_LISTS: set[str] = set()


def folded(name: str) -> frozenset[str]:
    """The words of list ``name`` through :func:`word_key`."""
    FOLDED_LISTS.add(name)
    return frozenset(word_key(w) for w in words(name))


def phrases(name: str) -> list[tuple[str, ...]]:
    """The lines of list ``name`` as word tuples, in file order."""
    return [tuple(line.split()) for line in sections()[name]]


TITLE_HEADS = folded("title_heads_fr") | folded("title_heads_en")
TITLE_MODIFIERS = folded("title_modifiers")
DEPARTMENTS = folded("departments")
ORG_HEADS = folded("org_heads")
NAMED_BODIES = folded("named_bodies")
NATIONALITIES = folded("nationalities")
SENT_STOP_CAPS = folded("sent_stop_caps")
DAYS_MONTHS = folded("days_months")
AWARD_WORDS = folded("award_words")
AWARD_VENUES = folded("award_venues")
FR_WORDS = folded("lang_fr")
EN_WORDS = folded("lang_en")
GOVERNMENT_TITLES = folded("government_titles")
MINISTER_TITLES = folded("minister_titles")
SEAT_TITLES = folded("seat_titles")
SEAT_BODIES = folded("seat_bodies")
CLUB_WORDS = folded("club_words")
BOARD_WORDS = folded("board_words")

HIRE_VERBS = words("hire_verbs")
ANNOUNCE_VERBS = words("announce_verbs")
ORG_PREPS = words("org_preps")
OF_PREPS = words("of_preps")
DETS = words("dets")
NAME_ELISIONS = words("name_elisions")
NAME_ARTICLES = words("name_articles")
ORG_CONNECT = words("org_connect")
TITLE_STOP = words("title_stop")
TITLE_FILLERS = words("title_fillers")
PRONOUNS = words("pronouns")
HONORIFICS = words("honorifics")
#: Longer joiners of a list of names, lower case ("ainsi que", "along with").
NAME_LIST_JOINERS = tuple(" ".join(line) for line in phrases("name_list_joiners"))
NEXT_WORDS = words("next_words")
INTRO_WORDS = words("intro_words")
AUX_WORDS = words("aux_words")
TITLE_INTRO = phrases("title_intro")


def is_award_word(keys: Sequence[str], i: int) -> bool:
    """Whether folded word ``keys[i]`` speaks of a prize ("nommé aux César").

    A venue ([award_venues]) beside a title head is the organisation of a post instead:
    "appointed festival director", "nommé délégué général du festival de Cannes".
    """
    key = keys[i]
    if key not in AWARD_WORDS:
        return False
    if key not in AWARD_VENUES:
        return True
    if i + 1 < len(keys) and keys[i + 1] in TITLE_HEADS:
        return False
    k = i - 1
    while k >= 0 and keys[k] in DETS - OF_PREPS:
        k -= 1  # "of the festival"
    if k < 0 or keys[k] not in OF_PREPS:
        return True
    k -= 1
    if k >= 0 and keys[k] in AWARD_VENUES:
        return is_award_word(keys, k)  # "festival de Cannes": as its festival
    while k >= 0 and keys[k] in TITLE_MODIFIERS - TITLE_HEADS:
        k -= 1  # "délégué général du festival"
    return not (k >= 0 and keys[k] in TITLE_HEADS)
