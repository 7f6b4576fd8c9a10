"""How a suggestion's facts were found reads as words, never as pipeline identifiers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawlers.orcid import METHOD as ORCID
from crawlers.profiles import METHOD as PROFILE
from enrich.jobs import METHOD as JOBS_METHOD
from veille.i18n import set_locale
from web.render import method_label


@pytest.fixture(autouse=True)
def _french() -> Iterator[None]:
    set_locale("fr")
    yield
    set_locale("fr")


def test_the_methods_the_crawlers_record_read_as_words() -> None:
    assert method_label(f"appointment_feed/{JOBS_METHOD}") == (
        "flux de nominations · lecture du texte (règles et modèle)"
    )
    assert method_label(PROFILE) == "page de profil publique"
    assert method_label(ORCID) == "ORCID"


def test_an_unknown_method_never_shows_its_identifier() -> None:
    assert method_label("some_new_reader/v2") == "lecture automatique"
    set_locale("en")
    assert method_label(f"appointment_feed/{JOBS_METHOD}") == (
        "appointments feed · reading of the text (rules and model)"
    )
