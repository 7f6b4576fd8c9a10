"""Blocking: which (alumnus, profile) pairs are compared at all.

Why: comparing every profile with 200,000 alumni is quadratic. Several
rules (:data:`BLOCKING_RULES`), each keyed on a different combination of
fields, are unioned so that an error in any one field still leaves a rule
that finds the pair. :class:`AlumniIndex` keeps the alumni side (prepared
frame, keys, term frequencies) built once and re-used by weekly runs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from enrich.matching.fields import _map_unique, _phonetic, prepare
from enrich.matching.levels import TF_COLUMNS

#: One logger for the whole matcher, named as before the split (log lines unchanged).
log = logging.getLogger("enrich.matching")


#: Blocking keys with more alumni than this are skipped (uninformative, quadratic).
MAX_BLOCK = 3000
#: A key whose alumni x profiles product exceeds this is skipped for that run:
#: such blocks ("Martin J", "Marie 1969") are covered by the other rules and
#: would otherwise dominate time and memory.
MAX_PAIRS_PER_KEY = 20_000
#: Tighter caps for the broad rules that exist for recall on rare names
#: ("first name + first letters of the surname"): on a common first name
#: they would add millions of pairs the other rules already cover.
RULE_MAX_PAIRS: dict[str, int] = {
    "first_phon_surname_prefix": 500,
    "first_phon_surname_suffix": 500,
    "first_phon_postcode_prefix": 500,
    "surname_phon_postcode_prefix": 2_000,
}


def _keys_surname(prep: pd.DataFrame, *, swapped: bool = False) -> pd.DataFrame:
    """(row, key) for surname-phonetic + first initial, one row per surname alias."""
    if swapped:
        # Treat the first name as the surname and vice versa (swapped fields).
        surn = prep["fn"].map(lambda v: (v,) if v else ())
        init = prep["ln"].str[:1]
    else:
        surn = prep["ln_aliases"]
        init = prep["fn"].str[:1]
    rows = np.repeat(np.arange(len(prep)), surn.map(len).to_numpy())
    flat = [a for tup in surn for a in tup]
    if not flat:
        return pd.DataFrame({"row": np.array([], dtype=np.int64), "key": []})
    phon = pd.Series(flat).map(_phonetic_cached)
    keys = phon.to_numpy(dtype=object) + "|" + init.to_numpy(dtype=object)[rows]
    frame = pd.DataFrame({"row": rows, "key": keys})
    return frame[(phon.to_numpy() != "") & (init.to_numpy()[rows] != "")]


_PHON_CACHE: dict[str, str] = {}


def _phonetic_cached(v: str) -> str:
    r = _PHON_CACHE.get(v)
    if r is None:
        if len(_PHON_CACHE) > 500_000:
            _PHON_CACHE.clear()
        r = _PHON_CACHE[v] = _phonetic(v)
    return r


def _street_key(address: str) -> str:
    """The most distinctive word of an address (longest, then first): "hugo" in
    "12 avenue victor hugo" is what a typo-free copy shares, not "12 av"."""
    words = [w for w in address.replace("-", " ").split() if w.isalpha() and len(w) > 3]
    generic = {
        "rue",
        "avenue",
        "boulevard",
        "place",
        "chemin",
        "allee",
        "impasse",
        "quai",
        "street",
        "road",
        "drive",
        "crescent",
        "circuit",
        "court",
        "lane",
    }
    words = [w for w in words if w not in generic] or words
    return max(words, key=len)[:8] if words else ""


def _both(a: pd.Series, b: pd.Series) -> pd.Series:
    """``a|b`` where both parts are known, else "" (no key)."""
    key = a + "|" + b
    return key.where((a != "") & (b != ""), "")


def _simple_keys(prep: pd.DataFrame, rule: str) -> pd.DataFrame:
    if rule == "birth_date":
        key = prep["dob"]
    elif rule == "surname_phon_birth_year":
        key = _both(prep["ln_phon"], prep["dob_y"])
    elif rule == "first_phon_birth_place":
        key = _both(prep["fn_phon"], prep["bp_phon"])
    elif rule == "surname_phon_birth_place":
        key = _both(prep["ln_phon"], prep["bp_phon"])
    elif rule == "surname_phon_postcode_prefix":
        key = _both(prep["ln_phon"], prep["postcode"].str[:3])
    elif rule == "birth_place_postcode":
        key = _both(prep["bp_phon"], prep["postcode"])
    elif rule == "first_phon_surname_prefix":
        key = _both(prep["fn_phon"], prep["ln"].str[:2])
    elif rule == "first_phon_surname_suffix":
        key = _both(prep["fn_phon"], prep["ln"].str[-3:])
    elif rule == "first_phon_postcode_prefix":
        key = _both(prep["fn_phon"], prep["postcode"].str[:3])
    elif rule == "birth_day_month_postcode":
        key = _both(prep["dob"].str[4:], prep["postcode"])
    elif rule == "birth_year_place_initials":
        key = _both(_both(prep["dob_y"], prep["bp_phon"]), prep["fn"].str[:1] + prep["ln"].str[:1])
    elif rule == "postcode_first_phon":
        key = prep["postcode"] + "|" + prep["fn_phon"]
        key = key.where((prep["postcode"] != "") & (prep["fn_phon"] != ""), "")
    elif rule == "surname_phon_postcode":
        key = prep["ln_phon"] + "|" + prep["postcode"]
        key = key.where((prep["ln_phon"] != "") & (prep["postcode"] != ""), "")
    elif rule == "postcode_address":
        street = _map_unique(prep["address"], _street_key)
        key = prep["postcode"] + "|" + street
        key = key.where((prep["postcode"] != "") & (street != ""), "")
    elif rule == "email_local":
        key = prep["email_local"]
    elif rule == "first_phon_birth_month":
        key = prep["fn_phon"] + "|" + prep["dob_y"] + prep["dob_m"]
        key = key.where((prep["fn_phon"] != "") & (prep["dob_y"] != ""), "")
    elif rule == "linkedin":
        key = prep["linkedin_url"]
    elif rule == "orcid":
        key = prep["orcid"]
    else:  # pragma: no cover - programming error
        raise ValueError(rule)
    frame = pd.DataFrame({"row": np.arange(len(prep)), "key": key.to_numpy(dtype=object)})
    return frame[frame["key"] != ""]


#: Blocking rules, unioned. Together they survive an error in any one field
#: (and in most pairs of fields): a typo in the surname still meets
#: ``first_phon_birth_month`` or ``first_phon_birth_place``, a wrong birth
#: date still meets the name rules, a move still meets ``birth_date``...
#: ``veille match`` prints how many candidate pairs each one found.
BLOCKING_RULES = (
    "surname_phon_initial",
    "birth_date",
    "surname_phon_birth_year",
    "first_phon_birth_month",
    "first_phon_birth_place",
    "surname_phon_birth_place",
    "birth_day_month_postcode",
    "birth_year_place_initials",
    "birth_place_postcode",
    "first_phon_surname_prefix",
    "first_phon_surname_suffix",
    "first_phon_postcode_prefix",
    "postcode_first_phon",
    "surname_phon_postcode",
    "surname_phon_postcode_prefix",
    "postcode_address",
    "email_local",
    "linkedin",
    "orcid",
)


def blocking_keys(prep: pd.DataFrame, rule: str, *, side: str) -> pd.DataFrame:
    """(row, key) pairs of one blocking rule; profiles also emit swapped-name keys."""
    if rule == "surname_phon_initial":
        frame = _keys_surname(prep)
        if side == "profiles":
            frame = pd.concat([frame, _keys_surname(prep, swapped=True)], ignore_index=True)
        return frame.drop_duplicates()
    return _simple_keys(prep, rule)


@dataclass
class AlumniIndex:
    """Normalised alumni, blocking keys and term frequencies, built once.

    Weekly runs build it once and match each batch of new profiles against
    it; nothing here depends on the profiles.
    """

    prep: pd.DataFrame
    blocks: dict[str, pd.DataFrame]
    tf: dict[str, dict[str, float]]
    block_sizes: dict[str, pd.Series] = field(default_factory=dict)

    @classmethod
    def build(cls, alumni: pd.DataFrame) -> AlumniIndex:
        return cls.from_prepared(prepare(alumni))

    @classmethod
    def from_prepared(cls, prep: pd.DataFrame) -> AlumniIndex:
        """The index of an already prepared frame (e.g. pooled records)."""
        blocks: dict[str, pd.DataFrame] = {}
        for rule in BLOCKING_RULES:
            keys = blocking_keys(prep, rule, side="alumni")
            sizes = keys["key"].map(keys["key"].value_counts())
            blocks[rule] = keys[sizes.to_numpy() <= MAX_BLOCK].reset_index(drop=True)
        block_sizes = {r: b["key"].value_counts() for r, b in blocks.items()}
        tf: dict[str, dict[str, float]] = {}
        for fld, col in TF_COLUMNS.items():
            vals = prep[col][prep[col] != ""]
            counts = vals.value_counts()
            total = max(len(vals), 1)
            tf[fld] = (counts / total).to_dict()
        return cls(prep=prep, blocks=blocks, tf=tf, block_sizes=block_sizes)

    def __len__(self) -> int:
        return len(self.prep)


def candidate_pairs(
    index: AlumniIndex,
    prof: pd.DataFrame,
    *,
    exclude_alumni: np.ndarray | None = None,
    rule_counts: dict[str, int] | None = None,
    rules: Sequence[str] = BLOCKING_RULES,
    max_pairs_per_key: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Union of all blocking rules, deduplicated: (alumni rows, profile rows).

    ``rule_counts``, when given, receives the pairs each rule found (before
    the union) and ``total``, the distinct pairs after it.
    """
    n_p = max(len(prof), 1)
    codes: list[np.ndarray] = []
    for rule in rules:
        left = index.blocks[rule]
        if left.empty:
            continue
        right = blocking_keys(prof, rule, side="profiles")
        if right.empty:
            continue
        a_sizes = index.block_sizes[rule]
        r_sizes = right["key"].value_counts()
        prod = r_sizes * a_sizes.reindex(r_sizes.index).fillna(0)
        cap = RULE_MAX_PAIRS.get(rule, MAX_PAIRS_PER_KEY)
        if max_pairs_per_key is not None:
            cap = min(cap, max_pairs_per_key)
        too_big = prod.index[prod > cap]
        if len(too_big):
            log.debug("rule %s: %d oversized keys skipped", rule, len(too_big))
            right = right[~right["key"].isin(too_big)]
        merged = left.merge(right, on="key", suffixes=("_a", "_p"))
        if merged.empty:
            continue
        code = merged["row_a"].to_numpy(np.int64) * n_p + merged["row_p"].to_numpy(np.int64)
        code = np.unique(code)
        if rule_counts is not None:
            rule_counts[rule] = rule_counts.get(rule, 0) + len(code)
        codes.append(code)
    empty = np.array([], dtype=np.int64)
    if not codes:
        if rule_counts is not None:
            rule_counts["total"] = rule_counts.get("total", 0)
        return empty, empty
    allc = np.unique(np.concatenate(codes))
    if rule_counts is not None:
        rule_counts["total"] = rule_counts.get("total", 0) + len(allc)
    ai, pi = allc // n_p, allc % n_p
    if exclude_alumni is not None and len(exclude_alumni):
        keep = ~np.isin(ai, exclude_alumni)
        ai, pi = ai[keep], pi[keep]
    return ai, pi
