"""Name normalisation: examples from French and English registers, and properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from enrich import names

LETTERS = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzéèêëàâäîïôöùûüçñ"), min_size=2, max_size=12
)


def test_accents_case_particles_and_compounds() -> None:
    assert names.fold("  Hélène  DUPONT-Lévêque ") == "helene dupont-leveque"
    assert names.parse_surname("de La Fontaine").key == "fontaine"
    assert names.parse_surname("Van der Berg").key == "berg"
    p = names.parse_surname("Dupont-Martin")
    assert p.key == "dupont martin"
    assert set(p.aliases) >= {"dupont", "martin", "dupont martin"}
    assert names.parse_surname("d'Almeida").key == "almeida"


def test_birth_names_in_the_surname_field() -> None:
    for raw in ("Durand née Petit", "Durand (Petit)", "DURAND épouse PETIT", "Durand born Petit"):
        p = names.parse_surname(raw)
        assert p.key == "durand", raw
        assert p.birth_name == "petit", raw
        assert "petit" in p.aliases


def test_nicknames_and_initials() -> None:
    assert names.nickname_groups("Bob") & names.nickname_groups("Robert")
    assert names.nickname_groups("Manu") & names.nickname_groups("Emmanuel")
    assert names.nickname_groups("Jean-Pierre") & names.nickname_groups("JP")
    assert not (
        names.nickname_groups("Marie") - {"n:marie"} & names.nickname_groups("Paul") - {"n:paul"}
    )
    assert names.initials("Jean-Pierre") == "jp"
    assert names.is_initials("J.")
    assert names.is_initials("J.-P.")
    assert not names.is_initials("Jean")


def test_split_full_name() -> None:
    assert names.split_full_name("Jean DUPONT") == ("Jean", "DUPONT")
    assert names.split_full_name("DUPONT Jean") == ("Jean", "DUPONT")
    assert names.split_full_name("Dupont, Jean") == ("Jean", "Dupont")
    assert names.split_full_name("Anne de la Tour") == ("Anne", "de la Tour")
    assert names.split_full_name("Marie Curie") == ("Marie", "Curie")


@given(st.text(max_size=40))
def test_fold_is_idempotent_and_ascii(text: str) -> None:
    once = names.fold(text)
    assert names.fold(once) == once
    assert all(c.isascii() and (c.isalpha() or c in " -") for c in once)
    assert once == once.strip()


@given(st.text(max_size=30))
def test_fold_ignores_case_and_accents(text: str) -> None:
    import unicodedata

    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    assert names.fold(text.upper()) == names.fold(text)
    assert names.fold(stripped) == names.fold(text)


@given(LETTERS, st.sampled_from(["de", "du", "le", "van", "von", "de la", "van der"]))
def test_particles_do_not_change_the_key(surname: str, particle: str) -> None:
    if names.fold(surname) in names.PARTICLES or not names.parse_surname(surname).key:
        return  # the "surname" is itself a particle or a marker ("né", "ép"): no key to keep
    assert names.parse_surname(f"{particle} {surname}").key == names.parse_surname(surname).key


@given(LETTERS, LETTERS)
def test_hyphen_and_space_compounds_are_equal(a: str, b: str) -> None:
    hyph = names.parse_surname(f"{a}-{b}")
    spaced = names.parse_surname(f"{a} {b}")
    assert hyph.key == spaced.key
    for part in hyph.parts:
        assert part in hyph.aliases or len(part) <= 1


@given(LETTERS)
def test_first_name_key_is_stable(first: str) -> None:
    key = names.first_name_key(first)
    assert names.first_name_key(key) == key
    assert names.first_name_key(first.upper()) == key
