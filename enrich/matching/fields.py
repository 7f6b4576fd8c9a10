"""Field preparation: any subset of the alumni-import columns -> one normalised frame.

Why a module of its own: every later step (blocking keys, comparisons, term
frequencies, evidence values) reads the prepared columns (``fn``, ``ln``,
``dob``, ``email_local``...), never the raw ones, so the normalisation rules
(accents, birth names, date formats, ORCID and LinkedIn forms) live in one
place. :mod:`enrich.suggestions` normalises identifiers with the same helpers
so that "already known" means the same thing on both sides.
"""

from __future__ import annotations

import re
from typing import Any

import jellyfish
import numpy as np
import pandas as pd

from enrich import names
from veille.alumni_csv import COLUMNS as ALUMNI_CSV_COLUMNS

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


_DIGITS = re.compile(r"\D+")
_ORCID = re.compile(r"(\d{4}-?\d{4}-?\d{4}-?\d{3}[\dX])", re.IGNORECASE)


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


#: The values as the record wrote them, kept beside the comparison keys for the evidence a
#: reviewer reads ("Londres", not the key "londres"); never compared.
WRITTEN_COLUMNS: dict[str, str] = {
    f: f"w_{f}"
    for f in (
        "first_name",
        "last_name",
        "birth_date",
        "email",
        "city",
        "postcode",
        "address",
        "employer",
        "job_title",
        "birth_place",
        "graduation_year",
        "linkedin_url",
        "orcid",
    )
}


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
    for field, column in WRITTEN_COLUMNS.items():
        out[column] = _col(df, field)
    return out
