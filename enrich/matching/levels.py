"""Comparison fields and their agreement levels: the matcher's vocabulary.

Why a module of its own: the level names are shared by the comparisons
(which compute level codes), the model (whose m and u are indexed by level
and whose JSON names them, so a model trained on other levels is detected),
the evidence shown to reviewers and the web labels. Changing a tuple here
changes what a stored model means.
"""

from __future__ import annotations

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
