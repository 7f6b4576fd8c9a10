"""Training of the job-change head (:mod:`enrich.jobs_change_head`), on CPU in minutes.

Why apart from the head: training needs scikit-learn and tweets outside the repository;
``veille tag jobs`` only reads the committed weights.

Positives: the sentence of each labelled job change of ``enrich/data/jobs_train/*.jsonl``
(the sentence naming its person or title). Negatives: the trigger sentences of the labelled
negatives there (prizes, protests, rumours that reuse the trigger words), and the real
tweets with a trigger word that the gate is trained on (:func:`enrich.jobs_gate_train.
ordinary_pool`: DEFT 2017 French train, SemEval-2017 4A English train, minus the
development sample and every text of ``benchmarks/data/ordinary_posts.jsonl``). Their
licences allow training, not copying: only the weights and a manifest (sources, counts,
SHA-256 of the files read) are committed. Neither ``benchmarks/data/jobs_eval.jsonl`` nor the
frozen split is trained on.

The threshold is chosen by cross-validation by domain: each labelled domain (and one share
of the tweets) is scored by a head trained without it, and the threshold is the highest that
keeps :data:`TARGET_RECALL` of the labelled job changes. The curve is written into
``head.json``.

Run: ``veille job-tagger train-change-head --sentiment ../shared/data/sentiment``
(``--dev`` also counts, on the development tweets, the changes ``tag jobs`` finds with
and without the head).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from enrich.jobs_change_head import HEAD_DIR, MAX_TOKENS, ChangeHead
from enrich.jobs_prefilter import fold, has_trigger

SEED = 7
#: Candidate regularisations; the one that stops most hard negatives at the target recall wins.
CS = (0.5, 2.0, 8.0, 32.0)
#: Share of the labelled job changes the chosen threshold must keep in cross-validation.
TARGET_RECALL = 0.99
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def sentences_of(row: dict[str, Any]) -> list[str]:
    """The sentence(s) of a labelled row the head should learn from.

    For a job change, the sentence that names its person or title (what the extractor
    hands the head at run time); for a negative, each sentence with a trigger word.
    """
    text = " ".join(str(row["text"]).split())
    parts = [p for p in _SENTENCE_END.split(text) if p.strip()] or [text]
    if len(parts) == 1:
        return parts
    if row.get("job_changes"):
        out = []
        for jc in row["job_changes"]:
            keys = [fold(str(jc.get(k) or "")) for k in ("person", "title", "organization")]
            hit = next((p for p in parts if any(k and k in fold(p) for k in keys)), None)
            if hit and hit not in out:
                out.append(hit)
        return out or [text]
    return [p for p in parts if has_trigger(p)] or [text]


def training_rows(files: Sequence[Path]) -> list[dict[str, Any]]:
    """One row per training sentence: text, label (1 = tells a change) and domain."""
    from enrich.job_tagger_train import read_rows

    out = []
    for row in read_rows(files):
        label = 1 if row.get("job_changes") else 0
        for s in sentences_of(row):
            out.append({"text": s, "label": label, "domain": str(row.get("domain") or "other")})
    return out


def fit(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Logistic regression, classes balanced -> (weight, bias)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(x, y)
    return np.asarray(model.coef_[0], dtype=np.float32), float(model.intercept_[0])


def cross_validate(x: np.ndarray, y: np.ndarray, groups: Sequence[str], c: float) -> np.ndarray:
    """Out-of-group probabilities: each group scored by a head trained without it."""
    scores = np.zeros(len(y), dtype=np.float64)
    g = np.asarray(groups)
    for group in sorted(set(groups)):
        held = g == group
        w, b = fit(x[~held], y[~held], c)
        scores[held] = 1.0 / (1.0 + np.exp(-(x[held] @ w + b)))
    return scores


def curve(
    scores: np.ndarray, y: np.ndarray, hard: np.ndarray, thresholds: Sequence[float]
) -> list[dict[str, float]]:
    """Per threshold: job changes kept, hard (labelled) negatives and tweets stopped."""
    pos = scores[y == 1]
    neg_hard = scores[(y == 0) & hard]
    neg_tweet = scores[(y == 0) & ~hard]
    return [
        {
            "threshold": round(float(t), 3),
            "changes_kept": round(float((pos >= t).mean()), 4),
            "hard_negatives_stopped": round(float((neg_hard < t).mean()), 4),
            "tweets_stopped": round(float((neg_tweet < t).mean()), 4) if len(neg_tweet) else 0.0,
        }
        for t in thresholds
    ]


def pick_threshold(scores: np.ndarray, y: np.ndarray, target: float = TARGET_RECALL) -> float:
    """The highest threshold (0.01 steps) whose cross-validated recall is >= ``target``.

    0.0 (keep everything) when even 0.01 loses more changes than ``target`` allows: a head
    that confident in its mistakes must not quietly drop them.
    """
    pos = scores[y == 1]
    best = 0.0
    for t in np.arange(0.01, 1.0, 0.01):
        if (pos >= t).mean() >= target:
            best = float(round(t, 2))
    return best


def train(
    x: np.ndarray,
    y: np.ndarray,
    groups: Sequence[str],
    hard: np.ndarray,
    *,
    cs: Sequence[float] = CS,
    target: float = TARGET_RECALL,
    log: Callable[[str], None] = print,
) -> ChangeHead:
    """Cross-validate each C, keep the best, fit on everything; curve and C in ``meta``."""
    grid = [round(t, 2) for t in np.arange(0.05, 1.0, 0.05)]
    best: tuple[float, float, float, list[dict[str, float]]] | None = None
    for c in cs:
        scores = cross_validate(x, y, groups, c)
        th = pick_threshold(scores, y, target)
        stopped = float((scores[(y == 0) & hard] < th).mean()) if hard.any() else 0.0
        log(
            f"C={c}: threshold {th} keeps >= {target} of the changes, stops {stopped:.3f} "
            "of the hard negatives"
        )
        if best is None or stopped > best[1]:
            best = (c, stopped, th, curve(scores, y, hard, sorted({*grid, th})))
    assert best is not None
    c, _, th, cv = best
    w, b = fit(x, y, c)
    return ChangeHead(w, b, th, {"C": c, "target_recall": target, "cv_by_domain": cv})


def dev_check(sentiment: Path) -> dict[str, int]:
    """Changes ``tag jobs`` finds on the development tweets, without and with the head."""
    from enrich.jobs import extract_job_changes
    from enrich.jobs_gate_train import dev_posts

    posts = dev_posts(sentiment)
    texts = [p["text"] for p in posts]
    langs = [p["lang"] for p in posts]
    out = {"posts": len(posts)}
    for name, flag in (("without_head", False), ("with_head", True)):
        found = [[] for _ in texts]  # type: list[list[Any]]
        for la in ("fr", "en"):
            idx = [i for i, x in enumerate(langs) if x == la]
            res = extract_job_changes([texts[i] for i in idx], la, change_head=flag)
            for i, r in zip(idx, res, strict=True):
                found[i] = r
        out[name] = sum(1 for f in found if f)
        for f in found:
            for jc in f:
                print(f"  [{name}] {jc.sentence[:140]!r}")
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: Sequence[str] | None = None) -> None:
    from enrich.job_tagger_train import TRAIN_DIR
    from enrich.jobs_gate_train import ordinary_pool
    from enrich.routing import shared_encoder

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sentiment", type=Path, required=True, help="shared data/sentiment dir")
    ap.add_argument("--out", type=Path, default=HEAD_DIR)
    ap.add_argument("--folds", type=int, default=5, help="CV shares of the tweets")
    ap.add_argument("--cache", type=Path, help="npz of embeddings, reused when present")
    ap.add_argument("--dev", action="store_true", help="only the check on the dev tweets")
    args = ap.parse_args(argv)
    if args.dev:
        counts = dev_check(args.sentiment)
        print(counts, {k: round(1000 * v / counts["posts"], 1) for k, v in counts.items()})
        return
    files = sorted(TRAIN_DIR.glob("*.jsonl"))
    rows = training_rows(files)
    pool = ordinary_pool(args.sentiment)
    texts = [r["text"] for r in rows] + pool
    y = np.array([r["label"] for r in rows] + [0] * len(pool))
    hard = np.array([True] * len(rows) + [False] * len(pool))
    rng = random.Random(SEED)
    groups = [r["domain"] for r in rows] + [f"tweets-{rng.randrange(args.folds)}" for _ in pool]
    print(f"{len(rows)} labelled sentences ({int(y.sum())} changes), {len(pool)} tweets")
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    encoder = shared_encoder()
    if args.cache and args.cache.is_file() and str(np.load(args.cache)["digest"]) == digest:
        x = np.load(args.cache)["x"]
    else:
        x = encoder.embed(texts, max_length=MAX_TOKENS)
        if args.cache:
            np.savez(args.cache, x=x, digest=digest)
    head = train(x, y, groups, hard)
    sent = args.sentiment
    corpora = [
        sent / "deft2017_fr" / "train_text.txt",
        sent / "semeval2017_4a_en" / "train_text.txt",
    ]
    head.meta.update(
        {
            "encoder": getattr(encoder, "name", "?"),
            "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "seed": SEED,
            "max_tokens": MAX_TOKENS,
            "training": {
                "labelled_sentences": len(rows),
                "labelled_changes": int(y[: len(rows)].sum()),
                "tweets_with_trigger": len(pool),
                "texts_sha256": digest,
                "files": {f"enrich/data/jobs_train/{f.name}": _sha(f) for f in files},
                "corpora (texts not copied)": {
                    "DEFT 2017 French train (CeCILL, IRIT/LIMSI/CNRS)": _sha(corpora[0]),
                    "SemEval-2017 4A English train (research use)": _sha(corpora[1]),
                },
            },
        }
    )
    head.save(args.out)
    print(f"head written to {args.out} (C={head.meta['C']}, threshold {head.threshold})")
    for point in head.meta["cv_by_domain"]:
        print(point)


if __name__ == "__main__":
    main()
