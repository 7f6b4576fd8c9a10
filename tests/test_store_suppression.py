from __future__ import annotations

from store.db import session_scope
from store.suppression import OptOutFilter, add, keyed_hash, normalise

KEY = b"k" * 32


def test_normalise_handles_case_accents_and_at() -> None:
    assert normalise("handle", "@Jean_Dupont") == "jean_dupont"
    assert normalise("name", " Hélène  Durand-Petit ") == "helene durand petit"
    assert normalise("url", "https://www.x.org/in/a/") == "x.org/in/a"


def test_hash_is_keyed() -> None:
    assert keyed_hash("handle", "a", KEY) != keyed_hash("handle", "a", b"other")


def test_filter_blocks_opted_out_identifiers(db_url: str) -> None:
    with session_scope(db_url) as s:
        assert add(s, "handle", ["@Jean_Dupont"], KEY, reason="opt-out") == 1
        assert add(s, "handle", ["jean_dupont"], KEY) == 0  # same person, same hash
        add(s, "name", ["Hélène Durand"], KEY)
    with session_scope(db_url) as s:
        f = OptOutFilter.load(s, KEY)
    assert f.blocks(handle="JEAN_DUPONT")
    assert f.blocks(name="helene durand")
    assert not f.blocks(handle="someone_else", name="Paul Martin")
