"""A match that rests on a field does not also propose to change that field."""

from __future__ import annotations

from enrich.suggestions import agreed_fields, proposed_changes
from store.models import Alumnus


def test_an_agreeing_employer_written_differently_is_not_a_change() -> None:
    alumnus = Alumnus(
        id="A1",
        first_name="Cécile",
        last_name="Bruley",
        employer="Université Sorbonne Nouvelle Paris 3",
        job_title="Attachée temporaire d'enseignement et de recherche",
    )
    match = {
        "first_name": {"level": "exact"},
        "last_name": {"level": "exact"},
        "employer": {"level": "token_set>=85"},
        "city": {"level": "missing"},
        "email": {"level": "different"},
    }
    values = {"employer": "Sorbonne Nouvelle", "job_title": "Maître de conférences"}
    assert agreed_fields(match) == {"first_name", "last_name", "employer"}
    assert proposed_changes(alumnus, values, agreed_fields(match)) == [
        ("job_title", alumnus.job_title, "Maître de conférences")
    ]
    # without the matcher's word, the rewording is still proposed (as before)
    assert [f for f, _, _ in proposed_changes(alumnus, values)] == ["employer", "job_title"]


def test_a_misspelt_known_address_is_not_a_new_email() -> None:
    alumnus = Alumnus(id="A2", first_name="Jean", last_name="Dupont")
    alumnus.emails = ["jean.dupont@univ-lorraine.fr"]
    for typo in (
        "jean.dupnot@univ-lorraine.fr",
        "jeandupont@univ-lorraine.fr",
        "jean.dupont@univ-loraine.fr",  # the domain misspelt (fake_1000's "robebrts.com")
    ):
        assert proposed_changes(alumnus, {"emails": typo}) == []
    # another domain, another person's address, or other digits, is a real change
    for new in (
        "jean.dupont@cnrs.fr",
        "j.martin@univ-lorraine.fr",
        "jean.dupont2@univ-lorraine.fr",
    ):
        assert [f for f, _, _ in proposed_changes(alumnus, {"emails": new})] == ["emails"]
    # the same name at a new domain (the matcher's "same_local_part") is a new address
    agreed = agreed_fields({"email": {"level": "same_local_part", "weight": 5.0}})
    assert proposed_changes(alumnus, {"emails": "jean.dupont@cnrs.fr"}, agreed) != []
