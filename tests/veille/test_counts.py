"""A stage's counters read as words in both languages, never as internal keys."""

from __future__ import annotations

import pytest

from veille.counts import COUNT_KEYS
from veille.counts import format_counts as _format_counts


def format_counts(*args: object, **kwargs: object) -> str:
    """French sets a no-break space before the colon: read as a space here."""
    return _format_counts(*args, **kwargs).replace("\u00a0", " ")  # type: ignore[arg-type]


def test_counters_read_in_french() -> None:
    said = format_counts({"stored": 18, "rejected": 0, "below_confidence": 8}, "fr")
    assert said == (
        "mentions enregistrées : 18, éléments rejetés : 0, sous le seuil de confiance : 8"
    )


def test_counters_read_in_english() -> None:
    said = format_counts({"stored": 18, "failed_sources": 1}, "en")
    assert said == "mentions stored: 18, sources failing: 1"


def test_a_source_reads_its_stored_and_fetched_counters_together() -> None:
    counts = {"actualites-paris3.stored": 8, "actualites-paris3.fetched": 10, "stored": 8}
    said = format_counts(counts, "fr")
    assert said == "mentions enregistrées : 8, actualites-paris3 : 8 enregistrées sur 10 reçues"


def test_a_scheduled_job_names_the_stage_of_each_counter_and_skips_its_lists() -> None:
    counts = {"sentiment.tagged": 3, "outputs": ["/tmp/a.html"], "skipped": ["routing: off"]}
    assert format_counts(counts, "fr") == "Tonalité · mentions analysées : 3"
    assert format_counts({"routing.triage": 1}, "en") == "Routing · to triage: 1"
    # a source's own name (the site's configuration) is kept as it is
    assert format_counts({"x.rejected": 2}, "fr") == "x · éléments rejetés : 2"


def test_the_alert_stage_names_its_rules_and_an_unknown_key_is_made_readable() -> None:
    assert format_counts({"volume_spike": 1}, "fr") == "Pic de volume : 1"
    assert format_counts({"some_new_counter": 2}, "en") == "Some new counter: 2"


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_no_counter_shows_its_key(locale: str) -> None:
    for key in COUNT_KEYS:
        said = format_counts({key: 1}, locale)
        assert "_" not in said and said.endswith("1"), said


def test_a_persons_rows_are_named_by_what_they_hold() -> None:
    """``veille person export`` / ``erase`` count rows by table: they read as words too."""
    from veille.counts import ROWS

    said = format_counts({"mentions": 2, "audit_event": 1, "web_session": 0}, "fr", kind=ROWS)
    assert said == ("mentions collectées : 2, entrées du journal d'audit : 1, sessions web : 0")


def test_the_colon_is_never_left_alone_at_a_line_start() -> None:
    assert _format_counts({"stored": 1}, "fr") == "mentions enregistrées\u00a0: 1"


def test_a_summary_can_leave_the_sources_out() -> None:
    counts = {"a.stored": 1, "a.fetched": 2, "stored": 1}
    assert format_counts(counts, "fr", per_source=False) == "mentions enregistrées : 1"
