"""The one matcher: found people (profiles, mention authors) -> alumni records.

Why Fellegi-Sunter with EM and not a trained classifier: the alumni office has
no labelled pairs. The model below learns, from the data alone, how often each
field agrees at each level among true matches (m) and among non-matches (u),
then scores every candidate pair with a log2 Bayes factor per field. The sum
gives a probability, and the per-field weights are kept as the *evidence* a
person can check ("birth date exact +9.1, last name = birth name +6.0, city
differs -1.2").

Pipeline (all vectorised with numpy/pandas/rapidfuzz):

1. :func:`prepare` normalises any subset of the alumni-import columns
   (see :mod:`enrich.names`).
2. :class:`AlumniIndex` is built once per alumni set: normalised frame,
   blocking keys, term frequencies. Incremental runs re-use it.
3. Blocking: several rules (:data:`BLOCKING_RULES`: surname phonetic + first
   initial, with birth and compound-name parts and swapped names; birth date;
   a phonetic name + birth year, month, birthplace or postcode; day and month
   + postcode; e-mail local part; LinkedIn; ORCID) unioned and deduplicated,
   so that an error in any one field still leaves a rule that finds the pair.
4. Comparisons with graded levels, computed once per distinct value pair
   (``rapidfuzz.process.cpdist``), with per-pair first/last swap detection.
5. Fellegi-Sunter by EM without labels (:func:`fit_em`): u from random
   pairs, m seeded by high-precision deterministic rules then refined by EM
   over the whole alumni x profiles product (pairs outside blocking count as
   posterior 0), prior = expected matches per random pair. Exact agreement on
   first name, last name, city and birthplace is term-frequency adjusted, so
   sharing "Martin" weighs less than sharing "Quaresma".
6. Probability: the posterior of each pair, made *exclusive* per profile
   (o_k / (1 + sum of the profile's candidate odds)) so that two equally good
   "Jean Martin" alumni do not both look certain; links are then assigned
   greedily: each profile at most once, while an alumnus may have any number
   of profiles (ORCID, staff page, LinkedIn, next year's employer page). One
   alumnus per profile *and* one profile per alumnus (``alumni_unique``) is an
   option for registers known to be one-to-one.

7. Pooling: profiles left unlinked are compared again (and blocked again)
   with each alumnus's record completed by the profiles just linked to them
   (per field, the value most of those records share): several profiles of
   one person are evidence together, which Splink does not use.
8. Duplicates: the register against itself (:func:`duplicate_pairs`) gives
   "possible duplicate record" suggestions; nothing is ever merged here.

The trained model is a small JSON document (:class:`FSModel`) stored as a
database row (``match_model``), so every host scores new profiles with the
same parameters; :func:`retrain` makes a new row.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jellyfish
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from enrich import names
from veille.alumni_csv import COLUMNS as ALUMNI_CSV_COLUMNS
from veille.stages import StageContext, StageResult

log = logging.getLogger(__name__)

MODEL_VERSION = "veille-fs-2"
#: Earlier model versions still read: a field whose levels changed since is
#: left out of such a model (scored as missing) until it is retrained.
READABLE_VERSIONS = ("veille-fs-1", MODEL_VERSION)

#: Columns the matcher understands (any subset may be present): the
#: alumni-import columns, plus the birthplace that registers of births and
#: some CRM exports carry.
COLUMNS: tuple[str, ...] = (*ALUMNI_CSV_COLUMNS, "birth_place")
#: Other spellings of a column in files given to ``veille match``.
COLUMN_ALIASES: dict[str, str] = {
    "birthplace": "birth_place",
    "place_of_birth": "birth_place",
    "lieu_de_naissance": "birth_place",
    "occupation": "job_title",
    "profession": "job_title",
}

#: Comparison fields and the names of their agreement levels (index = level code).
#: Level -1 means "missing on one side" and contributes no weight.
LEVELS: dict[str, tuple[str, ...]] = {
    "first_name": ("different", "initial", "jw>=0.80", "jw>=0.92", "nickname", "exact"),
    "last_name": ("different", "jw>=0.80", "jw>=0.92", "part_or_birth_name", "exact"),
    "birth_date": (
        "different",
        "year_only",
        "two_of_three",
        "one_typo",
        "day_month_swapped",
        "exact",
    ),
    "email": ("different", "same_local_part", "exact"),
    "city": ("different", "jw>=0.88", "exact"),
    "postcode": ("different", "same_area", "same_prefix3", "one_typo", "exact"),
    "birth_place": ("different", "jw>=0.80", "jw>=0.92", "exact"),
    "address": ("different", "token_set>=70", "token_set>=90", "exact"),
    "employer": ("different", "token_set>=85", "exact"),
    "job_title": ("different", "token_set>=60", "token_set>=85", "exact"),
    "graduation_year": ("different", "within_1", "exact"),
    "linkedin_url": ("different", "exact"),
    "orcid": ("different", "exact"),
}
#: Fields whose exact level is adjusted by the value's frequency.
TF_FIELDS = ("first_name", "last_name", "city", "birth_place")
#: Prepared column holding each TF field's value.
TF_COLUMNS = {"first_name": "fn", "last_name": "ln", "city": "city", "birth_place": "bp"}

_DIGITS = re.compile(r"\D+")
_ORCID = re.compile(r"(\d{4}-?\d{4}-?\d{4}-?\d{3}[\dX])", re.IGNORECASE)


# ---------------------------------------------------------------------------
# Normalisation of a whole frame
# ---------------------------------------------------------------------------


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name not in df.columns:
        return pd.Series([""] * len(df), index=df.index, dtype=object)
    s = df[name]
    return _map_unique(s, lambda v: "" if v is None or v != v else str(v).strip())


def _map_unique(s: pd.Series, fn: Any) -> pd.Series:
    """Apply a Python function once per distinct value (names repeat a lot)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=False)
    mapped = np.empty(len(uniq), dtype=object)
    mapped[:] = [fn(u) for u in uniq]
    return pd.Series(mapped[codes], index=s.index, dtype=object)


_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"), (1, 2, 3)),
    (re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$"), (3, 2, 1)),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), (1, 2, 3)),
)


def parse_date(value: str) -> str:
    """A date as ``YYYYMMDD`` ("" when missing); accepts ISO, compact and d/m/y."""
    v = re.sub(r"[T ].*$", "", value.strip())
    for rx, (y, m, d) in _DATE_PATTERNS:
        g = rx.match(v)
        if g:
            return g.group(y) + g.group(m).zfill(2) + g.group(d).zfill(2)
    return ""


def _email(value: str) -> str:
    v = re.split(r"[;,\s]+", value.lower().strip())[0] if value else ""
    return v if "@" in v else ""


def _url_key_one(value: str) -> str:
    v = re.sub(r"^https?://", "", value.strip().lower())
    v = re.sub(r"^(www\.|[a-z]{2}\.)(?=linkedin)", "", v)
    return re.split(r"[?#]", v)[0].rstrip("/")


def _orcid_one(value: str) -> str:
    g = _ORCID.search(value.upper())
    return g.group(1).replace("-", "") if g else ""


def _city(value: str) -> str:
    return re.sub(r"^(st|saint) ", "saint ", names.fold(value).replace("-", " "))


def _postcode(value: str) -> str:
    return re.sub(r"\.0$", "", re.sub(r"\s+", "", value).upper())


def _year(value: str) -> int:
    g = re.search(r"(\d{4})", value)
    return int(g.group(1)) if g else 0


def _phonetic(value: str) -> str:
    v = value.replace(" ", "").replace("-", "")
    return jellyfish.metaphone(v)[:6] if v else ""


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """Normalise a frame in alumni-import columns into comparison columns.

    Missing columns are treated as empty; the result has one row per input
    row, in order, with ``rid`` the original id (or the row number). Every
    transformation runs once per distinct value.
    """
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    df = df.reset_index(drop=True)
    aliases = {k: v for k, v in COLUMN_ALIASES.items() if k in df.columns and v not in df.columns}
    df = df.rename(columns=aliases)
    ids = _col(df, "id")
    out["rid"] = ids.where(ids != "", pd.Series(range(len(df))).astype(str))
    first_raw = _col(df, "first_name")
    last_raw = _col(df, "last_name")
    out["fn"] = _map_unique(first_raw, names.first_name_key)
    out["fn_init"] = _map_unique(first_raw, names.initials)
    out["fn_is_init"] = _map_unique(first_raw, names.is_initials).astype(bool)
    parsed = _map_unique(last_raw, names.parse_surname)
    out["ln"] = _map_unique(parsed, lambda p: p.key)
    birth_col = _map_unique(_col(df, "birth_name"), lambda v: names.parse_surname(v).key)
    embedded = _map_unique(parsed, lambda p: p.birth_name)
    out["bn"] = birth_col.where(birth_col != "", embedded)
    pairs = pd.Series(list(zip(parsed, out["bn"], strict=True)), dtype=object)
    out["ln_aliases"] = _map_unique(
        pairs, lambda pb: tuple(dict.fromkeys((*pb[0].aliases, *((pb[1],) if pb[1] else ()))))
    )
    dob = _map_unique(_col(df, "birth_date"), parse_date)
    out["dob"] = dob
    out["dob_y"] = _map_unique(dob, lambda v: v[:4])
    out["dob_m"] = _map_unique(dob, lambda v: v[4:6])
    out["dob_d"] = _map_unique(dob, lambda v: v[6:8])
    out["email"] = _map_unique(_col(df, "email"), _email)
    out["email_local"] = _map_unique(out["email"], lambda v: v.split("@")[0].replace(".", ""))
    out["city"] = _map_unique(_col(df, "city"), _city)
    out["postcode"] = _map_unique(_col(df, "postcode"), _postcode)
    out["address"] = _map_unique(_col(df, "address"), names.fold)
    out["address_ns"] = _map_unique(out["address"], lambda v: v.replace(" ", "").replace("-", ""))
    out["employer"] = _map_unique(_col(df, "employer"), names.fold)
    out["job"] = _map_unique(_col(df, "job_title"), names.fold)
    out["bp"] = _map_unique(_col(df, "birth_place"), _city)
    out["bp_phon"] = _map_unique(out["bp"], _phonetic)
    out["grad"] = _map_unique(_col(df, "graduation_year"), _year).astype(np.int32)
    out["linkedin_url"] = _map_unique(_col(df, "linkedin_url"), _url_key_one)
    out["orcid"] = _map_unique(_col(df, "orcid"), _orcid_one)
    out["ln_phon"] = _map_unique(out["ln"], _phonetic)
    out["fn_phon"] = _map_unique(out["fn"], _phonetic)
    return out


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


#: m and u both under this: a level training never saw (the smoothing floor is
#: 1e-3 / number of levels of the observed pairs).
UNSEEN_LEVEL = 1e-3


@dataclass
class FSModel:
    """Fellegi-Sunter parameters: per field and level, m and u; match rate lambda."""

    m: dict[str, list[float]]
    u: dict[str, list[float]]
    lam: float
    #: u of exact agreement among *random* pairs, the baseline of TF adjustment.
    u_random_exact: dict[str, float] = field(default_factory=dict)
    trained: dict[str, Any] = field(default_factory=dict)
    version: str = MODEL_VERSION

    def prior(self, n_alumni: int) -> float:
        """P(match) of a random alumnus x profile pair for an index of this size.

        Stored as matches per profile, so a model trained on 200,000 alumni
        stays calibrated on another register size.
        """
        rate = self.trained.get("matches_per_profile")
        if rate is None or n_alumni <= 0:
            return self.lam
        return float(min(max(float(rate) / n_alumni, 1e-12), 0.5))

    def weights(self, fld: str) -> np.ndarray:
        """log2(m/u) per level of one field (levels run from "different" to "exact").

        A partial level that training never saw (m and u both at the smoothing
        floor) would weigh 0 and read as "says nothing", although agreeing in
        part is evidence between disagreeing and agreeing exactly: it gets the
        midpoint of those two weights. Every partial level is also kept within
        them, so partial agreement never outweighs exact agreement.
        """
        m = np.asarray(self.m[fld], dtype=float)
        u = np.asarray(self.u[fld], dtype=float)
        w = np.log2(np.clip(m, 1e-9, None) / np.clip(u, 1e-9, None))
        if len(w) > 2:
            low, high = float(w[0]), float(w[-1])
            if high > low:
                unseen = (m[1:-1] < UNSEEN_LEVEL) & (u[1:-1] < UNSEEN_LEVEL)
                inner = np.clip(w[1:-1], low, high)
                w[1:-1] = np.where(unseen, (low + high) / 2, inner)
        return w

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "levels": {f: list(LEVELS[f]) for f in self.m},
                "m": self.m,
                "u": self.u,
                "lambda": self.lam,
                "u_random_exact": self.u_random_exact,
                "trained": self.trained,
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> FSModel:
        data = json.loads(text)
        version = data.get("version")
        if version not in READABLE_VERSIONS:
            raise ValueError(f"model version {version!r} is not one of {READABLE_VERSIONS}")
        levels = data.get("levels", {})
        # A field whose levels changed since the model was trained is left out.
        same = [f for f in data["m"] if f in LEVELS and list(levels.get(f, [])) == list(LEVELS[f])]
        return cls(
            m={k: [float(x) for x in data["m"][k]] for k in same},
            u={k: [float(x) for x in data["u"][k]] for k in same},
            lam=float(data["lambda"]),
            u_random_exact={
                k: float(v) for k, v in data.get("u_random_exact", {}).items() if k in same
            },
            trained=dict(data.get("trained", {})),
            version=str(version),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> FSModel:
        return cls.from_json(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------
# Index of alumni (built once) and blocking
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Training (EM) and scoring
# ---------------------------------------------------------------------------


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
        raise ValueError("no comparable field between the two files")
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


# ---------------------------------------------------------------------------
# Assignment, evidence, the end-to-end API
# ---------------------------------------------------------------------------


def exclusive_probability(pi: np.ndarray, total: np.ndarray) -> np.ndarray:
    """P(profile = this alumnus) when a profile is at most one alumnus.

    With odds o_k of each candidate of a profile, o_k / (1 + sum_j o_j): two
    equally good "Jean Martin" candidates each get under 0.5 instead of
    both looking certain, so an ambiguous name is not linked.
    """
    odds = np.exp2(np.clip(total, -60, 60))
    sums = np.bincount(pi, weights=odds, minlength=int(pi.max()) + 1 if len(pi) else 0)
    return np.asarray(odds / (1.0 + sums[pi]))


def assign_one_to_one(
    ai: np.ndarray, pi: np.ndarray, prob: np.ndarray, threshold: float, *, alumni_unique: bool
) -> np.ndarray:
    """Indices of kept pairs: greedy by probability, each profile (and alumnus) once.

    Ties break on alumni then profile row, so the output is deterministic.
    """
    cand = np.flatnonzero(prob >= threshold)
    order = cand[np.lexsort((pi[cand], ai[cand], -prob[cand]))]
    used_a: set[int] = set()
    used_p: set[int] = set()
    kept: list[int] = []
    for k in order.tolist():
        a, p = int(ai[k]), int(pi[k])
        if p in used_p or (alumni_unique and a in used_a):
            continue
        used_p.add(p)
        used_a.add(a)
        kept.append(k)
    return np.asarray(kept, dtype=np.int64)


_VALUE_COLS: dict[str, tuple[str, ...]] = {
    "first_name": ("fn",),
    "last_name": ("ln",),
    "birth_date": ("dob",),
    "email": ("email",),
    "city": ("city",),
    "postcode": ("postcode",),
    "address": ("address",),
    "employer": ("employer",),
    "job_title": ("job",),
    "birth_place": ("bp",),
    "graduation_year": ("grad",),
    "linkedin_url": ("linkedin_url",),
    "orcid": ("orcid",),
}


def evidence_for(
    k: int, cmp: Comparison, scores: Scores, ap: pd.DataFrame, pp: pd.DataFrame
) -> dict[str, Any]:
    """Per-field evidence of one pair: level name, weight (log2 BF), compared values."""
    a, p = int(cmp.ai[k]), int(cmp.pi[k])
    ev: dict[str, Any] = {}
    for fld, w in scores.weights.items():
        lev = int(cmp.levels[fld][k])
        col = _VALUE_COLS[fld][0]
        av, pv = ap[col].iat[a], pp[col].iat[p]
        if fld in ("first_name", "last_name") and bool(cmp.swapped[k]):
            pv = pp["ln" if fld == "first_name" else "fn"].iat[p]
        ev[fld] = {
            "level": "missing" if lev < 0 else LEVELS[fld][lev],
            "weight": round(float(w[k]), 3),
            "values": [_plain(av), _plain(pv)],
        }
    if bool(cmp.swapped[k]):
        ev["_notes"] = ["first and last name swapped on the profile"]
    return ev


def evidence_many(
    kept: np.ndarray, cmp: Comparison, scores: Scores, ap: pd.DataFrame, pp: pd.DataFrame
) -> list[dict[str, Any]]:
    """:func:`evidence_for` of many pairs at once, column by column (same result)."""
    kept = np.asarray(kept, dtype=np.int64)
    out: list[dict[str, Any]] = [{} for _ in range(len(kept))]
    if not len(kept):
        return out
    a_rows, p_rows = cmp.ai[kept], cmp.pi[kept]
    swapped = cmp.swapped[kept]
    for fld, w in scores.weights.items():
        names_ = np.asarray(["missing", *LEVELS[fld]], dtype=object)
        lev_names = names_[cmp.levels[fld][kept].astype(np.int64) + 1].tolist()
        weights = np.round(w[kept].astype(float), 3).tolist()
        col = _VALUE_COLS[fld][0]
        av = _plain_array(ap[col].to_numpy()[a_rows])
        pv = _plain_array(pp[col].to_numpy()[p_rows])
        if fld in ("first_name", "last_name") and swapped.any():
            other = _plain_array(pp["ln" if fld == "first_name" else "fn"].to_numpy()[p_rows])
            pv = [o if s else v for v, o, s in zip(pv, other, swapped.tolist(), strict=True)]
        for ev, lev, wt, x, y in zip(out, lev_names, weights, av, pv, strict=True):
            ev[fld] = {"level": lev, "weight": wt, "values": [x, y]}
    for j in np.flatnonzero(swapped).tolist():
        out[j]["_notes"] = ["first and last name swapped on the profile"]
    return out


def _plain_array(values: np.ndarray) -> list[Any]:
    """:func:`_plain` of a whole column: "" and 0 become None, numpy ints plain ints."""
    if values.dtype.kind in "iu":
        return [int(v) if v else None for v in values.tolist()]
    return [v if v != "" else None for v in values.tolist()]


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v) if int(v) else None
    return v if v != "" else None


@dataclass
class MatchStats:
    """Counters that make incremental behaviour checkable (no timings)."""

    profiles_seen: int = 0
    profiles_scored: int = 0
    pairs_scored: int = 0
    links: int = 0
    seconds: float = 0.0
    #: Candidate pairs per blocking rule and ``total`` (see :func:`candidate_pairs`).
    rule_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Link:
    alumni_id: str
    profile_id: str
    probability: float
    evidence: dict[str, Any]
    alumni_row: int
    profile_row: int


def link_prepared(
    index: AlumniIndex,
    prof: pd.DataFrame,
    model: FSModel,
    *,
    threshold: float = 0.5,
    alumni_unique: bool = False,
    exclude_alumni: np.ndarray | None = None,
    stats: MatchStats | None = None,
    keep_best_below: bool = False,
    exclusive: bool = True,
    cmp: Comparison | None = None,
    pool: bool = True,
    prior: tuple[np.ndarray, pd.DataFrame] | None = None,
) -> list[Link]:
    """Score the candidate pairs of prepared profiles and assign links.

    With ``keep_best_below`` the best pair of each unlinked profile is also
    returned (probability under the threshold) so callers can record that a
    profile was examined. ``cmp``: the comparison of these profiles already
    computed by :func:`train` (same index, no exclusion), not redone.

    With ``pool`` (and many profiles per alumnus), a second pass compares the
    profiles left unlinked with each alumnus's record *completed by the
    profiles just linked to it* (:func:`_pool_linked_profiles`): when the
    register has an old postcode but three linked profiles agree on a new
    one, a fourth profile with that postcode agrees with the person.
    ``prior``: (alumni rows, prepared profiles) linked in earlier runs, pooled
    too (weekly runs).
    """
    started = time.perf_counter()
    if cmp is None or exclude_alumni is not None:
        rule_counts = stats.rule_counts if stats is not None else None
        ai, pi = candidate_pairs(
            index, prof, exclude_alumni=exclude_alumni, rule_counts=rule_counts
        )
        cmp = compare(index.prep, prof, ai, pi)
    ai, pi = cmp.ai, cmp.pi
    sc = score(model, cmp, index, prof)
    if exclusive and len(ai):
        sc.probability = exclusive_probability(pi, sc.total)
    kept = assign_one_to_one(ai, pi, sc.probability, threshold, alumni_unique=alumni_unique)
    pooled = np.zeros(len(ai), dtype=bool)
    cons: pd.DataFrame | None = None
    if pool and not alumni_unique and (len(kept) or prior is not None) and len(ai):
        cmp = Comparison(
            ai=ai,
            pi=pi,
            levels={f: v.copy() for f, v in cmp.levels.items()},
            swapped=cmp.swapped.copy(),
        )
        found = _pool_linked_profiles(index, prof, model, cmp, sc, kept, pooled, prior)
        cons = found[0] if found is not None else None
        extra_pairs = (
            _pooled_new_pairs(index, prof, model, found[0], cmp, kept, found[1])
            if found is not None
            else None
        )
        if extra_pairs is not None:
            cmp, sc = _concat(cmp, sc, *extra_pairs)
            ai, pi = cmp.ai, cmp.pi
            pooled = np.concatenate([pooled, np.ones(len(extra_pairs[0]), dtype=bool)])
        if pooled.any():
            if exclusive:
                sc.probability = exclusive_probability(pi, sc.total)
            else:
                sc.probability = 1.0 / (1.0 + np.exp2(-np.clip(sc.total, -60, 60)))
            kept = assign_one_to_one(ai, pi, sc.probability, threshold, alumni_unique=alumni_unique)
    if keep_best_below and len(ai):
        linked_p = set(pi[kept].tolist())
        order = np.lexsort((ai, -sc.probability, pi))
        first = order[np.r_[True, pi[order][1:] != pi[order][:-1]]]
        extra = [k for k in first.tolist() if int(pi[k]) not in linked_p]
        kept = np.concatenate([kept, np.asarray(extra, dtype=np.int64)])
    a_ids = index.prep["rid"].to_numpy(dtype=object)[ai[kept]].tolist()
    p_ids = prof["rid"].to_numpy(dtype=object)[pi[kept]].tolist()
    evidence = evidence_many(kept, cmp, sc, index.prep, prof)
    if cons is not None and pooled[kept].any():
        where = np.flatnonzero(pooled[kept])
        for j, ev in zip(
            where.tolist(), evidence_many(kept[where], cmp, sc, cons, prof), strict=True
        ):
            ev["_notes"] = [*ev.get("_notes", []), POOLED_NOTE]
            evidence[j] = ev
    links = [
        Link(
            alumni_id=str(a_id),
            profile_id=str(p_id),
            probability=prob,
            evidence=ev,
            alumni_row=a_row,
            profile_row=p_row,
        )
        for a_id, p_id, prob, ev, a_row, p_row in zip(
            a_ids,
            p_ids,
            sc.probability[kept].astype(float).tolist(),
            evidence,
            ai[kept].tolist(),
            pi[kept].tolist(),
            strict=True,
        )
    ]
    if stats is not None:
        stats.profiles_seen += len(prof)
        stats.profiles_scored += len(np.unique(pi))
        stats.pairs_scored += len(ai)
        stats.links += sum(1 for lk in links if lk.probability >= threshold)
        stats.seconds += time.perf_counter() - started
    return links


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


def match_frames(
    alumni: pd.DataFrame,
    profiles: pd.DataFrame,
    *,
    model: FSModel | None = None,
    threshold: float = 0.5,
    alumni_unique: bool = False,
    exclusive: bool = True,
    stats: MatchStats | None = None,
) -> tuple[list[Link], FSModel]:
    """End to end: index, train (unless a model is given), link, sorted output.

    The candidate pairs are found and compared once, for training and
    linking alike; ``stats`` receives the counts per blocking rule.
    """
    index = AlumniIndex.build(alumni)
    prof = prepare(profiles)
    stats = stats if stats is not None else MatchStats()
    ai, pi = candidate_pairs(index, prof, rule_counts=stats.rule_counts)
    cmp = compare(index.prep, prof, ai, pi)
    if model is None:
        model = train(index, prof, cmp=cmp)
    links = link_prepared(
        index,
        prof,
        model,
        threshold=threshold,
        alumni_unique=alumni_unique,
        exclusive=exclusive,
        cmp=cmp,
        stats=stats,
    )
    links.sort(key=lambda lk: (lk.profile_row, lk.alumni_row))
    return links, model


#: Expected share of alumni who have a second record in the register: the
#: prior of "these two alumni records are one person", far below the prior
#: of a profile being an alumnus.
DUPLICATE_RATE = 0.01
#: Blocking for the register against itself: the rules that need two fields
#: to agree closely, with a small cap per key (a register of 200,000 against
#: itself has ten times the pairs of 20,000 profiles against it).
DUPLICATE_RULES = (
    "surname_phon_initial",
    "birth_date",
    "surname_phon_birth_year",
    "first_phon_birth_month",
    "surname_phon_postcode",
    "email_local",
    "linkedin",
    "orcid",
)
DUPLICATE_MAX_PAIRS_PER_KEY = 2_000
#: Lowest probability of a "possible duplicate record" suggestion: two records
#: of a register are rarely one person, so only strong evidence is shown.
DUPLICATE_THRESHOLD = 0.9


def duplicate_pairs(
    index: AlumniIndex, model: FSModel, *, threshold: float = DUPLICATE_THRESHOLD
) -> list[Link]:
    """Pairs of alumni records that the model says are one person.

    The register is blocked and compared against itself with the same rules
    and levels as profiles (each unordered pair once), then scored with the
    prior :data:`DUPLICATE_RATE`; two known birth dates that differ beyond a
    typo or a day/month swap rule a pair out. The result is only ever *suggested* ("possible
    duplicate record"): two records are never merged by the matcher.
    ``alumni_id``/``profile_id`` of each :class:`Link` are the two alumni ids.
    """
    prep = index.prep
    ai, pi = candidate_pairs(
        index, prep, rules=DUPLICATE_RULES, max_pairs_per_key=DUPLICATE_MAX_PAIRS_PER_KEY
    )
    keep = ai < pi
    cmp = compare(prep, prep, ai[keep], pi[keep])
    if not len(cmp):
        return []
    sc = score(model, cmp, index, prep)
    n = max(len(index), 2)
    prior = model.prior(n)
    dup_prior = min(DUPLICATE_RATE / (n - 1), 0.5)
    shift = math.log2(dup_prior / (1 - dup_prior)) - math.log2(prior / (1 - prior))
    total = sc.total + shift
    sc.probability = 1.0 / (1.0 + np.exp2(-np.clip(total, -60, 60)))
    dob = cmp.levels.get("birth_date")
    if dob is not None:
        sc.probability[(dob >= 0) & (dob < LEVELS["birth_date"].index("one_typo"))] = 0.0
    kept = np.flatnonzero(sc.probability >= threshold)
    kept = kept[np.lexsort((cmp.pi[kept], cmp.ai[kept]))]
    ids = prep["rid"].to_numpy(dtype=object)
    evidence = evidence_many(kept, cmp, sc, prep, prep)
    return [
        Link(
            alumni_id=str(ids[cmp.ai[k]]),
            profile_id=str(ids[cmp.pi[k]]),
            probability=float(sc.probability[k]),
            evidence=ev,
            alumni_row=int(cmp.ai[k]),
            profile_row=int(cmp.pi[k]),
        )
        for k, ev in zip(kept.tolist(), evidence, strict=True)
    ]


class IncrementalLinker:
    """Weekly runs: new or changed profiles against a fixed index and model.

    Existing links are kept as they are (never re-scored); profiles already
    linked are skipped. An alumnus already linked stays a candidate for new
    profiles (many profiles per alumnus) unless ``alumni_unique`` is set.
    ``linked_profiles`` (alumni-import columns, ``id`` = profile id) are the
    profiles of ``existing``: their values are pooled with the alumnus's
    record when new profiles are compared (see :func:`link_prepared`).
    :attr:`stats` counts what was actually scored.
    """

    def __init__(
        self,
        index: AlumniIndex,
        model: FSModel,
        existing: Iterable[tuple[str, str]] = (),
        *,
        threshold: float = 0.5,
        alumni_unique: bool = False,
        linked_profiles: pd.DataFrame | None = None,
    ) -> None:
        self.index = index
        self.model = model
        self.threshold = threshold
        self.alumni_unique = alumni_unique
        self.stats = MatchStats()
        self._row_of = {rid: i for i, rid in enumerate(index.prep["rid"].tolist())}
        self.links: dict[str, str] = {}
        self._linked_rows: set[int] = set()
        for alumni_id, profile_id in existing:
            self._remember(alumni_id, profile_id)
        self._prior: list[tuple[np.ndarray, pd.DataFrame]] = []
        if linked_profiles is not None and len(linked_profiles):
            self._add_prior(prepare(linked_profiles))

    def _add_prior(self, prep: pd.DataFrame) -> None:
        owners = [self._row_of.get(self.links.get(str(r), ""), -1) for r in prep["rid"]]
        rows = np.asarray(owners, dtype=np.int64)
        ok = rows >= 0
        if ok.any():
            self._prior.append((rows[ok], prep[ok].reset_index(drop=True)))

    def _prior_pool(self) -> tuple[np.ndarray, pd.DataFrame] | None:
        if not self._prior:
            return None
        return (
            np.concatenate([r for r, _ in self._prior]),
            pd.concat([p for _, p in self._prior], ignore_index=True),
        )

    def _remember(self, alumni_id: str, profile_id: str) -> None:
        self.links[profile_id] = alumni_id
        row = self._row_of.get(alumni_id)
        if row is not None:
            self._linked_rows.add(row)

    def link(
        self, profiles: pd.DataFrame, *, keep_best_below: bool = False, exclusive: bool = True
    ) -> list[Link]:
        """Link new profiles; already linked profile ids are skipped untouched."""
        prof = prepare(profiles)
        fresh = ~prof["rid"].isin(list(self.links))
        prof = prof[fresh.to_numpy()].reset_index(drop=True)
        if prof.empty:
            return []
        exclude = np.fromiter(self._linked_rows, dtype=np.int64) if self.alumni_unique else None
        links = link_prepared(
            self.index,
            prof,
            self.model,
            threshold=self.threshold,
            alumni_unique=self.alumni_unique,
            exclude_alumni=exclude,
            stats=self.stats,
            keep_best_below=keep_best_below,
            exclusive=exclusive,
            prior=None if self.alumni_unique else self._prior_pool(),
        )
        for lk in links:
            if lk.probability >= self.threshold:
                self._remember(lk.alumni_id, lk.profile_id)
        rows = sorted({lk.profile_row for lk in links if lk.probability >= self.threshold})
        if rows and not self.alumni_unique:
            self._add_prior(prof.iloc[rows].reset_index(drop=True))
        links.sort(key=lambda lk: (lk.profile_row, lk.alumni_row))
        return links


# ---------------------------------------------------------------------------
# Pipeline stage: profiles, job changes and mention authors -> alumni
# ---------------------------------------------------------------------------

#: Version of the exact-identifier rules used to link authors and profiles.
RULE_VERSION = "identity-rules-1"
#: Fewer candidate pairs than this: EM is not trusted, the bundled model is used.
MIN_TRAIN_PAIRS = 500
DEFAULT_MODEL_PATH = Path(__file__).with_name("match_model_default.json")


def default_model() -> FSModel:
    """The model shipped with veille (trained on the synthetic benchmark set)."""
    return FSModel.load(DEFAULT_MODEL_PATH)


def state_dir(db_url: str, options: Mapping[str, Any]) -> tuple[Path, Path]:
    """(model file, state file) where versions before 0008 kept them, per host.

    Read once, to carry a host's model and bookkeeping into the database
    (``match_model`` / ``match_state`` rows); never written any more. Under
    the platformdirs user data dir, keyed by a hash of the database URL
    (password removed), unless ``options["model_path"]`` names the file.
    """
    import hashlib

    from platformdirs import user_data_dir
    from sqlalchemy.engine import make_url

    from store.db import normalise_url

    if options.get("model_path"):
        model = Path(str(options["model_path"]))
    else:
        safe = make_url(normalise_url(db_url)).render_as_string(hide_password=True)
        key = hashlib.sha256(safe.encode()).hexdigest()[:16]
        model = Path(user_data_dir("veille")) / "matching" / f"model-{key}.json"
    return model, model.with_name(model.stem + ".state.json")


def _norm_identity(kind: str, value: str) -> str:
    from store.suppression import normalise

    if kind == "orcid":
        return _orcid_one(value)
    if kind.startswith("handle"):
        return normalise("handle", value)
    return normalise("url", value)


def _person_row(rid: str, person: Mapping[str, Any], url: str = "") -> dict[str, str]:
    first = str(person.get("given_name") or "")
    last = str(person.get("family_name") or "")
    if not (first or last) and person.get("name"):
        first, last = names.split_full_name(str(person["name"]))
    same_as = person.get("same_as") or []
    links = [same_as] if isinstance(same_as, str) else [str(x) for x in same_as]
    linkedin = next((x for x in [url, *links] if "linkedin.com/" in x.lower()), "")
    return {
        "id": rid,
        "first_name": first,
        "last_name": last,
        "email": str(person.get("email") or ""),
        "city": str(person.get("city") or ""),
        "employer": str(person.get("employer") or ""),
        "job_title": str(person.get("job_title") or ""),
        "linkedin_url": linkedin,
        "orcid": str(person.get("orcid") or ""),
    }


def _frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COLUMNS)).fillna("")


def matching_stage(ctx: StageContext) -> StageResult:
    """Link unexamined snapshots, job changes and mention authors to alumni.

    Order of evidence: exact identifiers first (ORCID, profile URL, LinkedIn,
    ``sameAs`` of an already linked snapshot, stored handles), then the
    probabilistic matcher above ``thresholds.match_probability``. Every
    examined snapshot/job change gets a probability (the best seen when not
    linked), so next week only new rows are scored; existing links are never
    revisited. The model is trained by EM on the first run with enough pairs
    and saved (see :func:`state_dir`); until then the bundled model is used.
    """
    from store import matching as q
    from store.db import session_scope

    threshold = float(ctx.settings.thresholds.match_probability)
    counts = {
        "snapshots_examined": 0,
        "snapshots_linked": 0,
        "snapshots_exact": 0,
        "job_changes_examined": 0,
        "job_changes_linked": 0,
        "mentions_linked": 0,
        "authors_exact": 0,
        "authors_by_name": 0,
        "pairs_scored": 0,
        "model_trained": 0,
        "possible_duplicates": 0,
    }
    model_file, state_file = state_dir(ctx.db_url, ctx.options)
    with session_scope(ctx.db_url) as session:
        alumni = q.alumni_rows(session)
        if not alumni:
            return StageResult(counts=counts, notes=["no alumni to match against"])
        identities: dict[tuple[str, str], str] = {}
        for kind, value, alumnus_id in q.identity_keys(session):
            norm = _norm_identity(kind, value)
            if norm:
                identities.setdefault((kind, norm), alumnus_id)
        index = AlumniIndex.build(pd.DataFrame(alumni))
        snapshots = q.unmatched_snapshots(session)
        job_changes = q.unmatched_job_changes(session)
        existing = q.linked_snapshot_pairs(session)
        state = q.get_state(session, STATE_KEY)
        if not state and state_file.exists():  # a host's file from before 0008
            state = json.loads(state_file.read_text())
        authors = q.unlinked_mention_authors(session, int(state.get("last_mention_id", 0)))

        # Model: the database's row, else a host's file from before 0008 (moved
        # into the database), else trained now on a fresh database with enough
        # pairs, else the bundled one (not stored: the first run with enough
        # pairs trains). Later changes only come from `veille match retrain`.
        snap_rows = [_person_row(str(s.id), s.person or {}, s.url) for s in snapshots]
        model = stored_model(session)
        if model is None and model_file.exists():
            model = FSModel.load(model_file)
            _store_model(session, model, source="imported_file", trained_by="matching_stage")
        if model is None:
            model = default_model()
            if snap_rows:
                prof = prepare(_frame(snap_rows))
                n_pairs = len(candidate_pairs(index, prof)[0])
                if n_pairs >= MIN_TRAIN_PAIRS:
                    model = train(index, prof)
                    _store_model(session, model, source="first_run", trained_by="matching_stage")
                    counts["model_trained"] = 1
        # Profiles linked in earlier runs are pooled with their alumnus (only read
        # when there is something new to match: the stage runs every few minutes).
        linked_rows = (
            [_person_row(str(i), p, u) for i, p, u in q.linked_snapshot_people(session)]
            if snapshots
            else []
        )
        linker = IncrementalLinker(
            index,
            model,
            existing,
            threshold=threshold,
            alumni_unique=False,
            linked_profiles=_frame(linked_rows) if linked_rows else None,
        )

        # 1. Snapshots: exact identifiers, then the matcher.
        to_match: list[dict[str, str]] = []
        for snap, row in zip(snapshots, snap_rows, strict=True):
            counts["snapshots_examined"] += 1
            hit = _exact_identity(identities, row, snap.url, snap.person or {})
            if hit is not None:
                alumnus_id, why = hit
                q.set_snapshot_match(
                    session,
                    int(snap.id or 0),
                    alumnus_id,
                    1.0,
                    {"exact": why, "rule": RULE_VERSION},
                )
                counts["snapshots_exact"] += 1
                counts["snapshots_linked"] += 1
            else:
                to_match.append(row)
        found = {lk.profile_id: lk for lk in linker.link(_frame(to_match), keep_best_below=True)}
        for row in to_match:
            lk = found.get(row["id"])
            if lk is None:
                q.set_snapshot_match(
                    session,
                    int(row["id"]),
                    None,
                    0.0,
                    {"status": "no_candidate", "model": model.version},
                )
                continue
            ev = {**lk.evidence, "_model": model.version}
            if lk.probability >= threshold:
                q.set_snapshot_match(session, int(row["id"]), lk.alumni_id, lk.probability, ev)
                counts["snapshots_linked"] += 1
            else:
                q.set_snapshot_match(
                    session,
                    int(row["id"]),
                    None,
                    lk.probability,
                    {**ev, "_status": "below_threshold", "_best_alumni_id": lk.alumni_id},
                )

        # 2. Job changes from text: name only (the organisation is the *new* one).
        jc_rows = []
        for jc in job_changes:
            first, last = names.split_full_name(jc.person_name)
            jc_rows.append({"id": f"jc:{jc.id}", "first_name": first, "last_name": last})
        jc_found = {}
        if jc_rows:
            jc_linker = IncrementalLinker(index, model, threshold=threshold, alumni_unique=False)
            jc_found = {
                lk.profile_id: lk for lk in jc_linker.link(_frame(jc_rows), keep_best_below=True)
            }
            counts["pairs_scored"] += jc_linker.stats.pairs_scored
        for jc in job_changes:
            counts["job_changes_examined"] += 1
            via = q.snapshot_alumnus(session, jc.snapshot_id) if jc.snapshot_id else None
            if via is not None:
                q.set_job_change_match(
                    session, int(jc.id or 0), via[0], via[1], {"via_snapshot": jc.snapshot_id}
                )
                counts["job_changes_linked"] += 1
                continue
            lk = jc_found.get(f"jc:{jc.id}")
            if lk is not None and lk.probability >= threshold:
                q.set_job_change_match(
                    session, int(jc.id or 0), lk.alumni_id, lk.probability, lk.evidence
                )
                counts["job_changes_linked"] += 1
            else:
                q.set_job_change_match(
                    session,
                    int(jc.id or 0),
                    None,
                    lk.probability if lk else 0.0,
                    lk.evidence if lk else {"status": "no_candidate"},
                )

        # 3. Mention authors: handle first, then the display name.
        by_author: dict[tuple[str, str, str], list[int]] = {}
        for mid, platform, handle, name in authors:
            by_author.setdefault((platform, handle, name), []).append(mid)
        name_rows: list[dict[str, str]] = []
        author_keys: dict[str, tuple[str, str, str]] = {}
        for k, (author, _mids) in enumerate(sorted(by_author.items())):
            platform, handle, name = author
            author_alumnus = identities.get(
                (f"handle:{platform}", _norm_identity("handle", handle))
            )
            if handle and author_alumnus is not None:
                counts["mentions_linked"] += q.link_mentions(
                    session, by_author[author], author_alumnus
                )
                counts["authors_exact"] += 1
                continue
            first, last = names.split_full_name(name)
            if first and last:
                rid = f"author:{k}"
                author_keys[rid] = author
                name_rows.append({"id": rid, "first_name": first, "last_name": last})
        if name_rows:
            a_linker = IncrementalLinker(index, model, threshold=threshold, alumni_unique=False)
            for lk in a_linker.link(_frame(name_rows)):
                if lk.probability >= threshold:
                    author = author_keys[lk.profile_id]
                    counts["mentions_linked"] += q.link_mentions(
                        session, by_author[author], lk.alumni_id
                    )
                    counts["authors_by_name"] += 1
            counts["pairs_scored"] += a_linker.stats.pairs_scored
        counts["pairs_scored"] += linker.stats.pairs_scored

        # 4. Two alumni records that look like one person: suggested, never merged.
        # The register is compared with itself only when it (or the model) changed.
        print_ = _register_fingerprint(alumni, model)
        if state.get("duplicates_checked") != print_:
            counts["possible_duplicates"] = _suggest_duplicates(session, index, model, threshold)
            state["duplicates_checked"] = print_
        if authors:
            state["last_mention_id"] = max(a[0] for a in authors)
        q.set_state(session, STATE_KEY, state)
    return StageResult(counts=counts)


#: The ``match_state`` row of the weekly stage.
STATE_KEY = "matching_stage"


def stored_model(session: Any) -> FSModel | None:
    """The model in use for this database (its newest ``match_model`` row), if any."""
    from store import matching as q

    row = q.current_model(session)
    if row is None:
        return None
    try:
        return FSModel.from_json(json.dumps(row.params))
    except (ValueError, KeyError) as exc:
        log.warning("match_model %s cannot be read (%s); using the bundled model", row.id, exc)
        return None


def _store_model(session: Any, model: FSModel, *, source: str, trained_by: str) -> int:
    from store import matching as q

    row = q.add_model(
        session,
        model.version,
        json.loads(model.to_json()),
        source=source,
        trained_by=trained_by,
    )
    return int(row.id or 0)


def retrain(db_url: str, *, trained_by: str) -> tuple[int, FSModel]:
    """Train a new model on every alumnus and every profile snapshot; store it.

    Explicit (``veille match retrain``) or scheduled, never a side effect of
    which host ran. Existing links are kept; the new model scores what comes
    next. Raises :class:`ValueError` when there are too few candidate pairs.
    """
    from store import matching as q
    from store.db import session_scope

    with session_scope(db_url) as session:
        alumni = q.alumni_rows(session)
        snaps = q.all_snapshot_rows(session)
        rows = [_person_row(str(s.id), s.person or {}, s.url) for s in snaps]
        if not alumni or not rows:
            raise ValueError("no alumni or no profile snapshots to learn from")
        index = AlumniIndex.build(pd.DataFrame(alumni))
        prof = prepare(_frame(rows))
        ai, pi = candidate_pairs(index, prof)
        if len(ai) < MIN_TRAIN_PAIRS:
            raise ValueError(
                f"only {len(ai)} candidate pairs (at least {MIN_TRAIN_PAIRS} are needed)"
            )
        model = train(index, prof, cmp=compare(index.prep, prof, ai, pi))
        model.trained["source"] = "retrain"
        model_id = _store_model(session, model, source="retrain", trained_by=trained_by)
    return model_id, model


def retrain_stage(ctx: StageContext) -> StageResult:
    """Scheduler stage ``match_retrain`` (``schedule.match_retrain_cron``): :func:`retrain`."""
    try:
        model_id, model = retrain(ctx.db_url, trained_by="scheduler")
    except ValueError as exc:
        return StageResult(counts={"model_trained": 0}, notes=[f"not retrained: {exc}"])
    return StageResult(
        counts={"model_trained": 1, "model_id": model_id, "pairs": int(model.trained["pairs"])}
    )


def _register_fingerprint(alumni: list[dict[str, Any]], model: FSModel) -> str:
    """A digest of every alumni row and the model: unchanged means nothing new to compare."""
    import hashlib

    digest = hashlib.sha256(model.to_json().encode())
    for row in alumni:
        digest.update(json.dumps(row, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _suggest_duplicates(session: Any, index: AlumniIndex, model: FSModel, threshold: float) -> int:
    """Add a "possible duplicate record" suggestion per new look-alike pair of alumni."""
    from datetime import UTC, datetime

    from enrich.suggestions import duplicate_rows
    from store.suggestions import add_suggestions

    pairs = duplicate_pairs(index, model, threshold=max(threshold, DUPLICATE_THRESHOLD))
    if not pairs:
        return 0
    return add_suggestions(session, duplicate_rows(pairs, checked_at=datetime.now(UTC)))


def _exact_identity(
    identities: Mapping[tuple[str, str], str],
    row: Mapping[str, str],
    url: str,
    person: Mapping[str, Any],
) -> tuple[str, str] | None:
    """(alumnus id, why) when an exact identifier of the profile is known."""
    if row.get("orcid"):
        hit = identities.get(("orcid", _norm_identity("orcid", row["orcid"])))
        if hit:
            return hit, "orcid"
    same_as = person.get("same_as") or []
    links = [same_as] if isinstance(same_as, str) else [str(x) for x in same_as]
    for link in [url, *links]:
        if not link:
            continue
        hit = identities.get(("url", _norm_identity("url", link)))
        if hit:
            return hit, f"url:{link}"
        orcid = _orcid_one(link) if "orcid.org" in link.lower() else ""
        if orcid and ("orcid", orcid) in identities:
            return identities[("orcid", orcid)], "orcid"
    return None
