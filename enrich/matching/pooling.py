"""Pooling: profiles already linked to an alumnus complete that alumnus's record.

Why: several profiles of one person are evidence together. When the register
has an old postcode but three linked profiles agree on a new one, a fourth
profile with that postcode agrees with the person; a profile with a
misspelt surname can still be blocked with the completed record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from enrich.matching.blocking import AlumniIndex, candidate_pairs
from enrich.matching.comparison import Comparison, compare
from enrich.matching.fsmodel import FSModel
from enrich.matching.scoring import Scores, score

#: Evidence note of a link found by comparing with the pooled record.
POOLED_NOTE = "compared with the alumnus's record completed by the profiles already linked to them"
#: Linked profiles an alumnus needs before their pooled record is used.
POOL_MIN_PROFILES = 2
#: Prepared columns of each compared field (the first one is the value itself).
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "first_name": ("fn", "fn_init", "fn_is_init", "fn_phon"),
    "last_name": ("ln", "bn", "ln_aliases", "ln_phon"),
    "birth_date": ("dob", "dob_y", "dob_m", "dob_d"),
    "email": ("email", "email_local"),
    "city": ("city",),
    "postcode": ("postcode",),
    "address": ("address", "address_ns"),
    "employer": ("employer",),
    "job_title": ("job",),
    "birth_place": ("bp", "bp_phon"),
    "graduation_year": ("grad",),
    "linkedin_url": ("linkedin_url",),
    "orcid": ("orcid",),
}


def pooled_records(
    index: AlumniIndex, prof: pd.DataFrame, ai_link: np.ndarray, pi_link: np.ndarray
) -> pd.DataFrame:
    """Each alumnus's record completed by their linked profiles (prepared columns).

    Per field, the value most of the records (the alumnus's and the linked
    profiles') share; ties keep the alumnus's own value, an empty field takes
    the profiles' value. One typo in one record no longer decides.
    """
    n_a = len(index.prep)
    combined = pd.concat([index.prep, prof], ignore_index=True)
    owner = np.concatenate([np.arange(n_a), ai_link])
    src = np.concatenate([np.arange(n_a), n_a + pi_link])
    cons = index.prep.copy()
    for cols in FIELD_COLUMNS.values():
        if cols[0] not in combined.columns:
            continue
        key = combined[cols[0]].to_numpy()[src]
        frame = pd.DataFrame({"owner": owner, "key": key, "src": src})
        frame = frame[(frame["key"] != "") & (frame["key"] != 0)]
        counts = frame.groupby(["owner", "key"], sort=False).agg(
            n=("src", "size"), src=("src", "min")
        )
        counts = counts.reset_index()
        counts["own"] = counts["src"] < n_a
        counts = counts.sort_values(["owner", "n", "own"], ascending=[True, False, False])
        best = counts.drop_duplicates("owner")
        pick = np.arange(n_a)
        pick[best["owner"].to_numpy(np.int64)] = best["src"].to_numpy(np.int64)
        for c in cols:
            cons[c] = combined[c].to_numpy()[pick]
    return cons


def _pool_linked_profiles(
    index: AlumniIndex,
    prof: pd.DataFrame,
    model: FSModel,
    cmp: Comparison,
    sc: Scores,
    kept: np.ndarray,
    pooled: np.ndarray,
    prior: tuple[np.ndarray, pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Re-score unlinked profiles against pooled records; update ``cmp``/``sc`` in place.

    Only pairs whose alumnus has :data:`POOL_MIN_PROFILES` linked profiles
    (this run's links plus ``prior``: alumni rows and prepared profiles
    linked in earlier runs), and only where the pooled record scores higher;
    ``pooled`` marks them. Returns the pooled records and links per alumnus.
    """
    ai, pi = cmp.ai, cmp.pi
    pool_a, pool_p, pool_prof = ai[kept], pi[kept], prof
    if prior is not None and len(prior[0]):
        pool_prof = pd.concat([prof, prior[1]], ignore_index=True)
        pool_a = np.concatenate([pool_a, prior[0]])
        pool_p = np.concatenate([pool_p, len(prof) + np.arange(len(prior[1]))])
    n_links = np.bincount(pool_a, minlength=len(index.prep))
    if not (n_links >= POOL_MIN_PROFILES).any():
        return None
    cons = pooled_records(index, pool_prof, pool_a, pool_p)
    linked_p = np.zeros(len(prof), dtype=bool)
    linked_p[pi[kept]] = True
    sub = np.flatnonzero(~linked_p[pi] & (n_links[ai] >= POOL_MIN_PROFILES))
    if not len(sub):
        return cons, n_links
    cmp2 = compare(cons, prof, ai[sub], pi[sub])
    view = AlumniIndex(prep=cons, blocks=index.blocks, tf=index.tf, block_sizes=index.block_sizes)
    sc2 = score(model, cmp2, view, prof)
    better = sc2.total > sc.total[sub]
    upd = sub[better]
    for f in sc.weights:
        cmp.levels[f][upd] = cmp2.levels[f][better]
        sc.weights[f][upd] = sc2.weights[f][better]
    cmp.swapped[upd] = cmp2.swapped[better]
    sc.total[upd] = sc2.total[better]
    pooled[upd] = True
    return cons, n_links


def _pooled_new_pairs(
    index: AlumniIndex,
    prof: pd.DataFrame,
    model: FSModel,
    cons: pd.DataFrame,
    cmp: Comparison,
    kept: np.ndarray,
    n_links: np.ndarray,
) -> tuple[Comparison, Scores] | None:
    """Candidate pairs that only the pooled records reveal (blocking on them).

    A profile whose surname is misspelt and whose birth date is missing still
    meets, through its postcode and birthplace, the record that its
    already linked twins completed.
    """
    ai, pi = cmp.ai, cmp.pi
    rows = np.flatnonzero(n_links >= POOL_MIN_PROFILES)
    linked_p = np.zeros(len(prof), dtype=bool)
    linked_p[pi[kept]] = True
    free = np.flatnonzero(~linked_p)
    if not len(rows) or not len(free):
        return None
    sub_index = AlumniIndex.from_prepared(cons.iloc[rows].reset_index(drop=True))
    sa, sp = candidate_pairs(sub_index, prof.iloc[free].reset_index(drop=True))
    na, npi = rows[sa], free[sp]
    n_p = max(len(prof), 1)
    seen = np.isin(na.astype(np.int64) * n_p + npi, ai.astype(np.int64) * n_p + pi)
    na, npi = na[~seen], npi[~seen]
    if not len(na):
        return None
    cmp2 = compare(cons, prof, na, npi)
    view = AlumniIndex(prep=cons, blocks=index.blocks, tf=index.tf, block_sizes=index.block_sizes)
    return cmp2, score(model, cmp2, view, prof)


def _concat(
    cmp: Comparison, sc: Scores, cmp2: Comparison, sc2: Scores
) -> tuple[Comparison, Scores]:
    cat = np.concatenate
    joined = Comparison(
        ai=cat([cmp.ai, cmp2.ai]),
        pi=cat([cmp.pi, cmp2.pi]),
        levels={f: cat([v, cmp2.levels[f]]) for f, v in cmp.levels.items()},
        swapped=cat([cmp.swapped, cmp2.swapped]),
    )
    scores = Scores(
        weights={f: cat([v, sc2.weights[f]]) for f, v in sc.weights.items()},
        total=cat([sc.total, sc2.total]),
        probability=cat([sc.probability, sc2.probability]),
    )
    return joined, scores
