"""Token tests shared by the slot readers: capitalised, punctuation, title word.

Why: "looks like a name" and "is a title word" are the two judgements every reader makes;
one definition keeps the person, title and organisation readers consistent.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

from enrich.jobs.lexicon import ORG_CONNECT, TITLE_HEADS, TITLE_MODIFIERS, word_key

if TYPE_CHECKING:
    from spacy.tokens import Token


def is_cap(tok: Token) -> bool:
    text: str = tok.text.lstrip("-")
    return bool(text) and (
        text[0].isupper() or (text[0].isdigit() and any(c.isupper() for c in text))
    )


def is_punct(tok: Token) -> bool:
    return bool(tok.is_punct) and tok.text not in {"-", "&", "'", "’", "·"}


def strip_span(tokens: list[Token], drop: AbstractSet[str]) -> list[Token]:
    while tokens and (tokens[0].lower_ in drop or is_punct(tokens[0])):
        tokens = tokens[1:]
    while tokens and (tokens[-1].lower_ in ORG_CONNECT | drop or is_punct(tokens[-1])):
        tokens = tokens[:-1]
    return tokens


def looks_title_start(tok: Token) -> bool:
    k = word_key(tok.text)
    if k in TITLE_HEADS or k in TITLE_MODIFIERS or k.split("-")[0] in TITLE_HEADS:
        return True
    # "promoted to Academic Dean": a capitalised qualifier right before a head word
    doc = tok.doc
    return is_cap(tok) and any(is_title_word(t) for t in doc[tok.i + 1 : tok.i + 3])


def is_title_word(tok: Token) -> bool:
    k = word_key(tok.text)
    return k in TITLE_HEADS or any(p in TITLE_HEADS for p in k.split("-"))
