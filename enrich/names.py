"""Person-name normalisation for record linkage (French and English).

Why a module of its own: the matcher, the author linker and the benchmark
must all reduce "Marie-Hélène DE LA FONTAINE épouse Martin" and "marie helene
fontaine" to the same comparable pieces, otherwise blocking misses true pairs
and comparisons disagree on formatting rather than on identity.

Everything here is pure and deterministic: accents and case are folded,
particles (de, du, le, van, von...) are removed from the comparison key but
kept in the display form, hyphenated and compound surnames are split into
parts, a birth name written inside the name ("née X", "born X", "(X)") is
separated out, nicknames map to canonical first names and initials are
recognised.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

#: Surname particles dropped from comparison keys (kept in display forms).
PARTICLES = frozenset(
    {
        "de",
        "du",
        "des",
        "d",
        "la",
        "le",
        "les",
        "l",
        "van",
        "von",
        "der",
        "den",
        "ter",
        "ten",
        "di",
        "da",
        "del",
        "della",
        "dos",
        "das",
        "do",
        "zu",
        "af",
        "y",
        "st",
        "saint",
        "sainte",
    }
)

#: Markers that introduce a birth (maiden) name inside a surname field.
_BIRTH_MARKERS = re.compile(
    r"\b(?:nee|ne|born|epouse|ep|epse|geb|geboren|maiden name)\b\.?", re.IGNORECASE
)
_PAREN = re.compile(r"\(([^)]*)\)")
_NON_LETTER = re.compile(r"[^a-z\s-]+")
_SPACES = re.compile(r"\s+")

# Nickname groups: every name of a group is equivalent for matching. French
# and English diminutives and spelling variants; a name may sit in several
# groups (Alex -> Alexandre and Alexandra).
_NICKNAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("robert", "bob", "bobby", "rob", "robbie", "bert"),
    ("william", "bill", "billy", "will", "willy", "liam"),
    ("james", "jim", "jimmy", "jamie"),
    ("michael", "mike", "mick", "mickey", "michel", "mika"),
    ("richard", "rick", "dick", "rich", "richie"),
    ("thomas", "tom", "tommy", "thom"),
    ("matthew", "matt", "matthieu", "mathieu", "mat"),
    ("christopher", "chris", "kit", "christophe"),
    ("christine", "chris", "christina", "tina", "kristine"),
    ("christian", "chris"),
    ("katherine", "kate", "katie", "kathy", "catherine", "cathy", "cath", "kathleen", "cat"),
    ("elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "elisabeth", "elise", "babette"),
    ("margaret", "maggie", "meg", "peggy", "marguerite", "margot", "margaux"),
    ("jennifer", "jen", "jenny"),
    ("rebecca", "becky", "becca"),
    ("susan", "sue", "susie", "suzanne", "suzy"),
    ("daniel", "dan", "danny"),
    ("david", "dave", "davy"),
    ("joseph", "joe", "joey", "jo"),
    ("edward", "ed", "eddie", "ted", "edouard"),
    ("anthony", "tony", "antoine"),
    ("andrew", "andy", "drew", "andre"),
    ("nicholas", "nick", "nicolas", "nico"),
    ("alexander", "alex", "alexandre", "sacha", "sasha"),
    ("alexandra", "alex", "sandra", "sandy", "alexandrine"),
    ("benjamin", "ben", "benji"),
    ("benoit", "ben"),
    ("samuel", "sam", "sammy"),
    ("samantha", "sam"),
    ("jonathan", "jon", "johnny", "jonny"),
    ("john", "johnny", "jack", "jean"),
    ("patrick", "pat", "paddy"),
    ("patricia", "pat", "patty", "trish"),
    ("stephen", "steve", "steven", "stephane", "steph", "etienne"),
    ("stephanie", "steph", "fanny"),
    ("frederic", "fred", "freddy", "frederick"),
    ("francois", "franck", "frank", "francis"),
    ("francoise", "fanny", "france"),
    ("emmanuel", "manu"),
    ("emmanuelle", "manue", "manu"),
    ("sebastien", "seb", "sebastian", "bastien"),
    ("maxime", "max"),
    ("maximilien", "max"),
    ("florence", "flo"),
    ("florian", "flo"),
    ("gregoire", "greg", "gregory"),
    ("dominique", "dom"),
    ("isabelle", "isa", "isabel", "isabella", "bella"),
    ("valerie", "val"),
    ("vincent", "vince", "vinny"),
    ("gabriel", "gab", "gabe"),
    ("gabrielle", "gaby", "gabi"),
    ("guillaume", "will"),
    ("philippe", "phil", "philip", "phillip"),
    ("jacques", "jacquot", "jack"),
    ("pierre", "pierrot", "peter", "pete"),
    ("charles", "charlie", "chuck", "charly"),
    ("charlotte", "charlie", "lotte"),
    ("louis", "lou", "lewis"),
    ("louise", "lou", "louisa"),
    ("henri", "henry", "harry", "hank"),
    ("marie", "mary", "maria", "mimi"),
    ("anne", "ann", "anna", "annie", "nancy"),
    ("victoria", "vicky", "victoire"),
    ("olivier", "oliver", "olly", "ollie"),
    ("timothy", "tim", "timothee"),
    ("lawrence", "larry", "laurent"),
    ("laurence", "laura", "lauren"),
    ("albert", "al", "bert"),
    ("helene", "helen", "ellen", "lena"),
    ("caroline", "caro", "carol", "carole"),
    ("nathalie", "natalie", "nat", "natasha"),
    ("amelie", "amelia", "millie"),
    ("virginie", "virginia", "ginny"),
    ("veronique", "veronica", "vero"),
    ("jean-francois", "jf"),
    ("jean-pierre", "jp"),
    ("jean-baptiste", "jb"),
    ("jean-christophe", "jc"),
    ("jean-marc", "jm"),
    ("marie-christine", "mc"),
)


def _build_nicknames() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for i, group in enumerate(_NICKNAME_GROUPS):
        for name in group:
            groups.setdefault(fold(name), set()).add(f"g{i}")
    return {k: frozenset(v) for k, v in groups.items()}


def fold(text: str) -> str:
    """Accent- and case-folded ASCII letters, spaces and hyphens only.

    Apostrophes and dots become spaces so that "d'Artagnan" -> "d artagnan"
    and "J.-P." -> "j -p" (later read as initials).
    """
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ß", "ss").replace("æ", "ae").replace("œ", "oe").replace("ø", "o")
    text = text.replace("Æ", "ae").replace("Œ", "oe").replace("Ø", "o").replace("ł", "l")
    text = text.casefold()
    text = text.replace("'", " ").replace("’", " ").replace(".", " ").replace("_", " ")
    text = _NON_LETTER.sub(" ", text)
    text = re.sub(r"\s*-\s*", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip("- ")
    return _SPACES.sub(" ", text).strip()


_NICKNAMES: dict[str, frozenset[str]] = _build_nicknames()


@lru_cache(maxsize=200_000)
def nickname_groups(first: str) -> frozenset[str]:
    """Nickname-group ids of a first name (empty when unknown).

    Two first names are nickname-equivalent when their groups intersect; the
    first token of a compound first name is also looked up ("Jean-Pierre"
    belongs to the groups of "jean-pierre" and of "jean").
    """
    key = fold(first)
    groups = set(_NICKNAMES.get(key, frozenset()))
    head = re.split(r"[ -]", key)[0] if key else ""
    if head and head != key:
        groups |= _NICKNAMES.get(head, frozenset())
    if key:
        groups.add(f"n:{key.replace(' ', '-')}")
    return frozenset(groups)


def strip_particles(tokens: list[str]) -> list[str]:
    """Drop particles, but never all tokens ("Le" alone stays "le")."""
    kept = [t for t in tokens if t not in PARTICLES]
    return kept or tokens


@dataclass(frozen=True)
class SurnameParts:
    """A surname field split into what matching needs."""

    #: Comparison key: folded, particles removed, parts joined by a space.
    key: str
    #: Individual parts of a hyphenated/compound surname (no particles).
    parts: tuple[str, ...]
    #: Birth name found inside the field ("Dupont née Martin" -> "martin").
    birth_name: str = ""
    #: Every key this surname may appear under elsewhere (full, parts, birth name).
    aliases: tuple[str, ...] = field(default=())


@lru_cache(maxsize=500_000)
def parse_surname(raw: str) -> SurnameParts:
    """Split a surname field into key, parts and embedded birth name.

    "Dupont-Martin" -> key "dupont martin", parts (dupont, martin);
    "de La Fontaine" -> key "fontaine"; "Durand née Petit" and
    "Durand (Petit)" -> key "durand", birth_name "petit".
    """
    text = raw or ""
    birth = ""
    m = _PAREN.search(text)
    if m:
        birth = m.group(1)
        text = _PAREN.sub(" ", text)
    folded = fold(text)
    bm = _BIRTH_MARKERS.search(folded)
    if bm:
        birth = birth or folded[bm.end() :]
        folded = folded[: bm.start()]
    birth_key = " ".join(strip_particles(fold(birth).replace("-", " ").split()))
    tokens = strip_particles(folded.replace("-", " ").split())
    key = " ".join(tokens)
    aliases = [key] if key else []
    if len(tokens) > 1:
        aliases.extend(t for t in tokens if len(t) > 1)
    if birth_key:
        aliases.append(birth_key)
    return SurnameParts(
        key=key,
        parts=tuple(tokens),
        birth_name=birth_key,
        aliases=tuple(dict.fromkeys(a for a in aliases if a)),
    )


@lru_cache(maxsize=500_000)
def first_name_key(raw: str) -> str:
    """Folded first name, hyphens and spaces unified to one space."""
    return fold(raw).replace("-", " ")


def initials(raw: str) -> str:
    """Initials of a (possibly compound) first name: "Jean-Pierre" -> "jp"."""
    return "".join(t[0] for t in fold(raw).replace("-", " ").split() if t)


def is_initials(raw: str) -> bool:
    """True when a first name is only initials ("J.", "J.-P.", "JP" in capitals)."""
    stripped = (raw or "").strip()
    if not stripped:
        return False
    if re.fullmatch(r"(?:[^\W\d_]\s*[.\-]?\s*){1,3}", stripped) and (
        "." in stripped or len(fold(stripped).replace(" ", "").replace("-", "")) == 1
    ):
        return True
    letters = fold(stripped).replace(" ", "").replace("-", "")
    return len(letters) <= 3 and stripped.isupper() and letters.isalpha() and len(letters) > 0


def split_full_name(full: str) -> tuple[str, str]:
    """Best-effort (first, last) from one display name.

    Handles "Last, First", all-capital surnames ("Jean DUPONT", "DUPONT
    Jean") and particles that start the surname ("Anne de la Tour").
    """
    full = _SPACES.sub(" ", (full or "").strip())
    if not full:
        return "", ""
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    tokens = full.split(" ")
    if len(tokens) == 1:
        return "", tokens[0]
    caps = [i for i, t in enumerate(tokens) if len(t) > 1 and t.isupper() and t.isalpha()]
    if caps and len(caps) < len(tokens):
        if caps[0] == 0:
            n = len(caps) if caps == list(range(len(caps))) else 1
            return " ".join(tokens[n:]), " ".join(tokens[:n])
        start = caps[0]
        return " ".join(tokens[:start]), " ".join(tokens[start:])
    for i in range(1, len(tokens) - 1):
        if fold(tokens[i]) in PARTICLES:
            return " ".join(tokens[:i]), " ".join(tokens[i:])
    return " ".join(tokens[:-1]), tokens[-1]
