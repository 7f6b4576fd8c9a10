"""Phrasing families added for recall on unseen sentences (``jobs-rules-3``), plus negatives.

Invented people, real organisation names; each family is a general mechanism
(nominal appointments, "replaced by", title before the name, enumerations,
fillers and ordinals before a title, typographic apostrophes), and each negative
reuses its trigger words so that a rule firing on the word alone fails here.
"""

from __future__ import annotations

import pytest

from enrich.jobs import extract_job_changes

FAMILIES = [
    # (text, person, organization, title)
    (
        "L’élection de Camille Perret au poste de directrice générale a été saluée.",
        "Camille Perret",
        None,
        "directrice générale",
    ),
    (
        "Le directeur financier sera remplacé au poste de directeur financier par Marc Olivier.",
        "Marc Olivier",
        None,
        "directeur financier",
    ),
    (
        "She will be replaced by Dana Whitfield as CEO, effective immediately.",
        "Dana Whitfield",
        None,
        "CEO",
    ),
    (
        "Ubisoft has appointed a new chief technology officer, Laura Benson, who joins from Sony.",
        "Laura Benson",
        "Ubisoft",
        "chief technology officer",
    ),
    (
        "Airbus announced its new head of marketing today, Tom Keller.",
        "Tom Keller",
        "Airbus",
        "head of marketing",
    ),
    (
        "UNLV introduced new head football coach Ray Dalton on Monday.",
        "Ray Dalton",
        None,
        "head football coach",
    ),
    (
        "Erin Walsh was sworn in on Monday, officially becoming the 36th mayor of Salt Lake City.",
        "Erin Walsh",
        "Salt Lake City",
        "mayor",
    ),
    (
        "Samir Haddad has been named the first chief data officer (CDO) of the World Bank.",
        "Samir Haddad",
        "World Bank",
        "chief data officer",
    ),
    (
        "Enfin, Lucie Marchand est pour sa part la nouvelle coordinatrice vidéo de l’Équipe de "
        "France.",
        "Lucie Marchand",
        "Équipe de France",
        "coordinatrice vidéo",
    ),
    (
        "Karim Benali, ancien joueur, arrive en tant qu’entraîneur adjoint.",
        "Karim Benali",
        None,
        "entraîneur adjoint",
    ),
    (
        "I started working for Datadog in the summer of 2022.",
        None,
        "Datadog",
        None,
    ),
    (
        "Après mon master, j’ai intégré le Groupe Renault en 2019.",
        None,
        "Groupe Renault",
        None,
    ),
]


@pytest.mark.parametrize(("text", "person", "org", "title"), FAMILIES)
def test_recall_family(text: str, person: str | None, org: str | None, title: str | None) -> None:
    [changes] = extract_job_changes([text])
    assert changes, text
    got = changes[0]
    assert got.person == person
    if org is not None:
        assert got.organization == org
    assert got.title == title


def test_enumerated_appointments_are_all_read() -> None:
    text = (
        "Le conseil des ministres a nommé Julie Vasseur rectrice de Martinique, "
        "Paul Lemaire recteur de Dijon et Anne Roussel rectrice de Lille."
    )
    [changes] = extract_job_changes([text])
    assert [(c.person, c.organization, c.title) for c in changes] == [
        ("Julie Vasseur", "Martinique", "rectrice"),
        ("Paul Lemaire", "Dijon", "recteur"),
        ("Anne Roussel", "Lille", "rectrice"),
    ]


def test_passive_single_surname_is_the_person() -> None:
    text = "A month of chaos followed, in which Whitaker was named interim mayor."
    [changes] = extract_job_changes([text])
    assert changes and changes[0].person == "Whitaker"
    assert changes[0].title == "interim mayor"


NEGATIVES = [
    "8 of those wins came when Dalton was named Coach of the Year by the AP.",
    "Elle a été nommée joueuse du mois de janvier par la Ligue.",
    "The club has shortlisted ten coaches to be interviewed for the national team job.",
    "A technical committee, appointed by the board, is in charge of the recruitment.",
    "The band was introduced to new fans at the festival.",
    "The old stadium will be replaced by a park.",
    "Le logo sera remplacé par une nouvelle version.",
    "L’élection de dimanche a été très suivie.",
    "Je suis désormais depuis quatre ans responsable de la communication interne.",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_recall_negatives(text: str) -> None:
    assert extract_job_changes([text]) == [[]], text
