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

Modules, one step each (this package re-exports what other code imports):
:mod:`~enrich.matching.fields` (1), :mod:`~enrich.matching.levels` (the level
names), :mod:`~enrich.matching.blocking` (2, 3),
:mod:`~enrich.matching.comparison` (4), :mod:`~enrich.matching.em` (5),
:mod:`~enrich.matching.fsmodel` (the model's JSON), :mod:`~enrich.matching.scoring`
(6), :mod:`~enrich.matching.linking` (6, the end-to-end API),
:mod:`~enrich.matching.pooling` (7), :mod:`~enrich.matching.duplicates` (8),
:mod:`~enrich.matching.explain` (evidence), :mod:`~enrich.matching.modelstore`
and :mod:`~enrich.matching.people` (the database's model and people), and
:mod:`~enrich.matching.stage` (the weekly pipeline stage).
"""

from __future__ import annotations

from enrich.matching.blocking import (
    BLOCKING_RULES,
    MAX_BLOCK,
    MAX_PAIRS_PER_KEY,
    RULE_MAX_PAIRS,
    AlumniIndex,
    blocking_keys,
    candidate_pairs,
)
from enrich.matching.comparison import (
    Comparison,
    compare,
)
from enrich.matching.duplicates import (
    DUPLICATE_MAX_PAIRS_PER_KEY,
    DUPLICATE_RATE,
    DUPLICATE_RULES,
    DUPLICATE_THRESHOLD,
    duplicate_pairs,
)
from enrich.matching.em import (
    SEED_RULES,
    SEED_RULES_BY_NAME,
    fit_em,
    random_pair_u,
    train,
)
from enrich.matching.explain import (
    evidence_for,
    evidence_many,
)
from enrich.matching.fields import (
    COLUMN_ALIASES,
    COLUMNS,
    parse_date,
    prepare,
)

# private, but enrich.suggestions normalises identifiers exactly as the matcher does
from enrich.matching.fields import _orcid_one as _orcid_one
from enrich.matching.fields import _url_key_one as _url_key_one
from enrich.matching.fsmodel import (
    MODEL_VERSION,
    READABLE_VERSIONS,
    UNSEEN_LEVEL,
    FSModel,
)
from enrich.matching.levels import (
    LEVELS,
    TF_COLUMNS,
    TF_FIELDS,
)
from enrich.matching.linking import (
    IncrementalLinker,
    Link,
    MatchStats,
    assign_one_to_one,
    link_prepared,
    match_frames,
)
from enrich.matching.modelstore import (
    DEFAULT_MODEL_PATH,
    MIN_TRAIN_PAIRS,
    default_model,
    retrain,
    retrain_stage,
    stored_model,
)
from enrich.matching.pooling import (
    FIELD_COLUMNS,
    POOL_MIN_PROFILES,
    POOLED_NOTE,
    pooled_records,
)
from enrich.matching.scoring import (
    Scores,
    exclusive_probability,
    score,
)
from enrich.matching.stage import (
    RULE_VERSION,
    STATE_KEY,
    matching_stage,
    state_dir,
)

__all__ = [
    "BLOCKING_RULES",
    "COLUMNS",
    "COLUMN_ALIASES",
    "DEFAULT_MODEL_PATH",
    "DUPLICATE_MAX_PAIRS_PER_KEY",
    "DUPLICATE_RATE",
    "DUPLICATE_RULES",
    "DUPLICATE_THRESHOLD",
    "FIELD_COLUMNS",
    "LEVELS",
    "MAX_BLOCK",
    "MAX_PAIRS_PER_KEY",
    "MIN_TRAIN_PAIRS",
    "MODEL_VERSION",
    "POOLED_NOTE",
    "POOL_MIN_PROFILES",
    "READABLE_VERSIONS",
    "RULE_MAX_PAIRS",
    "RULE_VERSION",
    "SEED_RULES",
    "SEED_RULES_BY_NAME",
    "STATE_KEY",
    "TF_COLUMNS",
    "TF_FIELDS",
    "UNSEEN_LEVEL",
    "AlumniIndex",
    "Comparison",
    "FSModel",
    "IncrementalLinker",
    "Link",
    "MatchStats",
    "Scores",
    "assign_one_to_one",
    "blocking_keys",
    "candidate_pairs",
    "compare",
    "default_model",
    "duplicate_pairs",
    "evidence_for",
    "evidence_many",
    "exclusive_probability",
    "fit_em",
    "link_prepared",
    "match_frames",
    "matching_stage",
    "parse_date",
    "pooled_records",
    "prepare",
    "random_pair_u",
    "retrain",
    "retrain_stage",
    "score",
    "state_dir",
    "stored_model",
    "train",
]
