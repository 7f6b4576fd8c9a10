"""veille's one query language: parsed once, used by every source and report.

Syntax (case-insensitive operators)::

    "Université Exemple" OR UnivEx OR (univ* NEAR/3 exemple) AND NOT recrutement

- terms (``univ*`` is a prefix), ``"quoted phrases"``, ``#hashtags``, ``@handles``
- ``AND`` (also implicit between juxtaposed terms), ``OR``, ``NOT``, parentheses
- ``a NEAR/n b``: both within *n* words of each other, in either order

Queries come from users (the brand-report form, the CLI, ``veille.toml``),
so they are bounded: at most :data:`MAX_QUERY_LENGTH` characters,
:data:`MAX_TERMS` terms and :data:`MAX_DEPTH` levels of nesting
(parentheses, ``NOT``, ``NEAR``), no control characters. Anything beyond is
a :class:`QuerySyntaxError` that says which limit, never a crash.

Matching ignores case, accents and French elisions, so ``l'Université``
matches ``universite`` and ``École`` matches ``ecole``. The same parsed
:class:`Query` gives each platform its native query (:func:`to_twitter`,
:func:`to_reddit`, :func:`search_terms`) and filters results locally
(:meth:`Query.matches`) so that every source applies exactly the same rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from veille.errors import VeilleError


class QuerySyntaxError(VeilleError):
    """The query cannot be parsed; the message points at the problem (``fr``: in French)."""

    exit_code = 2

    def __init__(self, message: str, fr: str | None = None) -> None:
        super().__init__(message)
        self.fr = "Requête invalide : " + (fr or message)


#: Longest accepted query, in characters.
MAX_QUERY_LENGTH = 2000
#: Deepest accepted nesting of parentheses, NOT and NEAR.
MAX_DEPTH = 32
#: Most words and phrases in one query.
MAX_TERMS = 300
_QUERY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# ---------------------------------------------------------------------------
# Text normalisation (shared by queries and documents)
# ---------------------------------------------------------------------------

# French elided articles/pronouns: l'université, d'HEC, qu'il, jusqu'à...
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’ʼ]", re.IGNORECASE)
_WORD = re.compile(r"\w+")


class _MarkFreeChars(dict[int, str]):
    """``str.translate`` table: each character's NFKD form without combining marks.

    Filled lazily, one entry per distinct character ever seen; decomposing
    character by character gives the same result as decomposing the whole
    text (decomposition never spans characters, and the marks that canonical
    reordering would move are dropped anyway), at C speed for known characters.
    """

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        self[code] = folded
        return folded


_MARK_FREE = _MarkFreeChars()


def strip_accents(text: str) -> str:
    """Case- and accent-folded text (``"HÉLÈNE"`` -> ``"helene"``): NFKD, marks dropped.

    The one accent folding of veille: queries, opt-out hashes, erasure scrubbing
    and CSV headers all compare text in this form. Crawls fold every page, hence
    the ASCII shortcut and the translation table.
    """
    if text.isascii():
        return text.casefold()
    return text.translate(_MARK_FREE).casefold()


def fold(text: str) -> str:
    """Lower-case, strip accents and elisions: the form both sides are compared in."""
    return strip_accents(_ELISION.sub(" ", text)).replace("œ", "oe").replace("æ", "ae")


def tokenize(text: str) -> list[str]:
    """Folded word tokens (``#Tag`` -> ``tag``, ``@user_x`` -> ``user_x``)."""
    return _WORD.findall(fold(text))


def words(text: str) -> list[tuple[str, str]]:
    """Each word as ``(folded, as written in lower case)``: compare folded, show written.

    ``"Hausse des inscriptions à l'Université"`` gives ``("universite", "université")``
    among others, so a term counted in folded form can still be shown with its accents.
    """
    return [(fold(w), w) for w in _WORD.findall(_ELISION.sub(" ", text).lower())]


@dataclass(frozen=True)
class Document:
    """A tokenised text with the positions of each token, for fast evaluation."""

    tokens: tuple[str, ...]
    positions: dict[str, tuple[int, ...]]

    @classmethod
    def of(cls, text: str) -> Document:
        tokens = tuple(tokenize(text))
        index: dict[str, list[int]] = {}
        for i, tok in enumerate(tokens):
            index.setdefault(tok, []).append(i)
        return cls(tokens, {k: tuple(v) for k, v in index.items()})


# ---------------------------------------------------------------------------
# Syntax tree
# ---------------------------------------------------------------------------

Span = tuple[int, int]  # [start, end) token positions of one occurrence


class Node:
    def spans(self, doc: Document) -> list[Span]:
        """Occurrences of this node in ``doc`` (only for positional nodes)."""
        raise QuerySyntaxError(
            f"{self} cannot be used inside NEAR", "ce terme ne peut pas être utilisé dans NEAR"
        )

    def matches(self, doc: Document) -> bool:
        return bool(self.spans(doc))


@dataclass(frozen=True)
class Term(Node):
    """One word; ``prefix`` when written with a trailing ``*``."""

    word: str
    prefix: bool = False

    def spans(self, doc: Document) -> list[Span]:
        if not self.prefix:
            return [(p, p + 1) for p in doc.positions.get(self.word, ())]
        return [
            (p, p + 1) for tok, ps in doc.positions.items() if tok.startswith(self.word) for p in ps
        ]

    def __str__(self) -> str:
        return self.word + ("*" if self.prefix else "")


@dataclass(frozen=True)
class Phrase(Node):
    """Consecutive words, as written between quotes."""

    words: tuple[str, ...]

    def spans(self, doc: Document) -> list[Span]:
        n = len(self.words)
        first = doc.positions.get(self.words[0], ())
        return [(p, p + n) for p in first if doc.tokens[p : p + n] == self.words]

    def __str__(self) -> str:
        return '"' + " ".join(self.words) + '"'


@dataclass(frozen=True)
class Near(Node):
    left: Node
    right: Node
    distance: int

    def spans(self, doc: Document) -> list[Span]:
        out: list[Span] = []
        rights = self.right.spans(doc)
        for ls, le in self.left.spans(doc):
            for rs, re_ in rights:
                gap = rs - le if rs >= le else ls - re_
                if gap <= self.distance and (rs >= le or ls >= re_):
                    out.append((min(ls, rs), max(le, re_)))
        return out

    def __str__(self) -> str:
        return f"({self.left} NEAR/{self.distance} {self.right})"


@dataclass(frozen=True)
class And(Node):
    parts: tuple[Node, ...]

    def matches(self, doc: Document) -> bool:
        return all(p.matches(doc) for p in self.parts)

    def __str__(self) -> str:
        return "(" + " AND ".join(map(str, self.parts)) + ")"


@dataclass(frozen=True)
class Or(Node):
    parts: tuple[Node, ...]

    def spans(self, doc: Document) -> list[Span]:
        return sorted({s for p in self.parts for s in p.spans(doc)})

    def matches(self, doc: Document) -> bool:
        return any(p.matches(doc) for p in self.parts)

    def __str__(self) -> str:
        return "(" + " OR ".join(map(str, self.parts)) + ")"


@dataclass(frozen=True)
class Not(Node):
    part: Node

    def matches(self, doc: Document) -> bool:
        return not self.part.matches(doc)

    def __str__(self) -> str:
        return f"NOT {self.part}"


# ---------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        "(?P<phrase>[^"]*)" |
        (?P<near>NEAR/(?P<dist>\d+))(?=\s|\(|"|$) |
        (?P<op>AND|OR|NOT)(?=\s|\(|"|$) |
        (?P<dash>-)(?=[^\s)]) |
        (?P<word>[^\s()"]+)
    )""",
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: str
    pos: int


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QuerySyntaxError(
                f"unexpected character at position {pos}: {text[pos : pos + 20]!r}",
                f"caractère inattendu à la position {pos}",
            )
        if m.group("lparen"):
            toks.append(_Tok("(", "(", m.start("lparen")))
        elif m.group("rparen"):
            toks.append(_Tok(")", ")", m.start("rparen")))
        elif m.group("phrase") is not None:
            toks.append(_Tok("phrase", m.group("phrase"), m.start("phrase")))
        elif m.group("near"):
            toks.append(_Tok("near", m.group("dist"), m.start("near")))
        elif m.group("op"):
            toks.append(_Tok(m.group("op").upper(), m.group("op"), m.start("op")))
        elif m.group("dash"):
            toks.append(_Tok("NOT", "-", m.start("dash")))
        else:
            toks.append(_Tok("word", m.group("word"), m.start("word")))
        pos = m.end()
    return toks


def _check_bounds(text: str) -> None:
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"the query is {len(text)} characters long; at most {MAX_QUERY_LENGTH}",
            f"la requête fait {len(text)} caractères ; {MAX_QUERY_LENGTH} au plus",
        )
    bad = _QUERY_CONTROL.search(text)
    if bad:
        raise QuerySyntaxError(
            f"control character U+{ord(bad.group()):04X} at position {bad.start()}",
            f"caractère de contrôle U+{ord(bad.group()):04X} à la position {bad.start()}",
        )


class _Parser:
    def __init__(self, text: str) -> None:
        _check_bounds(text)
        self.text = text
        self.toks = _lex(text)
        self.i = 0
        self.depth = 0
        terms = sum(t.kind in ("word", "phrase") for t in self.toks)
        if terms > MAX_TERMS:
            raise QuerySyntaxError(
                f"the query has {terms} terms; at most {MAX_TERMS}",
                f"la requête compte {terms} termes ; {MAX_TERMS} au plus",
            )

    def enter(self, tok: _Tok) -> None:
        """One more level of nesting; refused beyond :data:`MAX_DEPTH`."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(
                f"the query nests more than {MAX_DEPTH} levels deep (parentheses, NOT, NEAR) "
                f"at position {tok.pos}; simplify it",
                f"la requête imbrique plus de {MAX_DEPTH} niveaux (parenthèses, NOT, NEAR) "
                f"à la position {tok.pos} ; simplifiez-la",
            )

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.toks:
            raise QuerySyntaxError("empty query", "la requête est vide")
        node = self.or_expr()
        if self.peek() is not None:
            tok = self.take()
            raise QuerySyntaxError(
                f"unexpected {tok.value!r} at position {tok.pos}",
                f"« {tok.value} » inattendu à la position {tok.pos}",
            )
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", ")"):
            if tok.kind == "AND":
                self.take()
            parts.append(self.not_expr())
        if all(isinstance(p, Not) for p in parts):
            raise QuerySyntaxError(
                "a query cannot be only NOT terms: say what to look for",
                "une requête ne peut pas contenir que des NOT : dites ce qu'il faut chercher",
            )
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_expr(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "NOT":
            self.take()
            self.enter(tok)
            node = Not(self.not_expr())
            self.depth -= 1
            return node
        return self.near_expr()

    def near_expr(self) -> Node:
        node = self.primary()
        depth = self.depth
        while (tok := self.peek()) is not None and tok.kind == "near":
            self.take()
            self.enter(tok)  # a NEAR chain nests to the left
            right = self.primary()
            for operand in (node, right):
                if not _positional(operand):
                    raise QuerySyntaxError(
                        f"NEAR at position {tok.pos} needs words, phrases or OR-groups "
                        f"on both sides, not {operand}",
                        f"NEAR (position {tok.pos}) demande des mots, des expressions ou des "
                        "groupes OR de chaque côté",
                    )
            node = Near(node, right, int(tok.value))
        self.depth = depth
        return node

    def primary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise QuerySyntaxError(
                "query ends where a term was expected",
                "la requête s'arrête là où un terme était attendu",
            )
        if tok.kind == "(":
            self.take()
            self.enter(tok)
            node = self.or_expr()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QuerySyntaxError(
                    f"parenthesis opened at position {tok.pos} is not closed",
                    f"la parenthèse ouverte à la position {tok.pos} n'est pas fermée",
                )
            self.take()
            self.depth -= 1
            return node
        if tok.kind == "phrase":
            self.take()
            return _leaf(tokenize(tok.value), tok)
        if tok.kind == "word":
            self.take()
            prefix = tok.value.endswith("*")
            words = tokenize(tok.value.rstrip("*"))
            if prefix and len(words) == 1:
                return Term(words[0], prefix=True)
            return _leaf(words, tok)
        raise QuerySyntaxError(
            f"unexpected {tok.value!r} at position {tok.pos}",
            f"« {tok.value} » inattendu à la position {tok.pos}",
        )


def _positional(node: Node) -> bool:
    if isinstance(node, Term | Phrase | Near):
        return True
    return isinstance(node, Or) and all(_positional(p) for p in node.parts)


def _leaf(words: Sequence[str], tok: _Tok) -> Node:
    if not words:
        raise QuerySyntaxError(
            f"nothing to search for in {tok.value!r} at position {tok.pos}",
            f"rien à chercher dans « {tok.value} » à la position {tok.pos}",
        )
    return Term(words[0]) if len(words) == 1 else Phrase(tuple(words))


@dataclass(frozen=True)
class Query:
    """A parsed query; build with :func:`parse`."""

    text: str
    root: Node

    def matches(self, text: str) -> bool:
        return self.root.matches(Document.of(text))

    def matches_document(self, doc: Document) -> bool:
        return self.root.matches(doc)

    def __str__(self) -> str:
        return str(self.root)


@lru_cache(maxsize=256)
def parse(text: str) -> Query:
    """Parse once; raises :class:`QuerySyntaxError` with the position of the problem."""
    return Query(text, _Parser(text).parse())


# ---------------------------------------------------------------------------
# Native queries
# ---------------------------------------------------------------------------


def positive_leaves(node: Node) -> list[Node]:
    """Terms and phrases that can make a document match (not under NOT)."""
    if isinstance(node, Term | Phrase):
        return [node]
    if isinstance(node, Near):
        return positive_leaves(node.left) + positive_leaves(node.right)
    if isinstance(node, And | Or):
        return [leaf for p in node.parts for leaf in positive_leaves(p)]
    return []


def search_terms(query: Query) -> list[str]:
    """Simple search strings for platforms without boolean search (Mastodon, Bluesky).

    Each is searched separately; the local filter then applies the full query.
    For an AND at the top, the rarest-looking (longest) leaf of each OR branch
    is enough to find candidates.
    """
    root = query.root
    branches = root.parts if isinstance(root, Or) else (root,)
    out: list[str] = []
    for branch in branches:
        leaves = positive_leaves(branch)
        if not leaves:
            continue
        best = max(leaves, key=lambda n: len(str(n)))
        term = str(best).rstrip("*")
        if term not in out:
            out.append(term)
    return out


def _boolean(node: Node, *, neg: str, and_: str, near_as_and: bool = True) -> str:
    if isinstance(node, Term):
        return str(node)
    if isinstance(node, Phrase):
        return str(node)
    if isinstance(node, Near):
        left = _boolean(node.left, neg=neg, and_=and_)
        right = _boolean(node.right, neg=neg, and_=and_)
        return f"({left}{and_}{right})"
    if isinstance(node, And):
        return "(" + and_.join(_boolean(p, neg=neg, and_=and_) for p in node.parts) + ")"
    if isinstance(node, Or):
        return "(" + " OR ".join(_boolean(p, neg=neg, and_=and_) for p in node.parts) + ")"
    if isinstance(node, Not):
        return f"{neg}{_boolean(node.part, neg=neg, and_=and_)}"
    raise TypeError(node)  # pragma: no cover


def _strip_outer(s: str) -> str:
    if s.startswith("(") and s.endswith(")"):
        depth = 0
        for i, c in enumerate(s):
            depth += c == "("
            depth -= c == ")"
            if depth == 0 and i < len(s) - 1:
                return s
        return s[1:-1]
    return s


def to_twitter(query: Query, *, extra: str = "-is:retweet") -> str:
    """X/Twitter v2 search syntax: space = AND, ``-`` = NOT, NEAR becomes AND.

    Prefix wildcards do not exist there, so ``univ*`` is searched as ``univ``
    and the local filter does the rest.
    """
    native = _strip_outer(_boolean(query.root, neg="-", and_=" ")).replace("*", "")
    return f"{native} {extra}".strip()


def to_reddit(query: Query) -> str:
    """Reddit (Lucene-like) search syntax: AND / OR / NOT, quotes."""
    return _strip_outer(_boolean(query.root, neg="NOT ", and_=" AND ")).replace("*", "")
