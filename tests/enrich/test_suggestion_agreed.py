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
