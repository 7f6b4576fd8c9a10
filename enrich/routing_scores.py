"""Scores of a routing head on labelled lines (``veille route eval``, the benchmark).

Accuracy, macro-F1 (also the cross-validation's second figure in :mod:`enrich.routing_train`),
per-language accuracy and confusion matrices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    labels = sorted(set(gold))
    scores = []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p != lab)
        denom = 2 * tp + fp + fn
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores)) if scores else 0.0


@dataclass
class Scores:
    """What ``veille route eval`` and the benchmark print."""

    n: int
    accuracy: float
    macro_f1: float
    by_lang: dict[str, tuple[int, float]]
    labels: list[str]
    confusion: dict[str, np.ndarray]  # per language, plus "all"
    triage: int


def score(
    gold: Sequence[str], pred: Sequence[str], langs: Sequence[str], triage: Sequence[bool]
) -> Scores:
    labels = sorted(set(gold) | set(pred))
    pos = {lab: i for i, lab in enumerate(labels)}
    conf: dict[str, np.ndarray] = {}
    by_lang: dict[str, tuple[int, float]] = {}
    for lang in ["all", *sorted(set(langs))]:
        m = np.zeros((len(labels), len(labels)), dtype=np.int64)
        hits = n = 0
        for g, p, lg in zip(gold, pred, langs, strict=True):
            if lang in ("all", lg):
                m[pos[g], pos[p]] += 1
                n += 1
                hits += int(g == p)
        conf[lang] = m
        if lang != "all":
            by_lang[lang] = (n, hits / n if n else 0.0)
    acc = float(np.mean([g == p for g, p in zip(gold, pred, strict=True)])) if gold else 0.0
    return Scores(len(gold), acc, macro_f1(gold, pred), by_lang, labels, conf, sum(triage))


def format_scores(s: Scores) -> str:
    """Plain-text report: accuracy, macro-F1, per-language accuracy and confusion matrices."""
    lines = [
        f"lines: {s.n}  accuracy: {s.accuracy:.4f}  macro-F1: {s.macro_f1:.4f}  "
        f"to triage: {s.triage}"
    ]
    for lang, (n, acc) in s.by_lang.items():
        lines.append(f"  {lang}: {n} line(s), accuracy {acc:.4f}")
    short = [lab[:8] for lab in s.labels]
    for lang, m in s.confusion.items():
        if not m.sum():
            continue
        lines.append(f"confusion ({lang}; rows = gold, columns = routed):")
        lines.append(" " * 18 + " ".join(f"{c:>8}" for c in short))
        for lab, row in zip(s.labels, m, strict=True):
            if row.sum():
                lines.append(f"  {lab:<16}" + " ".join(f"{v:>8}" for v in row))
    return "\n".join(lines)
