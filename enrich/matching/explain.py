"""Evidence: what a reviewer sees of each link (level, weight, both values per field).

Why: a probability alone cannot be checked; "birth date exact +9.1, city
differs -1.2" can. The shape is what :mod:`enrich.suggestions` stores and the
web review page renders (see :mod:`enrich.evidence`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from enrich.matching.comparison import Comparison
from enrich.matching.fields import WRITTEN_COLUMNS
from enrich.matching.levels import LEVELS
from enrich.matching.scoring import Scores

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
        wcol = WRITTEN_COLUMNS.get(fld, "")
        if wcol in ap.columns and wcol in pp.columns:
            wa, wp = ap[wcol].iat[a], pp[wcol].iat[p]
            if fld in ("first_name", "last_name") and bool(cmp.swapped[k]):
                other = "last_name" if fld == "first_name" else "first_name"
                wp = pp[WRITTEN_COLUMNS[other]].iat[p]
            ev[fld]["written"] = [_plain(wa), _plain(wp)]
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
        for ev, written in zip(out, _written(fld, a_rows, p_rows, swapped, ap, pp), strict=False):
            ev[fld]["written"] = written
    for j in np.flatnonzero(swapped).tolist():
        out[j]["_notes"] = ["first and last name swapped on the profile"]
    return out


def _written(
    fld: str,
    a_rows: np.ndarray,
    p_rows: np.ndarray,
    swapped: np.ndarray,
    ap: pd.DataFrame,
    pp: pd.DataFrame,
) -> list[list[Any]]:
    """Both values of ``fld`` as the records wrote them, pair by pair (empty when the frames
    were prepared without them)."""
    wcol = WRITTEN_COLUMNS.get(fld, "")
    if wcol not in ap.columns or wcol not in pp.columns:
        return []
    wa = _plain_array(ap[wcol].to_numpy()[a_rows])
    wp = _plain_array(pp[wcol].to_numpy()[p_rows])
    if fld in ("first_name", "last_name") and swapped.any():
        other_col = WRITTEN_COLUMNS["last_name" if fld == "first_name" else "first_name"]
        other = _plain_array(pp[other_col].to_numpy()[p_rows])
        wp = [o if s else v for v, o, s in zip(wp, other, swapped.tolist(), strict=True)]
    return [[x, y] for x, y in zip(wa, wp, strict=True)]


def _plain_array(values: np.ndarray) -> list[Any]:
    """:func:`_plain` of a whole column: "" and 0 become None, numpy ints plain ints."""
    if values.dtype.kind in "iu":
        return [int(v) if v else None for v in values.tolist()]
    return [v if v != "" else None for v in values.tolist()]


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v) if int(v) else None
    return v if v != "" else None
