"""Linking: candidate pairs -> scored, assigned links (the end-to-end API).

Why here: :func:`link_prepared` ties blocking, comparison, scoring, pooling
and evidence together, and :func:`assign_one_to_one` decides who gets what:
each profile at most once, while an alumnus may have many profiles (ORCID,
staff page, LinkedIn) unless ``alumni_unique``. :func:`match_frames` is what
``veille match`` runs; :class:`IncrementalLinker` is what weekly runs use.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from enrich.matching.blocking import AlumniIndex, candidate_pairs
from enrich.matching.comparison import Comparison, compare
from enrich.matching.em import train
from enrich.matching.explain import evidence_many
from enrich.matching.fields import prepare
from enrich.matching.fsmodel import FSModel
from enrich.matching.pooling import POOLED_NOTE, _concat, _pool_linked_profiles, _pooled_new_pairs
from enrich.matching.scoring import exclusive_probability, score


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
