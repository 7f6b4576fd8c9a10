"""The query language: parsing, accent/elision-insensitive matching, native forms."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veille.query import QuerySyntaxError, fold, parse, search_terms, to_reddit, to_twitter


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("universite", "J'adore l'Université !", True),
        ('"université exemple"', "Bravo à l'Université Exemple", True),
        ('"universite exemple"', "Exemple d'université", False),
        ("ecole AND paris", "L'École est à Paris", True),
        ("ecole paris", "L'École est à Lyon", False),
        ("ecole OR fac", "la fac ferme", True),
        ("exemple NOT recrutement", "Exemple : recrutement ouvert", False),
        ("exemple -recrutement", "Exemple : journée portes ouvertes", True),
        ("univ* NEAR/2 exemple", "l'université de la ville exemple", False),
        ("univ* NEAR/3 exemple", "l'université de la ville exemple", True),
        ("exemple NEAR/1 univ*", "exemple, université", True),
        ("(grève OR blocage) AND campus", "Blocage du campus ce matin", True),
        ("#UnivEx", "Super journée #univex", True),
        ("@univ_exemple", "merci @Univ_Exemple", True),
        ("Paris-Saclay", "université Paris Saclay", True),
        ("Paris-Saclay", "Saclay et Paris", False),
        ("cœur", "le coeur du campus", True),
    ],
)
def test_matches(query: str, text: str, expected: bool) -> None:
    assert parse(query).matches(text) is expected


@pytest.mark.parametrize("bad", ["", "(a OR b", "a OR", "NOT a", "a )", '""', "a NEAR/2", "AND"])
def test_syntax_errors_are_clear(bad: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse(bad)


def test_near_refuses_boolean_operands() -> None:
    with pytest.raises(QuerySyntaxError, match="NEAR"):
        parse("(a AND b) NEAR/2 c")
    assert parse("(a OR b) NEAR/1 c").matches("b c")


def test_native_forms() -> None:
    q = parse('"Université Exemple" OR (univex AND NOT recrutement)')
    assert to_twitter(q) == '"universite exemple" OR (univex -recrutement) -is:retweet'
    assert to_reddit(q) == '"universite exemple" OR (univex AND NOT recrutement)'
    assert search_terms(q) == ['"universite exemple"', "univex"]


words = st.text(alphabet="abcdéèêàçôïuœ", min_size=1, max_size=8)


@given(word=words, before=st.lists(words, max_size=5), after=st.lists(words, max_size=5))
def test_a_word_is_found_whatever_its_case_and_accents(word, before, after) -> None:
    text = " ".join([*before, word.upper(), *after])
    assert parse(word).matches(text)
    assert parse(f'"{word}"').matches(fold(text))


@given(a=words, b=words, gap=st.integers(0, 6), n=st.integers(0, 6))
def test_near_distance(a, b, gap, n) -> None:
    filler = ["zz"] * gap
    text = " ".join([a, *filler, b])
    if fold(a) == fold(b) or set(map(fold, (a, b))) & {"zz"}:
        return
    q = parse(f"{a} NEAR/{n} {b}")
    assert q.matches(text) is (gap <= n)


@pytest.mark.parametrize(
    ("query", "limit"),
    [
        ("(" * 400 + "univ" + ")" * 400, "nests more than 32 levels"),
        ("univ " + "NOT " * 400 + "x", "nests more than 32 levels"),
        (" NEAR/1 ".join(["a"] * 200), "nests more than 32 levels"),
        ("a" * 2001, "at most 2000"),
        (" ".join(["w"] * 301), "at most 300"),
        ("univ\x00exemple", "control character U\\+0000 at position 4"),
        ("univ\x1bexemple", "control character"),
    ],
)
def test_query_size_and_depth_are_bounded(query: str, limit: str) -> None:
    """400 nested parentheses used to raise RecursionError (a 500 in the web UI)."""
    with pytest.raises(QuerySyntaxError, match=limit) as caught:
        parse(query)
    assert caught.value.fr and caught.value.fr.startswith("Requête invalide : ")


def test_queries_within_the_bounds_still_parse() -> None:
    deep = "(" * 32 + "univ" + ")" * 32
    assert parse(deep).matches("l'université") is False
    assert parse(deep.replace("univ", "universite")).matches("l'Université")
    assert parse(" OR ".join(["w"] * 300)).matches("w")
    assert parse("a\tb\nc").matches("a b c")  # tabs and line breaks are blanks, not controls


@given(st.text(alphabet='()"ab NOTRAD/1-*', max_size=300))
def test_any_string_parses_or_is_a_query_error(text: str) -> None:
    with contextlib.suppress(QuerySyntaxError):
        parse(text)
