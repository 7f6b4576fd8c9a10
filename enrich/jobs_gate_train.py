"""Training of the job-change gate (:mod:`enrich.jobs_gate`), on CPU in seconds.

Why apart from the gate: training needs scikit-learn and material outside the repository;
``veille tag jobs`` only reads the weights file.

Positives and hard negatives: the labelled sentences of ``enrich/data/jobs_train/`` and the dev
splits of ``benchmarks/data/jobs_eval.jsonl`` (never the frozen test split). Ordinary
negatives: real tweets that hold a trigger word, from the sentiment corpora of the shared
material (``data/sentiment/``: DEFT 2017 French train, SemEval-2017 4A English train). Their
licences allow training, not copying, so only the weights of word n-grams are committed. Kept
out of training for development: DEFT 2017 val and a seeded sample of 4,500 SemEval tweets
(:func:`dev_posts`), and every text of ``benchmarks/data/ordinary_posts.jsonl``. About one
in ten of those tweets does tell a job change ("Rihanna rejoint l'équipe de The Voice"):
that label noise is accepted, and the threshold is set low for recall.

Run: ``veille job-tagger train-gate --sentiment ../shared/data/sentiment`` (``--cv`` prints
the cross-validation by domain first).
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from enrich.job_tagger_train import TRAIN_DIR, read_rows
from enrich.jobs_gate import GATE, features
from enrich.jobs_prefilter import has_trigger

ROOT = Path(__file__).resolve().parents[1]
DEV_SPLITS = ROOT / "benchmarks" / "data" / "jobs_eval.jsonl"
ORDINARY = ROOT / "benchmarks" / "data" / "ordinary_posts.jsonl"
DEV_SAMPLE = 4500
SEED = 7
C = 4.0
THRESHOLD = 0.1
#: A feature seen in fewer texts gets no weight (a name, a one-off phrasing).
MIN_COUNT = 2
#: Weights smaller than this are not written (they change no decision measurably).
MIN_WEIGHT = 0.1


def labelled_rows() -> list[dict[str, Any]]:
    """The gate's labelled sentences: the tagger's training files and the dev splits."""
    return read_rows([*sorted(TRAIN_DIR.glob("*.jsonl")), DEV_SPLITS])


def _lines(path: Path) -> list[str]:
    return [" ".join(t.split()) for t in path.read_text(encoding="utf-8").splitlines()]


def _semeval(sentiment: Path) -> tuple[list[str], set[str]]:
    tweets = _lines(sentiment / "semeval2017_4a_en" / "train_text.txt")
    return tweets, set(random.Random(SEED).sample(tweets, DEV_SAMPLE))


def dev_posts(sentiment: Path) -> list[dict[str, str]]:
    """The tweets kept for development (not trained on): DEFT val, a SemEval sample."""
    tweets, dev = _semeval(sentiment)
    fr = _lines(sentiment / "deft2017_fr" / "val_text.txt")
    rows = [{"lang": "fr", "text": t} for t in fr] + [
        {"lang": "en", "text": t} for t in tweets if t in dev
    ]
    return _distinct(rows)


def ordinary_pool(sentiment: Path) -> list[str]:
    """Training tweets with a trigger word (the only ones the gate ever sees)."""
    tweets, dev = _semeval(sentiment)
    fr = _lines(sentiment / "deft2017_fr" / "train_text.txt")
    rows = [{"lang": "fr", "text": t} for t in fr] + [
        {"lang": "en", "text": t} for t in tweets if t not in dev
    ]
    return [r["text"] for r in _distinct(rows) if has_trigger(r["text"])]


def _distinct(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    bench = {json.loads(x)["text"] for x in ORDINARY.read_text(encoding="utf-8").splitlines()}
    seen: set[str] = set()
    out = []
    for row in rows:
        if len(row["text"]) >= 20 and row["text"] not in seen and row["text"] not in bench:
            seen.add(row["text"])
            out.append(row)
    return out


def fit(
    texts: Sequence[str], labels: Sequence[int], c: float = C
) -> tuple[dict[str, float], float]:
    """Logistic regression (classes balanced) on the gate's features -> (weights, bias)."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    grams = [features(text) for text in texts]
    counts = Counter(f for feats in grams for f in feats)
    vocab: dict[str, int] = {}
    indptr, indices, data = [0], [], []
    for feats in grams:
        # The norm counts every feature, as the gate does; only those seen twice get a weight.
        for f in feats:
            if counts[f] >= MIN_COUNT:
                indices.append(vocab.setdefault(f, len(vocab)))
                data.append(1.0 / math.sqrt(len(feats)))
        indptr.append(len(indices))
    x = csr_matrix((data, indices, indptr), shape=(len(texts), len(vocab)))
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(x, np.asarray(labels))
    coef = model.coef_[0]
    return {f: float(coef[i]) for f, i in vocab.items()}, float(model.intercept_[0])


def cross_validate(rows: Sequence[dict[str, Any]], pool: Sequence[str]) -> np.ndarray:
    """Out-of-domain scores of the labelled rows: each domain scored by a gate trained
    without it (the ordinary pool always in training)."""
    from enrich.jobs_gate import Gate

    domains = [str(r.get("domain") or "other") for r in rows]
    scores = np.zeros(len(rows))
    for domain in sorted(set(domains)):
        train = [r for r, d in zip(rows, domains, strict=True) if d != domain]
        weights, bias = fit(
            [r["text"] for r in train] + list(pool),
            [1 if r["job_changes"] else 0 for r in train] + [0] * len(pool),
        )
        gate = Gate(weights, bias, THRESHOLD)
        for i, d in enumerate(domains):
            if d == domain:
                scores[i] = gate.best_score(rows[i]["text"])
    return scores


def write_gate(path: Path, weights: dict[str, float], bias: float, threshold: float) -> int:
    """Write the weights file; returns the number of features kept."""
    kept = sorted((f, w) for f, w in weights.items() if abs(w) >= MIN_WEIGHT and "\t" not in f)
    head = [
        "# Job-change gate (enrich/jobs_gate.py), written by",
        "# `veille job-tagger train-gate --sentiment ../shared/data/sentiment`.",
        "# Logistic regression on binary word unigrams and bigrams of the folded text,",
        "# L2-normalised. Trained on enrich/data/jobs_train/*.jsonl, the dev splits of",
        "# benchmarks/data/jobs_eval.jsonl and, as negatives, the tweets with a trigger word",
        "# of DEFT 2017 (French, train; CeCILL, IRIT/LIMSI/CNRS) and SemEval-2017 4A",
        "# (English, train; research use): n-gram weights only, no text.",
        f"# bias {bias:.6f}",
        f"# threshold {threshold}",
    ]
    body = [f"{f}\t{w:.4f}" for f, w in kept]
    path.write_text("\n".join(head + body) + "\n", encoding="utf-8")
    return len(kept)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sentiment", type=Path, required=True, help="shared data/sentiment dir")
    ap.add_argument("--out", type=Path, default=GATE)
    ap.add_argument("--threshold", type=float, default=THRESHOLD)
    ap.add_argument("--cv", action="store_true", help="cross-validate by domain first")
    args = ap.parse_args(argv)
    rows = labelled_rows()
    pool = ordinary_pool(args.sentiment)
    print(f"{len(rows)} labelled sentences, {len(pool)} ordinary tweets with a trigger word")
    if args.cv:
        scores = cross_validate(rows, pool)
        y = np.array([1 if r["job_changes"] else 0 for r in rows])
        for th in (0.05, 0.1, 0.15, 0.2, 0.3):
            print(
                f"threshold {th}: job changes kept {(scores[y == 1] >= th).mean():.3f}, "
                f"hard negatives stopped {(scores[y == 0] < th).mean():.3f}"
            )
    weights, bias = fit(
        [r["text"] for r in rows] + pool,
        [1 if r["job_changes"] else 0 for r in rows] + [0] * len(pool),
    )
    n = write_gate(args.out, weights, bias, args.threshold)
    print(f"{n} features written to {args.out}")


if __name__ == "__main__":
    main()
