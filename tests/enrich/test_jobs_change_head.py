"""The job-change head: the shipped weights on real labelled sentences, and its training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from enrich.jobs.change import JobChangeFound
from enrich.jobs_change_head import (
    HEAD_DIR,
    ChangeHead,
    keep_told_changes,
    load_change_head,
    shipped_head,
)
from enrich.jobs_change_head_train import pick_threshold, sentences_of, train
from veille.errors import ModelUnavailableError

TRAIN = Path(__file__).resolve().parents[2] / "enrich" / "data" / "jobs_train"


def _row(file: str, row_id: str) -> dict[str, object]:
    for line in (TRAIN / file).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["id"] == row_id:
            return dict(row)
    raise AssertionError(f"{row_id} not in {file}")


def _change(sentence: str) -> JobChangeFound:
    return JobChangeFound(
        person=None, organization=None, title="x", start_date=None, lang="fr",
        rule="test", sentence=sentence,
    )  # fmt: skip


def test_shipped_head_reads_and_says_how_it_was_trained() -> None:
    head = load_change_head(HEAD_DIR)
    assert head.weight.shape == (384,)
    assert 0.0 < head.threshold < 0.5  # chosen for recall, not for balance
    cv = {p["threshold"]: p for p in head.meta["cv_by_domain"]}
    assert cv[head.threshold]["changes_kept"] >= head.meta["target_recall"]
    assert head.meta["encoder"].startswith("e5-small-mean-int8@")
    assert head.meta["training"]["tweets_with_trigger"] > 1000


def test_head_drops_a_prize_and_a_protest_but_keeps_appointments() -> None:
    """Real training sentences that reuse trigger words ("Nommés ... pour le prix",
    "joined ... in protesting") are dropped; real appointments stay (in-sample: this pins
    the shipped weights and the encoder they were trained on, not generalisation)."""
    negatives = [
        sentences_of(_row("sport_culture.jsonl", "spc3-fr-025"))[0],
        sentences_of(_row("sport_culture.jsonl", "spc3-en-064"))[0],
    ]
    positives = [
        sentences_of(_row("public_health.jsonl", "phn-fr-053"))[0],
        sentences_of(_row("sport.jsonl", "spo-fr-003"))[0],
        sentences_of(_row("politics.jsonl", "pol-en-003"))[0],
    ]
    found = [[_change(s)] for s in negatives + positives]
    kept = keep_told_changes(found)
    assert [len(k) for k in kept] == [0, 0, 1, 1, 1]
    assert kept[2][0] is found[2][0]


def test_a_change_is_kept_or_dropped_whatever_is_read_beside_it() -> None:
    """The int8 graph quantises its activations over the whole padded batch: embedded
    together, this real hard negative of part 8 (an aborted transfer) scored 0.13-0.15 or
    0.11 alone, around the 0.14 threshold, so `veille tag jobs` kept or dropped it depending
    on the other texts of the file. Each sentence is now embedded alone."""
    bench = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
    rows = [json.loads(x) for x in (bench / "jobs_test8.jsonl").read_text("utf-8").splitlines()]
    combal = next(r["text"] for r in rows if r["id"] == "p8-fr-117")
    others = [r["text"] for r in rows[:40] if r["text"] != combal]
    alone = keep_told_changes([[_change(combal)]])
    for n in (7, 20, 40):
        together = keep_told_changes([[_change(combal)]] + [[_change(t)] for t in others[:n]])
        assert len(together[0]) == len(alone[0]), n


def test_texts_without_a_change_are_not_embedded() -> None:
    class NoEncoder:
        def embed(self, texts: object, max_length: int = 0) -> np.ndarray:
            raise AssertionError("embedded although no change was found")

    assert keep_told_changes([[], []], head=shipped_head(), encoder=NoEncoder()) == [[], []]


def test_head_of_another_format_is_refused(tmp_path: Path) -> None:
    ChangeHead(np.zeros(4, dtype=np.float32), 0.0, 0.5, {}).save(tmp_path)
    meta = json.loads((tmp_path / "head.json").read_text(encoding="utf-8"))
    (tmp_path / "head.json").write_text(json.dumps({**meta, "format": "x"}), encoding="utf-8")
    with pytest.raises(ModelUnavailableError):
        load_change_head(tmp_path)


def test_training_on_a_tiny_embedding_matrix(tmp_path: Path) -> None:
    """Two clusters on a unit sphere, four groups: CV picks a threshold that keeps the target
    share of positives, the fitted head separates the clusters and survives a save/load."""
    rng = np.random.default_rng(0)
    centre = rng.normal(size=8)
    x = np.vstack([centre + rng.normal(scale=0.6, size=(40, 8)),
                   -centre + rng.normal(scale=0.6, size=(60, 8))])  # fmt: skip
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.array([1] * 40 + [0] * 60)
    groups = [f"g{i % 4}" for i in range(100)]
    hard = np.array([True] * 70 + [False] * 30)
    head = train(x, y, groups, hard, cs=(1.0,), target=0.95, log=lambda _: None)
    cv = {p["threshold"]: p for p in head.meta["cv_by_domain"]}
    assert cv[head.threshold]["changes_kept"] >= 0.95
    assert head.keeps(x[:40]).mean() >= 0.95
    assert head.keeps(x[40:]).mean() <= 0.1
    head.save(tmp_path)
    again = load_change_head(tmp_path)
    assert again.threshold == head.threshold
    np.testing.assert_allclose(again.proba(x), head.proba(x), rtol=1e-5)


def test_pick_threshold_is_the_highest_that_keeps_the_target() -> None:
    scores = np.array([0.9, 0.8, 0.3, 0.05, 0.2])
    y = np.array([1, 1, 1, 0, 0])
    assert pick_threshold(scores, y, target=1.0) == 0.3
    assert pick_threshold(scores, y, target=0.6) == 0.8


def test_pick_threshold_keeps_everything_when_no_step_keeps_the_target() -> None:
    """Confidently wrong scores (a change at 0.001) must not be cut at the lowest step."""
    scores = np.array([0.9, 0.8, 0.001, 0.0005])
    y = np.array([1, 1, 1, 0])
    assert pick_threshold(scores, y, target=0.99) == 0.0


def test_sentences_of_picks_the_sentence_naming_the_change() -> None:
    row = {
        "text": "The club had a long season. Jane Roe was named head coach of the club.",
        "job_changes": [{"person": "Jane Roe", "organization": None, "title": "head coach"}],
    }
    assert sentences_of(row) == ["Jane Roe was named head coach of the club."]


def test_the_stored_method_names_the_change_head_by_its_weights():
    """A change found with another head must not read as found the same way."""
    import hashlib

    from enrich.jobs import METHOD
    from enrich.jobs_change_head import HEAD_DIR, HEAD_WEIGHTS

    digest = hashlib.sha256((HEAD_DIR / HEAD_WEIGHTS).read_bytes()).hexdigest()[:8]
    assert METHOD.startswith("text_rules/") and METHOD.endswith(f"+change-head@{digest}")
