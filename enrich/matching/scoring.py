"""Scoring: per-field log2 Bayes factors, their sum, and probabilities.

Why separate from training: a stored model scores new profiles on every host
without retraining. Exact agreement on common values ("Martin") weighs less
than on rare ones ("Quaresma") through term-frequency adjustment;
:func:`exclusive_probability` keeps two equally good candidates of one
profile from both looking certain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from enrich.matching.blocking import AlumniIndex
from enrich.matching.comparison import Comparison, _obj
from enrich.matching.fsmodel import FSModel
from enrich.matching.levels import LEVELS, TF_COLUMNS, TF_FIELDS


@dataclass
class Scores:
    """Per-pair total weight and probability, and per-field weights for evidence."""

    weights: dict[str, np.ndarray]
    total: np.ndarray
    probability: np.ndarray


def score(model: FSModel, cmp: Comparison, index: AlumniIndex, prof: pd.DataFrame) -> Scores:
    """log2 Bayes factors per field (TF-adjusted on exact names/city) and the posterior."""
    n = len(cmp)
    weights: dict[str, np.ndarray] = {}
    total = np.full(n, math.log2(model.prior(len(index)) / (1 - model.prior(len(index)))))
    cols = TF_COLUMNS
    for fld in model.m:
        lev = cmp.levels[fld]
        w = np.zeros(n)
        ok = lev >= 0
        w[ok] = model.weights(fld)[lev[ok]]
        if fld in TF_FIELDS and fld in model.u_random_exact and fld in index.tf:
            top = len(LEVELS[fld]) - 1
            ex = lev == top
            if ex.any():
                vals = _obj(index.prep[cols[fld]])[cmp.ai[ex]]
                if fld in ("first_name", "last_name"):
                    # after a swap, the agreeing value is the alumnus's own field anyway
                    pass
                tf_map = index.tf[fld]
                floor = 1.0 / max(len(index), 1)
                tf = np.array([tf_map.get(v, floor) for v in vals])
                adj = np.log2(model.u_random_exact[fld] / np.clip(tf, floor, None))
                w[ex] += np.clip(adj, -6.0, 8.0)
        weights[fld] = w
        total = total + w
    prob = 1.0 / (1.0 + np.exp2(-np.clip(total, -60, 60)))
    return Scores(weights=weights, total=total, probability=prob)


def exclusive_probability(pi: np.ndarray, total: np.ndarray) -> np.ndarray:
    """P(profile = this alumnus) when a profile is at most one alumnus.

    With odds o_k of each candidate of a profile, o_k / (1 + sum_j o_j): two
    equally good "Jean Martin" candidates each get under 0.5 instead of
    both looking certain, so an ambiguous name is not linked.
    """
    odds = np.exp2(np.clip(total, -60, 60))
    sums = np.bincount(pi, weights=odds, minlength=int(pi.max()) + 1 if len(pi) else 0)
    return np.asarray(odds / (1.0 + sums[pi]))
