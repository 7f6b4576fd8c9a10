"""Stored people (profile snapshots, ``person`` JSON) -> rows of the matcher's columns.

Why shared: the weekly stage and :func:`enrich.matching.modelstore.retrain`
must read a snapshot the same way, or a retrained model would be fitted on
fields the stage never compares.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from enrich import names
from enrich.matching.fields import COLUMNS


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
