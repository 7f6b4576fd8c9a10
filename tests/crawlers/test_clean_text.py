"""Stored text is composed (NFC): a feed's decomposed accents read as everyone else's."""

from __future__ import annotations

import unicodedata

from crawlers.normalise import clean_text


def test_decomposed_accents_are_composed() -> None:
    assert clean_text("La cre\u0301ation comme re\u0301sistance") == "La création comme résistance"


def test_ascii_and_composed_text_are_unchanged() -> None:
    for text in ("plain ascii", "déjà composé", "Zürich · 12\u00a0%"):
        assert clean_text(text) == text == unicodedata.normalize("NFC", text)
