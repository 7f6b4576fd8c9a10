"""Pseudonymised authors by default; handles only for alumni and public accounts."""

from __future__ import annotations

from datetime import UTC, datetime

from store.models import Mention
from tests.conftest import make_settings
from veille.privacy import display_author, processing_register


def _mention(handle: str, platform: str = "twitter", key: str = "3f2a9c" + "0" * 58) -> Mention:
    return Mention(
        platform=platform,
        platform_id="1",
        author_handle=handle,
        author_name="Jean Public",
        author_key=key,
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_unknown_author_gets_a_stable_pseudonym() -> None:
    settings = make_settings()
    shown = display_author(_mention("jean_dupont"), settings, is_alumnus=False)
    assert shown == "auteur·rice #3f2a9c"
    assert "jean" not in shown.lower()
    # no key stored (a row not written by a crawler): the same keyed hash, derived here
    derived = display_author(_mention("", key=""), settings, is_alumnus=False)
    assert derived.startswith("auteur·rice #") and "jean" not in derived.lower()
    nobody = _mention("", key="")
    nobody.author_name = ""
    assert display_author(nobody, settings, is_alumnus=False) == "auteur·rice anonyme"


def test_alumni_allow_listed_and_institution_accounts_are_shown() -> None:
    settings = make_settings(
        privacy={"allow_listed_handles": ["@LeMonde", "mastodon:presse@m.example"]}
    )
    assert display_author(_mention("jean_dupont"), settings, is_alumnus=True) == "jean_dupont"
    assert display_author(_mention("lemonde"), settings, is_alumnus=False) == "lemonde"
    assert (
        display_author(_mention("presse@m.example", "mastodon"), settings, is_alumnus=False)
        == "presse@m.example"
    )
    # allow-listed on mastodon only, not the same account elsewhere
    assert display_author(_mention("presse@m.example"), settings, is_alumnus=False).startswith(
        "auteur·rice"
    )
    # the institution's own account (institution.handles in the settings)
    assert display_author(_mention("Univ_Exemple"), settings, is_alumnus=False) == "Univ_Exemple"


def test_pseudonymisation_can_be_turned_off() -> None:
    settings = make_settings(privacy={"pseudonymize_authors": False})
    assert display_author(_mention("jean_dupont"), settings, is_alumnus=False) == "jean_dupont"


def test_register_states_disabled_pseudonymisation() -> None:
    text = processing_register(make_settings(privacy={"pseudonymize_authors": False}))
    assert "DÉSACTIVÉE" in text and "art. 30" in text
