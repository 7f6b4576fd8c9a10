"""The organisation a change's sentence names outside the readers' spans: a possessive or the
appointing subject (enrich/jobs/org_in_sentence.py, round 87 of ``benchmarks/README.md``), a
territory before a mayor's title or a country after a head's (round 88), on real sentences
of spent benchmark parts."""

from __future__ import annotations

import pytest

from enrich.jobs.org_in_sentence import org_in_sentence, place_before_title
from enrich.jobs.title_of import body_written_after
from tests.enrich.spent_parts import spent_row


@pytest.mark.parametrize(
    ("part", "row_id", "title", "person", "org"),
    [
        # "sworn in as Puerto Rico's governor": a governor's territory
        (57, "p57-en-007", "governor", "Wanda Vázquez Garced", "Puerto Rico"),
        # "has been named as Derbyshire’s head coach"
        (103, "p103-en-009", "head coach", "Dominic Cork", "Derbyshire"),
        # "The University of Ghana Council has appointed ...": the employer past its body
        (86, "p86-en-002", "Acting Vice-Chancellor", "Nana Aba Appiah Amfo", "University of Ghana"),
        # "Le conseil d’administration du Conseil coton anacarde a désigné ..."
        (102, "p102-fr-053", "directeur général", "Mamadou Berté", "Conseil coton anacarde"),
        # "The Association of Cyprus Banks (ACB) on Thursday announced that ...": the acronym
        # and the day between the subject and its verb are not the name
        (117, "p117-en-063", "president", "Panicos Nicolaou", "Association of Cyprus Banks"),
        # round 88: a mayor's or a sheriff's territory written just before the title
        (99, "p99-en-020", "Mayor", "Maimunah Mohd Sharif", "Kuala Lumpur"),
        (112, "p112-en-017", "Sheriff", "Donnie Edenfield", "Jackson County"),
    ],
)
def test_the_sentence_names_the_organisation(
    part: int, row_id: str, title: str, person: str, org: str
) -> None:
    row = spent_row(part, row_id)
    assert org_in_sentence(title, person, row["text"]) == org
    assert any(c["organization"] and org in c["organization"] for c in row["job_changes"])


@pytest.mark.parametrize(
    ("part", "row_id", "title", "person"),
    [
        # a person appoints: "Duterte also named X as Deputy Ombudsman", "Blocker named X dean"
        (86, "p86-en-043", "Deputy Ombudsman", "Anderson Ang Lo"),
        (84, "p84-en-012", "dean", "Caroline Brettel"),
        # a person's possessive, an honorific before the name
        (79, "p79-en-062", "chief of staff", "Joshua Shields"),
        # a possessive inside the subject: "The Governor’s Office announced today that ..."
        (124, "p124-en-016", "Deputy Governor", "Lindorna Lambert Sweeney"),
        # no name opens the sentence: "my company today promoted me", "... and the club has"
        (64, "p64-en-018", "Manager of Public Relations", None),
        (127, "p127-en-061", "joint managers", "Kim Turner"),
    ],
)
def test_no_organisation_where_the_sentence_names_none(
    part: int, row_id: str, title: str, person: str | None
) -> None:
    assert org_in_sentence(title, person, spent_row(part, row_id)["text"]) is None


def test_only_a_territorial_title_takes_the_name_before_it() -> None:
    # p112-en-017 again: "new Jackson County Supervisor of Elections" is no mayor's title
    text = spent_row(112, "p112-en-017")["text"]
    assert place_before_title("Supervisor of Elections", "Carol Dunaway", text) is None


@pytest.mark.parametrize(
    ("part", "row_id", "title", "org"),
    [
        # round 88: the country written after a head of government's title and its "of"
        (102, "p102-fr-005", "premier ministre", "Burundi"),
        (99, "p99-en-055", "Prime Minister", "Solomon Islands"),
    ],
)
def test_a_country_written_after_the_title(part: int, row_id: str, title: str, org: str) -> None:
    row = spent_row(part, row_id)
    assert body_written_after(title, row["text"]) == org
    assert any(c["organization"] == org for c in row["job_changes"])


def test_a_department_after_the_title_is_no_organisation() -> None:
    assert body_written_after("Director", "She was named Director of Marketing.") is None
    assert body_written_after("Head", "He becomes Head of HR at the firm.") is None
