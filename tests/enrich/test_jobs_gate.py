"""The job-change gate: keeps the labelled changes, stops posts using a trigger in passing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enrich.job_tagger_train import TRAIN_DIR
from enrich.jobs_gate import Gate, features, load_gate, read_gate
from enrich.jobs_gate_train import fit
from enrich.jobs_prefilter import has_trigger, might_announce_change

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "data"


def _rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _labelled() -> list[dict]:
    rows = [r for p in sorted(TRAIN_DIR.glob("*.jsonl")) for r in _rows(p)]
    return rows + _rows(BENCH / "jobs_eval.jsonl")


def test_features_mask_urls_handles_and_numbers() -> None:
    feats = features("Élue à 42 ans ! @marie_d https://t.co/x")
    assert {"elue", "0", "!", "user", "http", "a 0"} <= set(feats)
    assert not any("marie" in f or "t.co" in f for f in feats)


def test_committed_gate_keeps_the_labelled_job_changes() -> None:
    """In-sample, so a floor: the weights file is read and applied as trained."""
    gate = load_gate()
    positives = [r["text"] for r in _labelled() if r["job_changes"]]
    stopped = [t for t in positives if not gate.accepts(t)]
    assert len(positives) > 900
    assert len(stopped) <= len(positives) // 200, stopped
    assert 0.0 < gate.threshold < 0.5
    assert len(gate.weights) > 1000


def test_gate_stops_part_of_the_ordinary_posts_with_a_trigger() -> None:
    """On the benchmark's ordinary posts (never trained on) the gate stops a fifth or more
    of those the lexicon lets through, so spaCy and the tagger read fewer."""
    posts = [r["text"] for r in _rows(BENCH / "ordinary_posts.jsonl")]
    with_trigger = [t for t in posts if has_trigger(t)]
    through = [t for t in with_trigger if might_announce_change(t)]
    assert len(with_trigger) > 100
    assert len(through) <= 0.8 * len(with_trigger)


def test_long_text_is_judged_by_its_best_trigger_sentence() -> None:
    gate = Gate({"nommee": 5.0, "directrice": 3.0, "pluie": -4.0}, -2.0, 0.5)
    filler = "Il a plu toute la journée sur la ville, la pluie encore la pluie. " * 6
    text = filler + "Marie Curie est nommée directrice."
    assert gate.score(text) < 0.5
    assert gate.accepts(text)
    assert not gate.accepts(filler)


def test_fit_learns_a_separating_gate() -> None:
    rows = [r for r in _labelled() if r["lang"] == "fr"][:300]
    weights, bias = fit([r["text"] for r in rows], [1 if r["job_changes"] else 0 for r in rows])
    gate = Gate(weights, bias, 0.5)
    pos = [gate.score(r["text"]) for r in rows if r["job_changes"]]
    neg = [gate.score(r["text"]) for r in rows if not r["job_changes"]]
    assert sum(pos) / len(pos) > sum(neg) / len(neg) + 0.2


def test_gate_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "gate.tsv"
    bad.write_text("# bias 0.1\n# threshold 0.2\nnomme\t1.5\nelue 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"gate.tsv:4"):
        read_gate(bad)
    bad.write_text("nomme\t1.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header"):
        read_gate(bad)
