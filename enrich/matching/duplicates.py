"""Possible duplicate records: the register compared with itself.

Why a separate prior and stricter rules: two records of one register are
rarely one person, far more rarely than a profile being an alumnus, and a
register against itself has many more pairs. The result is only ever
suggested to a reviewer; the matcher never merges records.
"""

from __future__ import annotations

import math

import numpy as np

from enrich.matching.blocking import AlumniIndex, candidate_pairs
from enrich.matching.comparison import compare
from enrich.matching.explain import evidence_many
from enrich.matching.fsmodel import FSModel
from enrich.matching.levels import LEVELS
from enrich.matching.linking import Link
from enrich.matching.scoring import score

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
