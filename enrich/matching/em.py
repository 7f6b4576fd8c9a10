"""Training: Fellegi-Sunter m and u by EM, without labelled pairs.

Why EM: the alumni office has no labelled pairs. u comes from random pairs;
m is seeded by high-precision deterministic rules (:data:`SEED_RULES`) then
refined by EM over the whole alumni x profiles product (pairs outside
blocking count as posterior 0). :func:`train` is the entry point.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from enrich.matching.blocking import AlumniIndex, candidate_pairs
from enrich.matching.comparison import Comparison, compare
from enrich.matching.fsmodel import FSModel
from enrich.matching.levels import LEVELS, TF_FIELDS
from veille.i18n import _

#: One logger for the whole matcher, named as before the split (log lines unchanged).
log = logging.getLogger("enrich.matching")


def _frequencies(
    levels: np.ndarray, n_levels: int, weights: np.ndarray | None = None
) -> np.ndarray:
    ok = levels >= 0
    w = np.ones(len(levels)) if weights is None else weights
    counts = np.bincount(levels[ok].astype(np.int64), weights=w[ok], minlength=n_levels)
    counts = counts + 1e-3 * max(counts.sum(), 1.0) / n_levels  # smoothing: no zero u/m
    return np.asarray(counts / counts.sum())


def _active_fields(cmp: Comparison) -> list[str]:
    """Fields observed on at least a few pairs; the others carry no information."""
    return [f for f, lev in cmp.levels.items() if int((lev >= 0).sum()) >= 10]


def random_pair_u(
    index: AlumniIndex, prof: pd.DataFrame, *, n_pairs: int = 200_000, seed: int = 42
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """u probabilities from random (almost surely non-matching) pairs."""
    rng = np.random.default_rng(seed)
    n = int(min(n_pairs, max(len(index), 1) * max(len(prof), 1)))
    ai = rng.integers(0, len(index), n)
    pi = rng.integers(0, len(prof), n)
    cmp = compare(index.prep, prof, ai, pi)
    u = {f: _frequencies(lev, len(LEVELS[f])).tolist() for f, lev in cmp.levels.items()}
    u_exact: dict[str, float] = {}
    for fld in TF_FIELDS:
        lev = cmp.levels[fld]
        obs = lev >= 0
        top = len(LEVELS[fld]) - 1
        u_exact[fld] = float(max((lev[obs] == top).mean() if obs.any() else 0.0, 1e-6))
    return u, u_exact


def _patterns(cmp: Comparison, fields: Sequence[str], rows: np.ndarray) -> tuple[Any, Any]:
    """Distinct agreement patterns (P x F levels, -1 null) and their counts."""
    mat = np.stack([cmp.levels[f][rows].astype(np.int16) + 1 for f in fields], axis=1)
    code = np.zeros(len(mat), dtype=np.int64)
    for j in range(mat.shape[1]):
        code = code * 8 + mat[:, j]
    _, first, counts = np.unique(code, return_index=True, return_counts=True)
    return mat[first] - 1, counts.astype(float)


#: High-precision deterministic rules that seed m without labels. Each says
#: which fields it selects on; a field's m is learnt only from seeds of rules
#: that do not use it (their agreement there is forced, not observed).
#: Levels are named (at least this level), so adding a level cannot shift a rule.
SEED_RULES_BY_NAME: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "name_dob",
        {"first_name": "nickname", "last_name": "part_or_birth_name", "birth_date": "exact"},
    ),
    ("email_name", {"email": "exact", "last_name": "part_or_birth_name"}),
    ("email_first", {"email": "exact", "first_name": "nickname"}),
    ("linkedin", {"linkedin_url": "exact"}),
    ("orcid", {"orcid": "exact"}),
    (
        "name_postcode_address",
        {
            "first_name": "nickname",
            "last_name": "part_or_birth_name",
            "postcode": "exact",
            "address": "token_set>=90",
        },
    ),
    (
        "dob_postcode_address",
        {"birth_date": "exact", "postcode": "exact", "address": "token_set>=90"},
    ),
    (
        "name_dob_typo_postcode",
        {
            "first_name": "nickname",
            "last_name": "exact",
            "birth_date": "one_typo",
            "postcode": "exact",
        },
    ),
    (
        "name_dob_typo_birth_place",
        {
            "first_name": "nickname",
            "last_name": "exact",
            "birth_date": "one_typo",
            "birth_place": "exact",
        },
    ),
    ("dob_birth_place", {"birth_date": "exact", "birth_place": "exact", "last_name": "jw>=0.80"}),
)
SEED_RULES: tuple[tuple[str, dict[str, int]], ...] = tuple(
    (name, {f: LEVELS[f].index(lev) for f, lev in req.items()}) for name, req in SEED_RULES_BY_NAME
)


def _seed_masks(cmp: Comparison) -> dict[str, np.ndarray]:
    out = {}
    for name, req in SEED_RULES:
        if not all(f in cmp.levels for f in req):
            continue
        mask = np.ones(len(cmp), dtype=bool)
        for f, lev in req.items():
            mask &= cmp.levels[f] >= lev
        out[name] = mask
    return out


def fit_em(
    cmp: Comparison,
    u_random: Mapping[str, Sequence[float]],
    *,
    n_alumni: int,
    n_profiles: int,
    max_iter: int = 100,
    tol: float = 1e-5,
) -> FSModel:
    """Fellegi-Sunter by EM over *all* alumni x profile pairs, no labels.

    - u comes from random pairs (over the full product, matches are a
      vanishing share, so random pairs are the non-match distribution).
    - The prior is per random pair: lambda = matches / (alumni x profiles).
    - EM runs on the full product with blocking as its approximation: pairs
      outside the candidate set are taken to have posterior 0, so the E-step
      only visits candidates, and M-step updates m and lambda.
    - m starts from seeds (high-precision deterministic rules, each field's m
      from seeds of rules not using that field); lambda starts from the seed
      count.

    EM with free u on the blocked pairs only (the textbook ECM) was tried: on
    realistic data it settles on wrong splits ("same postcode or not"), since
    blocked non-matches share names, e-mail local parts and birth years.
    """
    fields = _active_fields(cmp)
    if not fields:
        raise ValueError(_("no comparable field between the two files"))
    seeds = _seed_masks(cmp)
    any_seed = np.zeros(len(cmp), dtype=bool)
    for mask in seeds.values():
        any_seed |= mask
    m: dict[str, np.ndarray] = {}
    u: dict[str, np.ndarray] = {}
    seed_counts: dict[str, int] = {}
    for f in fields:
        n_lev = len(LEVELS[f])
        prior = np.array([4.0**i for i in range(n_lev)])
        prior = prior / prior.sum()
        use = np.zeros(len(cmp), dtype=bool)
        for name, req in SEED_RULES:
            if name in seeds and f not in req:
                use |= seeds[name]
        lev = cmp.levels[f][use]
        obs = int((lev >= 0).sum())
        seed_counts[f] = obs
        if obs >= 20:
            m[f] = (obs * _frequencies(lev, n_lev) + 5 * prior) / (obs + 5)
        else:
            m[f] = prior
        u[f] = np.asarray(u_random.get(f, np.full(n_lev, 1.0 / n_lev)), dtype=float)
    pat, c = _patterns(cmp, fields, np.arange(len(cmp)))
    total_pairs = float(max(n_alumni, 1)) * float(max(n_profiles, 1))
    n_match = float(max(any_seed.sum(), 1))
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - read after the loop
        lam = min(n_match / total_pairs, 0.5)
        lm = np.zeros(len(pat))
        lu = np.zeros(len(pat))
        for j, f in enumerate(fields):
            ok = pat[:, j] >= 0
            lm[ok] += np.log(m[f][pat[ok, j]])
            lu[ok] += np.log(u[f][pat[ok, j]])
        logit = math.log(lam) - math.log1p(-lam) + lm - lu
        r = 1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700)))
        new_n = float(max((c * r).sum(), 1.0))
        delta = abs(new_n - n_match) / n_match
        n_match = new_n
        for j, f in enumerate(fields):
            new_m = _frequencies(pat[:, j], len(LEVELS[f]), c * r)
            delta = max(delta, float(np.abs(new_m - m[f]).max()))
            m[f] = new_m
        if delta < tol:
            break
    lam = min(n_match / total_pairs, 0.5)
    log.info(
        "EM: %.0f expected matches (lambda=%.3g per random pair) after %d iterations, "
        "%d candidate pairs, %d seed pairs",
        n_match,
        lam,
        it,
        len(cmp),
        int(any_seed.sum()),
    )
    return FSModel(
        m={f: m[f].tolist() for f in fields},
        u={f: u[f].tolist() for f in fields},
        lam=lam,
        trained={
            "pairs": len(cmp),
            "patterns": len(pat),
            "iterations": it,
            "seed_pairs": int(any_seed.sum()),
            "seed_observations": seed_counts,
            "expected_matches": n_match,
            "matches_per_profile": n_match / max(n_profiles, 1),
            "alumni": n_alumni,
            "profiles": n_profiles,
        },
    )


def train(
    index: AlumniIndex,
    prof: pd.DataFrame,
    *,
    seed: int = 42,
    cmp: Comparison | None = None,
    rule_counts: dict[str, int] | None = None,
) -> FSModel:
    """EM on the blocked candidate pairs, u initialised from random pairs.

    ``cmp``: the candidate pairs' comparison when the caller already has it
    (:func:`match_frames` computes it once for training and linking).
    """
    u, u_exact = random_pair_u(index, prof, seed=seed)
    if cmp is None:
        ai, pi = candidate_pairs(index, prof, rule_counts=rule_counts)
        cmp = compare(index.prep, prof, ai, pi)
    model = fit_em(cmp, u, n_alumni=len(index), n_profiles=len(prof))
    model.u_random_exact = {k: v for k, v in u_exact.items() if k in model.m}
    return model
