"""The list reader (:mod:`enrich.jobs.name_list`) on real sentences of spent parts.

The spans are given by hand, as the tagger tags them (names, and only the first posts), so
that these tests pin the reader, not the model.
"""

from __future__ import annotations

import pytest

import enrich.job_tagger as jt
from enrich.jobs.name_list import (
    announced_lists,
    gap_to_next_name,
    list_changes,
    may_list,
    title_and_body,
)
from tests.enrich.tagged_spans import spans_of

#: benchmarks/data/jobs_test90.jsonl, p90-en-059.
RECTORS = (
    "The newly appointed rectors are: Professor Hamdullah Çuvalcı to Adıyaman University, "
    "Professor Mehmet Ali Azizoğlu to Bayburt University, Professor Abdulhalik Karabulut to "
    "Iğdır University, Professor Hüseyin Karamelikli to Kahramanmaraş İstiklal University, "
    "Professor Bülent Kent to Kilis 7 Aralık University, Professor Ali Akmaz to Nevşehir Hacı "
    "Bektaş Veli University, and Professor İbrahim Özcoşar to Siirt University."
)
#: benchmarks/data/jobs_test99.jsonl, p99-en-030.
APPOINTMENTS = (
    "New Appointments: Mr Joseph Pius Waleanisia – Secretary to the Prime Minister; Mr Harry "
    "Kuma – Ministry of Finance and Treasury; Mr George Palua – Ministry of Home Affairs;Mr "
    "Vaeno Vigulu – Ministry of Forest and Research"
)
#: benchmarks/data/jobs_test79.jsonl, p79-en-076 (a negative: the candidates who lost).
CANDIDATES = (
    "Candidates who ran against the newly elected officers were: Dr. Julianne Smist for "
    "Chair/Chair-Elect, Dr. Alexander Grushow for Member-at-Large, Mr. Jeff Hepburn and Dr. "
    "Kereen Monteyne for Councilor/Alternate Councilor, and Dr. Hannah Sevian for "
    "Secretary/Councilor."
)


def test_each_name_takes_the_body_after_it_and_the_title_before_the_list() -> None:
    spans = spans_of(
        RECTORS,
        ("TITLE", "rectors"),
        ("PER", "Hamdullah Çuvalcı"),
        ("ORG", "Adıyaman University"),
        ("PER", "Mehmet Ali Azizoğlu"),
        ("ORG", "Bayburt University"),
        ("PER", "Abdulhalik Karabulut"),
        ("PER", "Hüseyin Karamelikli"),
        ("PER", "Bülent Kent"),
        ("PER", "Ali Akmaz"),
        ("PER", "İbrahim Özcoşar"),
    )
    changes = list_changes(RECTORS, spans, 0, len(RECTORS))
    assert changes is not None
    assert [(c["person"], c["organization"]) for c in changes] == [
        ("Hamdullah Çuvalcı", "Adıyaman University"),
        ("Mehmet Ali Azizoğlu", "Bayburt University"),
        ("Abdulhalik Karabulut", "Iğdır University"),
        ("Hüseyin Karamelikli", "Kahramanmaraş İstiklal University"),
        ("Bülent Kent", "Kilis 7 Aralık University"),
        ("Ali Akmaz", "Nevşehir Hacı Bektaş Veli University"),
        ("İbrahim Özcoşar", "Siirt University"),
    ]
    assert {c["title"] for c in changes} == {"rectors"}
    # the group reads the list too, instead of pairing the one tagged post with every name
    assert jt.group(RECTORS, spans) == changes


def test_a_dash_list_gives_titles_and_ministries() -> None:
    spans = spans_of(
        APPOINTMENTS,
        ("PER", "Joseph Pius Waleanisia"),
        ("TITLE", "Secretary to the Prime Minister"),
        ("PER", "Harry Kuma"),
        ("PER", "George Palua"),
        ("PER", "Vaeno Vigulu"),
    )
    assert may_list(APPOINTMENTS)
    assert announced_lists(APPOINTMENTS, spans) == [
        {
            "person": "Joseph Pius Waleanisia",
            "organization": None,
            "title": "Secretary to the Prime Minister",
        },
        {"person": "Harry Kuma", "organization": "Ministry of Finance and Treasury", "title": None},
        {"person": "George Palua", "organization": "Ministry of Home Affairs", "title": None},
        {
            "person": "Vaeno Vigulu",
            "organization": "Ministry of Forest and Research",
            "title": None,
        },
    ]


def test_a_list_of_candidates_is_not_announced() -> None:
    """The sentence lists posts, but of the candidates who lost: the decider's no stands."""
    spans = spans_of(
        CANDIDATES,
        ("PER", "Julianne Smist"),
        ("PER", "Alexander Grushow"),
        ("PER", "Jeff Hepburn"),
        ("PER", "Kereen Monteyne"),
        ("PER", "Hannah Sevian"),
    )
    assert announced_lists(CANDIDATES, spans) == []


def test_names_with_other_words_between_them_are_no_list() -> None:
    text = "Kiren Rijiju will take over from Ravi Prasad as the new Law minister, says Ann Lee."
    spans = spans_of(text, ("PER", "Kiren Rijiju"), ("PER", "Ravi Prasad"), ("PER", "Ann Lee"))
    assert list_changes(text, spans, 0, len(text)) is None


def test_honorifics_do_not_break_a_list_of_names() -> None:
    """benchmarks/data/jobs_test63.jsonl, p63-fr-016: five teachers, one title."""
    text = (
        "Enfin, de nouveaux enseignants ont rejoint l’école : Mme Nicolas, Mme Savariaud, "
        "Mme Gilardot, M. Thomas et M. Sainton."
    )
    names = ("Nicolas", "Savariaud", "Gilardot", "Thomas", "Sainton")
    spans = spans_of(text, ("TITLE", "enseignants"), *(("PER", n) for n in names))
    assert [(c["person"], c["title"]) for c in jt.group(text, spans)] == [
        (n, "enseignants") for n in names
    ]


def test_a_middle_initial_joins_no_names() -> None:
    """benchmarks/data/jobs_test113.jsonl, p113-en-058: the tagger splits "Brima M. Sowa" in
    two names; "M." is the French honorific, but with no joiner before it, it is a middle
    initial and the two halves are no list of two people (round 85)."""
    text = (
        "In the Ministry of Finance, Solomon S. Thomas is now the Acting Deputy Financial "
        "Secretary and Brima M. Sowa has been transferred to the Ministry of Transport and "
        "Aviation as Permanent Secretary."
    )
    spans = spans_of(
        text,
        ("ORG", "Ministry of Finance"),
        ("PER", "Solomon S. Thomas"),
        ("TITLE", "Acting Deputy Financial Secretary"),
        ("PER", "Brima"),
        ("PER", "Sowa"),
        ("ORG", "Ministry of Transport and Aviation"),
        ("TITLE", "Permanent Secretary"),
    )
    people = [c["person"] for c in jt.group(text, spans)]
    assert "Brima" not in people and "Sowa" in people
    assert gap_to_next_name(" M. ") == " M. "
    assert gap_to_next_name(", Mme ").strip() == ","
    assert gap_to_next_name(" ainsi que M. ").strip() == "and"


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        (
            "Director-General of the National Institute of Archaeology and Museum Studies",
            ("National Institute of Archaeology and Museum Studies", "Director-General"),
        ),
        ("Director of Finance", None),  # a department stays in the title
        ("Minister of Finance", None),  # a portfolio too
    ],
)
def test_a_title_of_body_post_gives_both(post: str, expected: tuple[str, str] | None) -> None:
    """Round 85: an untagged list item's "Title of Body" post (p113-en-021)."""
    assert title_and_body(post) == expected
