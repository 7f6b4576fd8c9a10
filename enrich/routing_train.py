"""Training of the routing head (``veille route train``), by grouped cross-validation.

The labelled lines are read by :mod:`enrich.routing_data`; the scores that ``veille route
eval`` and the benchmark print are :mod:`enrich.routing_scores`'s.

Why grouped cross-validation: a router is used on texts unlike its training
lines, so ``C`` is chosen on folds that hold out whole source labels (every
phrasing of one intent at once), not a random slice of the same bot. The
out-of-fold probabilities of that search also calibrate the triage
threshold. The held-out split is different: whole sources, frozen, scored
once by ``benchmarks/routing_eval.py``.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from enrich.routing_data import load_label_map
from enrich.routing_model import Head, combine, fit_head
from enrich.routing_scores import macro_f1
from enrich.routing_text_head import fit_text_head, mix

log = logging.getLogger(__name__)

C_GRID = (1.0, 4.0, 16.0, 32.0, 64.0)
#: Exponents tried for the prototype prior on the head's teams (0 = the head alone).
PROTO_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
#: Exponents tried for the text head's probabilities (0 = the embedding head alone).
TEXT_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


class EmbeddingCache:
    """Embeddings keyed by text hash, kept in one ``.npz`` (training re-reads it)."""

    #: Key of the entry naming the encoder (and length) the cached vectors come from.
    NAME_KEY = "__encoder__"

    def __init__(self, encoder: Any, path: Path | None = None, max_length: int = 128) -> None:
        self.encoder = encoder
        self.path = path
        self.max_length = max_length
        self.name = f"{getattr(encoder, 'name', type(encoder).__name__)}:{max_length}"
        self.store: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            with np.load(path) as data:
                store = {k: data[k] for k in data.files}
            made_by = str(store.pop(self.NAME_KEY, ""))
            if made_by == self.name:
                self.store = store
            else:  # vectors of another encoder would silently mix two spaces
                log.warning(
                    "embedding cache %s holds %s vectors, not %s: not used",
                    path,
                    made_by or "unnamed",
                    self.name,
                )

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = sorted({t for t in texts if self.key(t) not in self.store})
        if missing:
            log.info("embedding %d new text(s)", len(missing))
            for i in range(0, len(missing), 512):
                chunk = missing[i : i + 512]
                vectors = self.encoder.embed(chunk, max_length=self.max_length)
                for t, v in zip(chunk, vectors, strict=True):
                    self.store[self.key(t)] = v
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                named = {**self.store, self.NAME_KEY: np.array(self.name)}
                np.savez(self.path, **named)  # type: ignore[arg-type]
        dim = next(iter(self.store.values())).shape[0] if self.store else 0
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        return np.vstack([self.store[self.key(t)] for t in texts]).astype(np.float32)


def fold_of(groups: Sequence[str], n_folds: int = 5, chunk: int = 50) -> np.ndarray:
    """Fold number per line: a source label's lines go together, by chunks of ``chunk``.

    Small labels (an intent's 20 phrasings) land whole in one fold; big ones
    (2,000 tickets of one category) are cut in chunks, so that no team loses
    all its training data in one fold.
    """
    seen: dict[str, int] = {}
    keys = []
    for g in groups:
        i = seen.get(g, 0)
        seen[g] = i + 1
        keys.append(f"{g}#{i // chunk}")
    order = {k: i % n_folds for i, k in enumerate(sorted(set(keys)))}
    return np.array([order[k] for k in keys])


def source_weights(
    sources: Sequence[str], label_map: dict[str, dict[str, Any]] | None = None
) -> np.ndarray:
    """Each line's weight: its source's ``weight`` in the label map (1 when not set).

    Why: the few lines of the kind veille routes (news and posts about an institution)
    would otherwise count as much as one of the thousands of chatbot requests each.
    """
    specs = load_label_map() if label_map is None else label_map
    return np.array([float(specs.get(s, {}).get("weight", 1.0)) for s in sources])


def oof_probs(
    x: np.ndarray,
    y: Sequence[str],
    groups: Sequence[str],
    c: float,
    n_folds: int = 5,
    sample_weight: np.ndarray | None = None,
) -> tuple[list[str], np.ndarray]:
    """Out-of-fold probabilities over all teams of ``y``, a source label never split.

    Whole small labels are held out (e.g. every "library hours" question at
    once), so the score is that of phrasings and topics the head has not seen,
    while every team keeps examples in training (leaving out a whole source
    would leave out the only alumni or IT data). Rows of a fold that could not
    be fitted (fewer than two teams left) stay at zero.
    """
    y_arr = np.asarray(y)
    classes = sorted(set(y))
    folds = fold_of(groups, n_folds)
    probs = np.zeros((len(y), len(classes)), dtype=np.float32)
    for k in range(n_folds):
        test = folds == k
        train = ~test
        if len(set(y_arr[train])) < 2:
            continue
        weights = sample_weight[train] if sample_weight is not None else None
        head = fit_head(x[train], list(y_arr[train]), c=c, weights=weights)
        cols = np.array([classes.index(t) for t in head.classes])
        probs[np.ix_(np.flatnonzero(test), cols)] = head.predict_proba(x[test])
    return classes, probs


def oof_text_probs(
    texts: Sequence[str],
    y: Sequence[str],
    groups: Sequence[str],
    classes: Sequence[str],
    n_folds: int = 5,
    sample_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Out-of-fold text-head probabilities over ``classes``, on the embedding head's folds.

    Each fold's text head learns from the fold's training lines that have a text (``""``
    marks a line that ships only as a vector); every line of the held-out fold is scored,
    vector-only lines too (their text is unknown to the head, so they get a flat row).
    """
    y_arr = np.asarray(y)
    has_text = np.array([bool(t) for t in texts])
    folds = fold_of(groups, n_folds)
    out = np.full((len(y), len(classes)), 1.0 / len(classes), dtype=np.float32)
    for k in range(n_folds):
        test = folds == k
        train = ~test & has_text
        if len(set(y_arr[train])) < 2:
            continue
        weights = sample_weight[train] if sample_weight is not None else None
        try:
            head = fit_text_head(
                [texts[int(i)] for i in np.flatnonzero(train)], y_arr[train], weights
            )
        except ValueError:  # too few texts for any n-gram seen twice: a flat fold
            continue
        rows = np.flatnonzero(test & has_text)
        if len(rows):
            probs = head.predict_proba([texts[int(i)] for i in rows])
            flat = np.ones((len(rows), len(classes)), dtype=np.float32)
            out[rows] = mix(flat, classes, probs, head.classes, 1.0)
    return out


def _choose_text_weight(
    y: Sequence[str],
    oof: tuple[list[str], np.ndarray],
    text_probs: np.ndarray,
    weight_grid: Sequence[float],
    report: dict[str, Any],
    current: float | None = None,
) -> tuple[float, np.ndarray]:
    """The text weight on the out-of-fold probabilities: the grid's most accurate (ties:
    smaller), or ``current`` while within one standard error of it (:func:`keep_or_best`).

    Returns the weight and the mixed out-of-fold probabilities (the prototype prior is
    chosen on them next, as it is applied after the mix when routing).
    """
    classes, probs = oof
    scored = probs.sum(axis=1) > 0
    gold = np.asarray(y)
    accs: dict[float, float] = {}
    mixes: dict[float, np.ndarray] = {}
    report["cv_text_weight"] = {}
    for w in sorted(weight_grid):
        mixed = mix(probs, classes, text_probs, classes, w)
        _, pred = _top(classes, mixed)
        acc = float(np.mean(np.asarray(pred)[scored] == gold[scored])) if scored.any() else 0.0
        report["cv_text_weight"][str(w)] = round(acc, 4)
        log.info("text head weight %g: grouped CV accuracy %.3f", w, acc)
        accs[float(w)], mixes[float(w)] = acc, mixed
    chosen = keep_or_best(accs, int(scored.sum()), current)
    return chosen, mixes[chosen]


def _top(classes: Sequence[str], probs: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """``(top probability, predicted team)`` per line; ``""`` where a line was not scored."""
    scored = probs.sum(axis=1) > 0
    best = probs.argmax(axis=1)
    top = np.where(scored, probs.max(axis=1), 0.0).astype(np.float32)
    return top, [classes[int(k)] if ok else "" for k, ok in zip(best, scored, strict=True)]


def keep_or_best(scores: dict[float, float], n: int, current: float | None) -> float:
    """The grid value to use: ``current`` while it is within one standard error of the best.

    Why: the grid's cross-validated accuracies differ by tenths of a point, less than their
    own noise (one standard error is about 0.6 point on 4,700 lines). Taking the maximum
    each time made consecutive retrains jump (C 16 -> 4 -> 32, the triage threshold 0.85 ->
    0.75 -> 0.90) on 2 % more lines. A retrain now keeps the settings of the head it
    replaces unless another value is better by more than the noise; the first training
    (no current head) takes the best, ties to the first value in the grid's order.
    """
    best = max(scores, key=scores.__getitem__)  # ties: the first in the grid's order
    if current is None or n <= 0:
        return best
    match = [k for k in scores if abs(k - current) < 1e-9]
    if not match:
        return best
    se = float(np.sqrt(max(scores[best] * (1.0 - scores[best]), 1e-12) / n))
    return match[0] if scores[match[0]] >= scores[best] - se else best


def calibrate_threshold(top: np.ndarray, correct: np.ndarray, target: float = 0.9) -> float:
    """Lowest threshold above which routed lines are at least ``target`` right.

    Lines under it go to triage. Falls back to the threshold that keeps the
    best accuracy when no threshold reaches the target.
    """
    best_t, best_acc = 0.0, -1.0
    for t in np.round(np.arange(0.0, 0.96, 0.05), 2):
        kept = top >= t
        if kept.sum() < max(10, 0.5 * len(top)):
            break
        acc = float(correct[kept].mean())
        if acc >= target:
            return float(t)
        if acc > best_acc:
            best_t, best_acc = float(t), acc
    return best_t


@dataclass(frozen=True)
class Prototypes:
    """The team prototypes' cosine similarities to each training line, for the prior."""

    sims: np.ndarray  # (n_lines, n_teams)
    teams: list[str]
    temperature: float


def _choose_proto_weight(
    y: Sequence[str],
    oof: tuple[list[str], np.ndarray],
    protos: Prototypes,
    weight_grid: Sequence[float],
    report: dict[str, Any],
    current: float | None = None,
) -> tuple[float, np.ndarray, list[str]]:
    """The prior weight on the out-of-fold probabilities: the grid's most accurate (ties:
    smaller), or ``current`` while within one standard error of it (:func:`keep_or_best`).

    Returns the weight and the out-of-fold ``(top, predicted team)`` it gives,
    which calibrate the triage threshold.
    """
    classes, probs = oof
    scored = probs.sum(axis=1) > 0
    gold = np.asarray(y)
    accs: dict[float, float] = {}
    routes: dict[float, tuple[np.ndarray, list[str]]] = {}
    report["cv_proto_weight"] = {}
    for w in sorted(weight_grid):
        teams, mixed = combine(probs, classes, protos.sims, protos.teams, protos.temperature, w)
        mixed[~scored] = 0.0
        top, pred = _top(teams, mixed)
        acc = float(np.mean(np.asarray(pred)[scored] == gold[scored])) if scored.any() else 0.0
        report["cv_proto_weight"][str(w)] = round(acc, 4)
        log.info("prototype prior weight %g: grouped CV accuracy %.3f", w, acc)
        accs[float(w)], routes[float(w)] = acc, (top, pred)
    chosen = keep_or_best(accs, int(scored.sum()), current)
    return chosen, *routes[chosen]


def train(
    x: np.ndarray,
    y: Sequence[str],
    groups: Sequence[str],
    *,
    c_grid: Sequence[float] = C_GRID,
    meta: dict[str, Any] | None = None,
    sample_weight: Sequence[float] | None = None,
    protos: Prototypes | None = None,
    weight_grid: Sequence[float] = PROTO_WEIGHTS,
    texts: Sequence[str] | None = None,
    text_grid: Sequence[float] = TEXT_WEIGHTS,
    current: dict[str, float] | None = None,
    fixed: dict[str, float] | None = None,
) -> tuple[Head, dict[str, Any]]:
    """Choose C, then the text head's weight, then the prototype prior's weight, by grouped
    cross-validation accuracy; calibrate the threshold on the out-of-fold routes; fit on
    everything.

    ``current`` holds the settings of the head being replaced (``C``, ``text_weight``,
    ``proto_weight``): each is kept while it is within one standard error of the grid's
    best (:func:`keep_or_best`), so that a retrain on a few more lines does not jump.

    ``texts`` gives each line's text, ``""`` for lines that ship only as vectors: the text
    head (:mod:`enrich.routing_text_head`) learns from the others. The head returned
    carries it as ``head.text_head`` when its chosen weight is above zero.

    The weight is chosen on the same folds as C, with C fixed (the prior only
    re-weights the head's out-of-fold probabilities, so no refit is needed). Each fold is
    fitted with ``sample_weight`` as the final head is (source weights, UI corrections), so
    C is chosen for the head that ships.

    ``fixed`` (``C``, ``text_weight``, ``proto_weight``, ``threshold``) replaces the grids
    and the calibration by settings chosen elsewhere: for an encoder tuned on these very
    lines, whose cross-validation is optimistic (``routing_pipeline.tuned_settings``).
    """
    if fixed:
        c_grid = (fixed.get("C", c_grid[0]),)
        text_grid = (fixed.get("text_weight", 0.0),)
        weight_grid = (fixed.get("proto_weight", 0.0),)
    y = list(y)
    weights = np.asarray(sample_weight, dtype=np.float64) if sample_weight is not None else None
    report: dict[str, Any] = {"n": len(y), "teams": dict(Counter(y)), "cv": {}}
    current = current or {}
    best_c, best_top, best_pred = c_grid[0], None, None
    best_probs: tuple[list[str], np.ndarray] | None = None
    if len(set(groups)) >= 2:
        accs: dict[float, float] = {}
        fits: dict[float, tuple[list[str], np.ndarray]] = {}
        n_scored = 0
        for c in c_grid:
            classes, probs = oof_probs(x, y, groups, c, sample_weight=weights)
            _, pred = _top(classes, probs)
            mask = np.array([p != "" for p in pred])
            gold = [g for g, m in zip(y, mask, strict=True) if m]
            got = [p for p, m in zip(pred, mask, strict=True) if m]
            acc = float(np.mean([g == p for g, p in zip(gold, got, strict=True)])) if gold else 0.0
            score = macro_f1(gold, got) if gold else 0.0
            report["cv"][str(c)] = {"accuracy": round(acc, 4), "macro_f1": round(score, 4)}
            log.info("C=%g grouped CV accuracy %.3f macro-F1 %.3f", c, acc, score)
            accs[float(c)], fits[float(c)], n_scored = acc, (classes, probs), len(gold)
        best_c = keep_or_best(accs, n_scored, current.get("C"))
        best_probs = fits[best_c]
        best_top, best_pred = _top(*best_probs)
    text_weight, text_head = 0.0, None
    has_text = sum(1 for t in texts or [] if t)
    text_teams = {team for team, t in zip(y, texts or [], strict=False) if t}
    if texts is not None and len(text_teams) >= 2 and best_probs is not None:
        text_probs = oof_text_probs(texts, y, groups, best_probs[0], sample_weight=weights)
        text_weight, mixed = _choose_text_weight(
            y, best_probs, text_probs, text_grid, report, current.get("text_weight")
        )
        best_probs = (best_probs[0], mixed)
        best_top, best_pred = _top(*best_probs)
        if text_weight:
            rows = [i for i, t in enumerate(texts) if t]
            try:
                text_head = fit_text_head(
                    [texts[i] for i in rows],
                    [y[i] for i in rows],
                    weights[rows] if weights is not None else None,
                )
            except ValueError as exc:  # cross-validation chose it, so this is unexpected
                log.warning("text head not fitted (%s): the embedding head routes alone", exc)
    proto_weight = 0.0
    if protos is not None and best_probs is not None:
        proto_weight, best_top, best_pred = _choose_proto_weight(
            y, best_probs, protos, weight_grid, report, current.get("proto_weight")
        )
    threshold = 0.5
    if best_top is not None and best_pred is not None:
        mask = np.array([p != "" for p in best_pred])
        correct = np.array([g == p for g, p in zip(y, best_pred, strict=True)])
        threshold = calibrate_threshold(best_top[mask], correct[mask])
    if fixed and "threshold" in fixed:
        threshold = fixed["threshold"]
    head = fit_head(x, y, c=best_c, weights=weights, meta=dict(meta or {}))
    head.meta.update({"threshold": threshold, "cv": report["cv"], "n_train": len(y)})
    head.text_head = text_head
    head.meta.update(
        {
            "text_weight": text_weight if text_head is not None else 0.0,
            "cv_text_weight": report.get("cv_text_weight", {}),
            "n_text": has_text,
        }
    )
    if protos is not None:
        head.meta.update(
            {
                "proto_temperature": protos.temperature,
                "proto_weight": proto_weight,
                "cv_proto_weight": report.get("cv_proto_weight", {}),
            }
        )
    report.update(
        {
            "C": best_c,
            "threshold": threshold,
            "proto_weight": proto_weight,
            "text_weight": head.meta["text_weight"],
        }
    )
    return head, report


def fit_temperature(sims: np.ndarray, y: Sequence[str], names: Sequence[str]) -> float:
    """Softmax temperature of prototype similarities that best predicts the training teams.

    ``sims``: each training line's cosine similarity to the prototypes of ``names``.
    Zero-shot scoring (description vs text) is only used for teams the head has
    no data for; this fits how peaked it is on the teams that do have data.
    """
    from enrich.routing_model import softmax

    idx = {n: i for i, n in enumerate(names)}
    rows = [i for i, t in enumerate(y) if t in idx]
    if not rows:
        return 0.02
    known = sims[rows]
    gold = np.array([idx[y[i]] for i in rows])
    best_t, best_ll = 0.02, -np.inf
    for t in (0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.08):
        p = softmax(known / t)[np.arange(len(rows)), gold]
        ll = float(np.mean(np.log(np.maximum(p, 1e-9))))
        if ll > best_ll:
            best_t, best_ll = t, ll
    return best_t
