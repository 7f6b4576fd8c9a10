"""Read the match evidence the pipeline stores, for people and for the bands.

Why a module of its own: the matcher (:func:`enrich.matching.evidence_for`)
writes one entry per compared field, ``{"level", "weight", "values": [alumni,
profile], "written": [alumni, profile]}`` (the compared keys, then the values as written),
plus ``_notes``/``_model``; exact links write ``{"exact": why}``;
job changes linked through a snapshot write ``{"via_snapshot": id}``.
:mod:`enrich.suggestions` nests that under ``"match"``. Both the suggestion
stage (to keep a name-only match out of the high band) and the review page
(to explain a match) must read the same shape the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Fields that say who someone is called, not that it is them.
NAME_FIELDS = frozenset({"first_name", "last_name"})
#: Levels that mean "no agreement" (no evidence for the pair).
NON_AGREEING = frozenset({"different", "missing", ""})
#: Highest confidence a suggestion may carry when only the name agreed: under
#: the high band (0.95, :data:`store.review.BANDS`), so bulk "accept all high"
#: never takes a homonym.
NAME_ONLY_MAX_CONFIDENCE = 0.9


@dataclass
class FieldEvidence:
    """One compared field: both values, the agreement level and its weight (log2 BF)."""

    field: str
    alumni_value: str
    found_value: str
    level: str
    weight: float | None
    #: Both values as the records wrote them (accents, capitals), when the matcher kept
    #: them; ``alumni_value`` / ``found_value`` are the normalised keys it compared.
    alumni_written: str = ""
    found_written: str = ""

    @property
    def agrees(self) -> bool:
        """An agreeing level that weighs for the match (a level worth 0 says nothing)."""
        return self.level not in NON_AGREEING and (self.weight is None or self.weight > 0)

    @property
    def compared(self) -> bool:
        """At least one side had a value (a field empty on both sides says nothing)."""
        return bool(self.alumni_value or self.found_value)


@dataclass
class MatchEvidence:
    """What linked a found profile to an alumnus, read from a suggestion's evidence."""

    fields: list[FieldEvidence] = field(default_factory=list)
    #: ``orcid`` or ``url`` when an exact identifier linked them, else ``""``.
    exact: str = ""
    exact_value: str = ""
    via_snapshot: bool = False
    probability: float | None = None
    swapped_names: bool = False

    @property
    def agreeing(self) -> list[FieldEvidence]:
        return [f for f in self.fields if f.agrees]

    @property
    def name_only(self) -> bool:
        """True when names are all that agreed (no identifier, no other field)."""
        if self.exact or self.via_snapshot:
            return False
        agreeing = {f.field for f in self.agreeing}
        return bool(agreeing) and agreeing <= NAME_FIELDS


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def read_match(evidence: Any) -> MatchEvidence:
    """The match part of a suggestion's evidence (``evidence["match"]``), or of a link's.

    Accepts the suggestion evidence (with ``match``) or the bare match
    evidence; anything else gives an empty :class:`MatchEvidence`.
    """
    out = MatchEvidence()
    if not isinstance(evidence, Mapping):
        return out
    prob = evidence.get("match_probability")
    if isinstance(prob, (int, float)):
        out.probability = float(prob)
    match = evidence.get("match", evidence)
    if not isinstance(match, Mapping):
        return out
    exact = match.get("exact")
    if isinstance(exact, str) and exact:
        kind, _, value = exact.partition(":")
        out.exact, out.exact_value = kind, value
    out.via_snapshot = "via_snapshot" in match
    notes = match.get("_notes")
    out.swapped_names = isinstance(notes, list) and any("swapped" in str(n) for n in notes)
    for name, data in match.items():
        if str(name).startswith("_") or not isinstance(data, Mapping) or "level" not in data:
            continue
        values = data.get("values")
        pair = list(values) if isinstance(values, (list, tuple)) else []
        pair += [None, None]
        weight = data.get("weight")
        written = data.get("written")
        shown = list(written) if isinstance(written, (list, tuple)) else []
        shown += [None, None]
        out.fields.append(
            FieldEvidence(
                field=str(name),
                alumni_value=_text(pair[0]),
                found_value=_text(pair[1]),
                level=_text(data.get("level")),
                weight=float(weight) if isinstance(weight, (int, float)) else None,
                alumni_written=_text(shown[0]),
                found_written=_text(shown[1]),
            )
        )
    return out


def capped_confidence(confidence: float, evidence: Any) -> float:
    """``confidence``, kept under the high band when only the name agreed."""
    if read_match(evidence).name_only:
        return min(confidence, NAME_ONLY_MAX_CONFIDENCE)
    return confidence
