"""Comparisons: graded agreement levels per field for each candidate pair.

Why vectorised and per distinct value pair: many candidate pairs share the
same (alumnus value, profile value), so string similarities are computed once
per distinct pair (``rapidfuzz.process.cpdist``); first/last name swaps are
detected per pair. The level codes index :data:`enrich.matching.levels.LEVELS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from enrich import names


def _pair_scores(
    a: np.ndarray, b: np.ndarray, ai: np.ndarray, pi: np.ndarray, scorer: Any
) -> np.ndarray:
    """Score each pair once per distinct (a value, b value); NaN where one side is empty."""
    out = np.full(len(ai), np.nan)
    if not len(ai):
        return out
    ca, ua = pd.factorize(a)
    cb, ub = pd.factorize(b)
    pa, pb = ca[ai], cb[pi]
    ok = (np.asarray(ua, dtype=object)[pa] != "") & (np.asarray(ub, dtype=object)[pb] != "")
    if not ok.any():
        return out
    key = pa[ok].astype(np.int64) * len(ub) + pb[ok]
    uk, inv = np.unique(key, return_inverse=True)
    qa = np.asarray(ua, dtype=object)[uk // len(ub)].tolist()
    qb = np.asarray(ub, dtype=object)[uk % len(ub)].tolist()
    sims = process.cpdist(qa, qb, scorer=scorer, workers=-1, dtype=np.float32)
    out[ok] = np.asarray(sims, dtype=float)[inv]
    return out


def _per_distinct_pair(xs: np.ndarray, ys: np.ndarray, test: Any) -> np.ndarray:
    """``test(x, y)`` for each pair, evaluated once per distinct (x, y)."""
    cx, ux = pd.factorize(pd.Series(xs, dtype=object))
    cy, uy = pd.factorize(pd.Series(ys, dtype=object))
    key = cx.astype(np.int64) * max(len(uy), 1) + cy
    uk, inv = np.unique(key, return_inverse=True)
    ux_, uy_ = np.asarray(ux, dtype=object), np.asarray(uy, dtype=object)
    vals = np.fromiter(
        (test(ux_[k // max(len(uy), 1)], uy_[k % max(len(uy), 1)]) for k in uk.tolist()),
        dtype=bool,
        count=len(uk),
    )
    return vals[inv]


def _obj(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype=object)


@dataclass
class Comparison:
    """Agreement levels of each candidate pair, plus what TF adjustment needs."""

    ai: np.ndarray
    pi: np.ndarray
    levels: dict[str, np.ndarray]
    #: Pairs where first and last name were compared crosswise (swapped fields).
    swapped: np.ndarray

    def __len__(self) -> int:
        return len(self.ai)


def _levels_by_thresholds(sim: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    lev = np.zeros(len(sim), dtype=np.int8)
    for i, t in enumerate(thresholds, start=1):
        lev[sim >= t] = i
    lev[np.isnan(sim)] = -1
    return lev


def compare(ap: pd.DataFrame, pp: pd.DataFrame, ai: np.ndarray, pi: np.ndarray) -> Comparison:
    """Graded agreement level of every field for every candidate pair."""
    jw = JaroWinkler.normalized_similarity
    levels: dict[str, np.ndarray] = {}
    a_fn, p_fn, a_ln, p_ln = _obj(ap["fn"]), _obj(pp["fn"]), _obj(ap["ln"]), _obj(pp["ln"])
    fn_sim = _pair_scores(a_fn, p_fn, ai, pi, jw)
    ln_sim = _pair_scores(a_ln, p_ln, ai, pi, jw)
    x1 = _pair_scores(a_fn, p_ln, ai, pi, jw)
    x2 = _pair_scores(a_ln, p_fn, ai, pi, jw)
    straight = np.nan_to_num(fn_sim) + np.nan_to_num(ln_sim)
    crossed = np.nan_to_num(x1) + np.nan_to_num(x2)
    swapped = (np.nan_to_num(x1) >= 0.92) & (np.nan_to_num(x2) >= 0.92) & (crossed > straight)
    fn_sim = np.where(swapped, x1, fn_sim)
    ln_sim = np.where(swapped, x2, ln_sim)
    # Values as seen after swapping, for exact/nickname/initial tests.
    p_fn_eff = np.where(swapped, p_ln[pi], p_fn[pi])
    p_ln_eff = np.where(swapped, p_fn[pi], p_ln[pi])

    # First name.
    lev = _levels_by_thresholds(fn_sim, (0.80, 0.92))
    lev[lev >= 1] += 1  # make room for "initial" at 1
    a_init, p_init = _obj(ap["fn_init"])[ai], _obj(pp["fn_init"])[pi]
    a_isi, p_isi = ap["fn_is_init"].to_numpy()[ai], pp["fn_is_init"].to_numpy()[pi]
    p_init_eff = np.where(swapped, pd.Series(p_fn_eff).str[:1].to_numpy(dtype=object), p_init)
    init_ok = (a_isi | p_isi) & (
        (a_init == p_init_eff) | (pd.Series(a_init).str[:1] == pd.Series(p_init_eff).str[:1])
    )
    lev[(lev >= 0) & (lev < 1) & init_ok] = 1
    a_fn_pairs = a_fn[ai]
    nick = np.zeros(len(ai), dtype=bool)
    cand = (lev >= 0) & (a_fn_pairs != p_fn_eff)
    if cand.any():
        idx = np.flatnonzero(cand)
        groups: dict[str, frozenset[str]] = {}

        def group(x: str) -> frozenset[str]:
            g = groups.get(x)
            if g is None:
                g = groups[x] = names.nickname_groups(x) - {f"n:{x}"}
            return g

        # only names that have a nickname group at all can be nicknames of each other
        known = {
            u: bool(group(u)) for u in pd.unique(np.concatenate([a_fn_pairs[idx], p_fn_eff[idx]]))
        }
        both = pd.Series(a_fn_pairs[idx]).map(known).to_numpy(dtype=bool) & pd.Series(
            p_fn_eff[idx]
        ).map(known).to_numpy(dtype=bool)
        idx = idx[both]
        if len(idx):
            nick[idx] = _per_distinct_pair(
                a_fn_pairs[idx], p_fn_eff[idx], lambda x, y: not group(x).isdisjoint(group(y))
            )
    lev[nick] = 4
    lev[(lev >= 0) & (a_fn_pairs == p_fn_eff)] = 5
    levels["first_name"] = lev

    # Last name: exact, shared part / birth name, fuzzy.
    lev = _levels_by_thresholds(ln_sim, (0.80, 0.92))
    a_alias = _obj(ap["ln_aliases"])[ai]
    p_alias_straight = _obj(pp["ln_aliases"])[pi]
    part = np.zeros(len(ai), dtype=bool)
    cand = (lev >= 0) & (lev < 3) & ~swapped
    if cand.any():
        idx = np.flatnonzero(cand)
        # two one-part surnames that differ share no part: test only compound ones
        many = (pd.Series(a_alias[idx]).map(len).to_numpy() > 1) | (
            pd.Series(p_alias_straight[idx]).map(len).to_numpy() > 1
        )
        idx = idx[many]
        if len(idx):
            part[idx] = _per_distinct_pair(
                a_alias[idx], p_alias_straight[idx], lambda x, y: not set(x).isdisjoint(y)
            )
    lev[part] = 3
    lev[(lev >= 0) & (a_ln[ai] == p_ln_eff)] = 4
    levels["last_name"] = lev

    # Birth date.
    a_dob, p_dob = _obj(ap["dob"])[ai], _obj(pp["dob"])[pi]
    has = (a_dob != "") & (p_dob != "")
    lev = np.full(len(ai), -1, dtype=np.int8)
    lev[has] = 0
    if has.any():
        ay, am, ad = (_obj(ap[c])[ai] for c in ("dob_y", "dob_m", "dob_d"))
        py, pm, pd_ = (_obj(pp[c])[pi] for c in ("dob_y", "dob_m", "dob_d"))
        same = (ay == py).astype(int) + (am == pm).astype(int) + (ad == pd_).astype(int)
        lev[has & (ay == py)] = 1
        lev[has & (same >= 2)] = 2
        dl = _pair_scores(_obj(ap["dob"]), _obj(pp["dob"]), ai, pi, DamerauLevenshtein.distance)
        lev[has & (dl <= 1)] = 3
        dm_swap = (ay == py) & (am == pd_) & (ad == pm)
        lev[has & dm_swap] = 4
        lev[has & (a_dob == p_dob)] = 5
    levels["birth_date"] = lev

    # E-mail.
    a_em, p_em = _obj(ap["email"])[ai], _obj(pp["email"])[pi]
    has = (a_em != "") & (p_em != "")
    lev = np.where(has, 0, -1).astype(np.int8)
    a_loc, p_loc = _obj(ap["email_local"])[ai], _obj(pp["email_local"])[pi]
    lev[has & (a_loc == p_loc)] = 1
    lev[has & (a_em == p_em)] = 2
    levels["email"] = lev

    # City (TF on exact).
    sim = _pair_scores(_obj(ap["city"]), _obj(pp["city"]), ai, pi, jw)
    lev = _levels_by_thresholds(sim, (0.88,))
    lev[(lev >= 0) & (_obj(ap["city"])[ai] == _obj(pp["city"])[pi])] = 2
    levels["city"] = lev

    # Postcode.
    a_pc, p_pc = _obj(ap["postcode"])[ai], _obj(pp["postcode"])[pi]
    has = (a_pc != "") & (p_pc != "")
    lev = np.where(has, 0, -1).astype(np.int8)
    if has.any():
        a_s, p_s = pd.Series(a_pc), pd.Series(p_pc)
        lev[has & (a_s.str[:2] == p_s.str[:2]).to_numpy()] = 1
        lev[has & (a_s.str[:3] == p_s.str[:3]).to_numpy()] = 2
        dl = _pair_scores(
            _obj(ap["postcode"]), _obj(pp["postcode"]), ai, pi, DamerauLevenshtein.distance
        )
        lev[has & (dl <= 1)] = 3
        lev[has & (a_pc == p_pc)] = 4
    levels["postcode"] = lev

    # Birthplace (TF on exact): never changes, unlike the city.
    sim = _pair_scores(_obj(ap["bp"]), _obj(pp["bp"]), ai, pi, jw)
    lev = _levels_by_thresholds(sim, (0.80, 0.92))
    lev[(lev >= 0) & (_obj(ap["bp"])[ai] == _obj(pp["bp"])[pi])] = 3
    levels["birth_place"] = lev

    # Address.
    sim = _pair_scores(_obj(ap["address"]), _obj(pp["address"]), ai, pi, fuzz.token_set_ratio)
    sim_ns = _pair_scores(_obj(ap["address_ns"]), _obj(pp["address_ns"]), ai, pi, fuzz.ratio)
    sim = np.fmax(sim, sim_ns)
    lev = _levels_by_thresholds(sim, (70.0, 90.0))
    lev[(lev >= 0) & (_obj(ap["address"])[ai] == _obj(pp["address"])[pi])] = 3
    levels["address"] = lev

    # Employer (weak by nature: people move, that is the point).
    sim = _pair_scores(_obj(ap["employer"]), _obj(pp["employer"]), ai, pi, fuzz.token_set_ratio)
    lev = _levels_by_thresholds(sim, (85.0,))
    lev[(lev >= 0) & (_obj(ap["employer"])[ai] == _obj(pp["employer"])[pi])] = 2
    levels["employer"] = lev

    # Occupation: "directeur financier" vs "directeur administratif et financier".
    sim = _pair_scores(_obj(ap["job"]), _obj(pp["job"]), ai, pi, fuzz.token_set_ratio)
    lev = _levels_by_thresholds(sim, (60.0, 85.0))
    lev[(lev >= 0) & (_obj(ap["job"])[ai] == _obj(pp["job"])[pi])] = 3
    levels["job_title"] = lev

    # Graduation year.
    ag, pg = ap["grad"].to_numpy()[ai], pp["grad"].to_numpy()[pi]
    has = (ag > 0) & (pg > 0)
    lev = np.where(has, 0, -1).astype(np.int8)
    lev[has & (np.abs(ag - pg) <= 1)] = 1
    lev[has & (ag == pg)] = 2
    levels["graduation_year"] = lev

    for fld in ("linkedin_url", "orcid"):
        av, pv = _obj(ap[fld])[ai], _obj(pp[fld])[pi]
        has = (av != "") & (pv != "")
        lev = np.where(has, 0, -1).astype(np.int8)
        lev[has & (av == pv)] = 1
        levels[fld] = lev
    return Comparison(ai=ai, pi=pi, levels=levels, swapped=swapped)
