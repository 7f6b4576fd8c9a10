"""The trigger pre-filter: lets the labelled job changes through, stops most ordinary posts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enrich.job_tagger_train import TRAIN_DIR
from enrich.jobs_prefilter import (
    _patterns,
    focus,
    fold,
    fold_origins,
    might_announce_change,
    read_lexicon,
    sentences,
)
from tests.enrich.spent_parts import spent_row

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "data"


def _rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_labelled_job_changes_go_through() -> None:
    """Every positive of the training data and of the dev splits but a handful (99 %)."""
    rows = [r for p in sorted(TRAIN_DIR.glob("*.jsonl")) for r in _rows(p)]
    rows += _rows(BENCH / "jobs_eval.jsonl")
    positives = [r["text"] for r in rows if r["job_changes"]]
    stopped = [t for t in positives if not might_announce_change(t)]
    assert len(positives) > 900
    assert len(stopped) <= len(positives) // 100, stopped


def test_most_ordinary_posts_are_stopped() -> None:
    posts = [r["text"] for r in _rows(BENCH / "ordinary_posts.jsonl")]
    through = sum(map(might_announce_change, posts))
    assert len(posts) >= 2000
    assert through / len(posts) < 0.12


def test_lexicon_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "triggers.txt"
    bad.write_text("# comment\nnomm*\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"triggers.txt:2"):
        read_lexicon(bad)
    bad.write_text("[strong]\nnomm*|(\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"triggers.txt:2: not a regular expression"):
        read_lexicon(bad)


@pytest.mark.parametrize(
    "row_id",
    ["r8-fr-004", "r8-fr-143", "r8-fr-106", "r8-fr-049", "r8-fr-039", "r8-en-090", "r8-en-066"],
)
def test_round6_phrasings_reach_the_extractor(row_id: str) -> None:
    """ "le maire sera", "a retrouvé son siège", "est confirmé à son poste", "rempile",
    "entament leur premier mandat", "voted Saturday to install", "accepting their offer":
    real job changes of fresh websites (fresh_sites4.jsonl) that the pre-filter stopped."""
    row = next(r for r in _rows(TRAIN_DIR / "fresh_sites4.jsonl") if r["id"] == row_id)
    assert row["job_changes"]
    assert might_announce_change(row["text"])


@pytest.mark.parametrize(
    "row_id",
    [
        "r9b-en-050",
        "r9b-en-057",
        "r9b-en-110",
        "r9b-en-120",
        "r9b-en-133",
        "r9b-en-142",
        "r9a-fr-007",
        "r9a-fr-025",
        "r9a-fr-051",
        "r9a-fr-075",
        "r9a-fr-076",
        "r9a-fr-079",
    ],
)
def test_round7_phrasings_reach_the_extractor(row_id: str) -> None:
    """ "ran unopposed", "new partners" (a plural title), "new host", "swearing-in
    ceremony", "reshuffled his Cabinet, inducting ... as ministers", "is only made a lead",
    "a passé le flambeau à", "au profit de", "Depuis mardi 23 janvier, X est le directeur",
    "se sont déjà engagés", "portera le maillot de", "ce sera X ... coach": real job changes
    of fresh websites (fresh_sites5.jsonl) that the pre-filter stopped."""
    row = next(r for r in _rows(TRAIN_DIR / "fresh_sites5.jsonl") if r["id"] == row_id)
    assert row["job_changes"]
    assert might_announce_change(row["text"])


@pytest.mark.parametrize(
    ("part", "row_id"),
    [
        ("jobs_test13.jsonl", "p13b-en-027"),
        ("jobs_test13.jsonl", "p13b-en-074"),
        ("jobs_test13.jsonl", "p13b-en-070"),
        ("jobs_test13.jsonl", "p13a-fr-011"),
        ("jobs_test11.jsonl", "p11a-fr-075"),
        ("jobs_test11.jsonl", "p11c-fr-018"),
        ("jobs_test12.jsonl", "p12a-fr-079"),
        ("jobs_test11.jsonl", "p11c-fr-040"),
        ("jobs_test12.jsonl", "p12a-fr-006"),
        ("jobs_test11.jsonl", "p11a-fr-072"),
        ("jobs_test12.jsonl", "p12c-fr-017"),
        ("jobs_test13.jsonl", "p13a-fr-022"),
    ],
)
def test_round14_phrasings_reach_the_extractor(part: str, row_id: str) -> None:
    """ "handed the baton of Chairman to", "will move on to work as", "takes the place of",
    "prend en charge la direction du", "repart pour un quatrième mandat", "signent aujourd'hui
    leur contrat", "signait un contrat", "laissait sa place de bâtonnier à", "se voit pour sa
    part offrir", "reprendra un poste de", "ma première journée comme", "Désormais, X est le
    président": real job changes of the spent parts 11-13 that the pre-filter stopped."""
    row = next(r for r in _rows(BENCH / part) if r["id"] == row_id)
    assert row["job_changes"]
    assert might_announce_change(row["text"])


@pytest.mark.parametrize(
    ("part", "row_id"),
    [
        ("jobs_test22.jsonl", "p22-fr-007"),
        ("jobs_test22.jsonl", "p22-fr-047"),
        ("jobs_test23.jsonl", "p23-fr-025"),
        ("jobs_test23.jsonl", "p23-fr-058"),
        ("jobs_test25.jsonl", "p25-fr-057"),
        ("jobs_test26.jsonl", "p26-fr-044"),
        ("jobs_test31.jsonl", "p31-fr-018"),
        ("jobs_test34.jsonl", "p34-fr-006"),
        ("jobs_test23.jsonl", "p23-en-049"),
        ("jobs_test24.jsonl", "p24-en-014"),
        ("jobs_test24.jsonl", "p24-en-040"),
        ("jobs_test31.jsonl", "p31-en-028"),
    ],
)
def test_round37_phrasings_reach_the_extractor(part: str, row_id: str) -> None:
    """ "mon premier mois chez", "a pris officiellement la présidence", "a été mutée",
    "occupera désormais le poste", "devenait directeur général", "je suis officiellement
    employé par", "reste maire de", "s'est attaché les services", "is moving from X to Y",
    "as general maintainer", "the capture of", "took command at": real job changes of the
    development parts 22-34 that the pre-filter stopped (benchmarks/README.md, round 37)."""
    row = next(r for r in _rows(BENCH / part) if r["id"] == row_id)
    assert row["job_changes"]
    assert might_announce_change(row["text"])


def test_round59_phrasings_the_pre_filter_stopped_go_through() -> None:
    """Round 59: spent positives that the pre-filter stopped before any model read them (a
    club's signing in the French present, a swearing-in, a director renewed), now read and
    given their change; the extractor's value is checked, not only the gate."""
    from enrich.jobs import extract_job_changes

    for part, row_id in ((52, "p52-fr-001"), (52, "p52-en-028"), (48, "p48-fr-004")):
        rows = _rows(BENCH / f"jobs_test{part}.jsonl")
        row = next(r for r in rows if r["id"] == row_id)
        assert row["job_changes"] and might_announce_change(row["text"]), row_id
        (found,) = extract_job_changes([row["text"]], row["lang"])
        gold = {c["organization"] for c in row["job_changes"]}
        assert gold & {jc.organization for jc in found}, row_id


@pytest.mark.parametrize(
    ("part", "row_id"),
    [
        (55, "p55-en-003"),  # "started his new assignment at"
        (71, "p71-en-023"),  # "has brought on X as CEO"
        (74, "p74-en-031"),  # "I began my role here at"
        (79, "p79-en-034"),  # "have inked two year agreements with"
        (84, "p84-en-020"),  # "has been reassigned to the Ministry of"
        (70, "p70-fr-014"),  # "je me joindrai à la Faculté de"
        # round 85 (parts 113-125)
        (113, "p113-en-013"),  # "was announced as the new Blades boss"
        (119, "p119-en-045"),  # "by electing X as its first Black Chairman"
        (121, "p121-en-008"),  # "I have officially started as a research scholar at"
        (124, "p124-en-038"),  # "Newly-appointed Chief Executive Officer (CEO) at"
        (117, "p117-en-045"),  # "my first official day as the pastor of"
        # round 91 (parts 53-149)
        (77, "p77-en-027"),  # "Sign X To Two-Year Deal"
        (130, "p130-en-048"),  # "I'm an employee of"
        (137, "p137-en-021"),  # "has lured X from Y as"
        (138, "p138-en-033"),  # "will be led by"
        (139, "p139-fr-014"),  # "de retour au X en provenance du Y"
        (142, "p142-fr-015"),  # "passe aux commandes de"
        (144, "p144-en-013"),  # "my first 'real' working day at"
        # round 95 (parts 150-168)
        (150, "p150-en-004"),  # "by adding X to their coaching staff"
        (154, "p154-fr-015"),  # "cède la présidence de X à"
        (151, "p151-fr-036"),  # "est prêté au"
        (153, "p153-en-054"),  # "as their new permanent drummer"
        (155, "p155-en-005"),  # "have secured the services of"
        (159, "p159-en-022"),  # "I started as"
        (161, "p161-fr-015"),  # "a procédé à l'installation de X en qualité de"
        (168, "p168-en-005"),  # "as its new concertmaster"
    ],
)
def test_phrasings_the_pre_filter_stopped_give_their_organisation(part: int, row_id: str) -> None:
    """Rounds 75, 85, 91 and 95: spent positives (parts 53-94, then 113-125, 53-149, 150-168)
    that held no trigger expression at all, now let through by the lines of those rounds in
    ``jobs_triggers.txt`` and given their organisation by the extractor
    (benchmarks/README.md, rounds 75, 85, 91 and 95)."""
    from enrich.jobs import extract_job_changes

    row = spent_row(part, row_id)
    assert row["job_changes"] and might_announce_change(row["text"])
    (found,) = extract_job_changes([row["text"]], row["lang"])
    gold = {c["organization"] for c in row["job_changes"]}
    assert gold & {jc.organization for jc in found}


def _long_recorded_post() -> str:
    """Line 695 of the ordinary posts: a 5,148-character Reddit post (a script pasted in a
    question), let through by weak words ("I am", "installed", "je suis") and a title word
    ("researchers") that stand in different sentences."""
    post = _rows(BENCH / "ordinary_posts.jsonl")[694]["text"]
    assert len(post) == 5148 and might_announce_change(post)
    return post


def test_round65_a_text_with_no_trigger_sentence_keeps_the_sentences_that_let_it_through() -> None:
    """No sentence of the post holds a trigger on its own; ``focus`` used to give the whole
    text to the parser and the three tagger passes. It now keeps the sentences with a weak
    expression or a title word, and nothing else (benchmarks/README.md, round 65)."""
    post = _long_recorded_post()
    focused = focus(post)
    _, weak, titles = _patterns()
    assert len(focused) < len(post) // 2
    for piece in sentences(post):
        folded = fold(piece)
        if not (weak.search(folded) or titles.search(folded)):
            assert len(piece) < 40 or piece not in focused
        elif len(piece) <= 500:
            assert piece in focused


def test_round65_a_run_on_sentence_is_cut_even_when_folding_changes_its_length() -> None:
    """The post's 1,503-character piece holds two "…", which NFKD makes three characters each:
    its folded positions are not its own, so it used to be read whole. The hits are now mapped
    back, and only the words around them are read."""
    post = _long_recorded_post()
    piece = next(p for p in sentences(post) if len(p) == 1503)
    assert len(fold(piece)) != len(piece)
    origins = fold_origins(piece)
    assert origins is not None and len(origins) == len(fold(piece))
    focused = focus(post)
    assert piece not in focused
    at = origins[fold(piece).index("je suis")]
    assert piece[at : at + 7].casefold() == "je suis"  # mapped to the hit, not 4 characters off
    assert piece[at : at + 7] in focused


def test_fold_origins_point_at_the_source_character() -> None:
    """Expanded characters and collapsed white space map back to where they come from."""
    text = "Il a été  nommé…\n\nPrésident"
    folded = fold(text)
    origins = fold_origins(text)
    assert folded == "il a ete nomme... president"
    assert origins is not None
    assert [text[i] for i in origins[:8]] == ["I", "l", " ", "a", " ", "é", "t", "é"]
    assert text[origins[folded.index("...")]] == "…"
    assert text[origins[folded.index("president")]] == "P"
