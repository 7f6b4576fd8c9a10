"""The job rules' data files hold together: every trigger line names a rule and matches its
own example, every list the code reads is in ``words.txt``; no module of ``enrich/`` (its
sub-packages included) grows back past 600 lines."""

from __future__ import annotations

import json

import pytest

from enrich.jobs.lexicon import DATA, sections, word_key
from enrich.jobs.rules import ALIASES, RULES


def _trigger_lines(lang: str) -> list[dict]:
    path = DATA / f"triggers_{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_trigger_line_names_a_rule_and_matches_its_example(lang: str) -> None:
    import spacy
    from spacy.matcher import Matcher

    nlp = spacy.blank(lang)
    lines = _trigger_lines(lang)
    assert {row["label"] for row in lines} <= set(RULES) | set(ALIASES)
    for row in lines:
        matcher = Matcher(nlp.vocab)
        matcher.add(row["label"], [row["pattern"]])
        example = row["example"]
        assert matcher(nlp(example)), f"{lang} {row['label']}: {example!r} is not matched"


def test_every_rule_has_triggers() -> None:
    labels = {row["label"] for lang in ("fr", "en") for row in _trigger_lines(lang)}
    assert set(RULES) <= {ALIASES.get(label, label) for label in labels}


def test_word_lists_are_there_and_folded_lists_are_written_folded() -> None:
    import enrich.jobs.rules  # noqa: F401  (reads its lists at import)
    from enrich.jobs.lexicon import FOLDED_LISTS

    lists = sections()
    for name in ("title_heads_fr", "title_heads_en", "org_heads", "title_intro", "dets"):
        assert lists[name], name
    assert {"title_heads_fr", "org_heads", "joined_units"} <= FOLDED_LISTS
    for name in FOLDED_LISTS:
        unfolded = [w for line in lists[name] for w in line.split() if word_key(w) != w]
        assert unfolded == [], f"[{name}] in words.txt: write {unfolded} folded"


def test_no_module_of_enrich_outgrows_a_reader() -> None:
    """Every module under ``enrich/`` (its sub-packages too) stays within 600 lines."""
    from pathlib import Path

    import enrich

    package = Path(enrich.__file__).parent
    sizes = {
        str(p.relative_to(package)): len(p.read_text(encoding="utf-8").splitlines())
        for p in package.rglob("*.py")
    }
    too_long = {name: n for name, n in sizes.items() if n > 600}
    assert len(sizes) > 10 and "jobs/rules.py" in sizes and not too_long, too_long
