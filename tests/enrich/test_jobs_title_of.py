"""A title that runs on into the country, state or acronym body it serves (round 76)."""

from __future__ import annotations

import pytest

from enrich.jobs.title_of import body_after_title, government_head
from tests.enrich.spent_parts import spent_row


@pytest.mark.parametrize(
    ("title", "cut"),
    [
        ("President of France", ("President", "France")),
        (
            "président de la République islamique d'Iran",
            ("président", "République islamique d'Iran"),
        ),
        ("Président de la Côte d’Ivoire", ("Président", "Côte d’Ivoire")),
        ("President of the Republic of Ghana", ("President", "Republic of Ghana")),
        ("Executive Director of PMA", ("Executive Director", "PMA")),
        (
            "conseiller pour la sécurité nationale de l’Arabie saoudite",
            ("conseiller pour la sécurité nationale", "Arabie saoudite"),
        ),
        # departments, portfolios and bodies that name no country stay in the title
        ("Director of HR", None),
        ("Head of Marketing", None),
        ("Secretary of State", None),
        ("Chief of Staff", None),
        ("Vice Chair of the Transition Board", None),
        ("premier ministre de la République", None),
    ],
)
def test_a_title_is_cut_only_before_a_country_a_state_or_an_acronym(
    title: str, cut: tuple[str, str] | None
) -> None:
    assert body_after_title(title) == cut


def test_a_head_of_government_is_not_a_portfolio() -> None:
    assert government_head("premier ministre") and government_head("Deputy Prime Minister")
    assert government_head("vice-premier ministre")
    assert not government_head("conseiller du Premier ministre")
    assert not government_head("ministre de la Santé")


@pytest.mark.parametrize(
    ("part", "row_id"),
    [(57, "p57-en-014"), (77, "p77-en-049"), (83, "p83-fr-017"), (83, "p83-fr-035")],
)
def test_spent_sentences_give_the_country_as_organisation(part: int, row_id: str) -> None:
    """Real sentences of the development pool whose whole "title of country" the tagger read
    as the title, with no organisation."""
    from enrich.jobs import extract_job_changes

    row = spent_row(part, row_id)
    (gold,) = row["job_changes"]
    (found,) = extract_job_changes([row["text"]], row["lang"])
    assert (gold["organization"], gold["title"]) in [(c.organization, c.title) for c in found]


@pytest.mark.parametrize(
    "title", ["ambassadeur de France", "ministre de la Santé", "Minister of Finance of Ghana"]
)
def test_a_ministers_portfolio_and_a_diplomats_country_stay_in_the_title(title: str) -> None:
    """``tidy`` cuts no minister's portfolio nor a diplomat's sending country (the gold
    conventions of rounds 46 and 72), even where the words after "de" name a country."""
    from enrich.jobs.change import JobChangeFound
    from enrich.jobs.tidy import tidy

    jc = JobChangeFound(person="A. B.", organization=None, title=title, start_date=None)
    assert (tidy(jc).organization, tidy(jc).title) == (None, title)


def test_a_head_of_governments_country_is_cut() -> None:
    from enrich.jobs.change import JobChangeFound
    from enrich.jobs.tidy import tidy

    jc = JobChangeFound(
        person="A. B.", organization=None, title="premier ministre de Thaïlande", start_date=None
    )
    assert (tidy(jc).organization, tidy(jc).title) == ("Thaïlande", "premier ministre")
