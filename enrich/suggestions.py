"""Suggested alumni updates from matched profiles and job changes.

Why suggestions and not updates: a match is a probability, and a profile can
be stale or wrong. Each changed field becomes one :class:`Suggestion` with the
old and new value, a confidence (match probability x extraction confidence),
the evidence (per-field match weights + snippet) and the provenance (source
URL, fetch date, method, matcher and rule versions). A person accepts or
rejects it; nothing here writes to an Alumnus.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rapidfuzz.distance import Levenshtein

from enrich import names
from enrich.evidence import capped_confidence, read_match
from enrich.matching import MODEL_VERSION, _orcid_one, _url_key_one
from store.models import Alumnus, JobChange, Mention, ProfileSnapshot
from veille.stages import StageContext, StageResult

log = logging.getLogger(__name__)

RULE_VERSION = "suggestions-1"
#: Extraction confidence of a structured profile field when the source gives none.
STRUCTURED_CONFIDENCE = 1.0
#: Extraction confidence of a job change from free text when the extractor gives none.
TEXT_CONFIDENCE = 0.8


def _same(field: str, old: str, new: str) -> bool:
    """Equal for the alumni office (case, accents, URL form, ORCID form)."""
    if field == "linkedin_url":
        return _url_key_one(old) == _url_key_one(new)
    if field == "orcid":
        return _orcid_one(old) == _orcid_one(new)
    return names.fold(old).replace("-", " ") == names.fold(new).replace("-", " ")


def _current(alumnus: Alumnus, field: str) -> str:
    if field == "emails":
        return ", ".join(alumnus.emails or [])
    return str(getattr(alumnus, field) or "")


#: log2 Bayes factor from which an agreeing field counts as "the same value"
#: (a factor of 2): a weaker level ("token_set>=60" on job titles) says the
#: values are alike, not that the found one is already on record.
SAME_VALUE_WEIGHT = 1.0


def agreed_fields(match: dict[str, Any] | None) -> set[str]:
    """Fields the matcher found to hold the same value as the record.

    Read as the review page reads them (``enrich.evidence``), keeping the
    agreeing levels that weigh at least :data:`SAME_VALUE_WEIGHT`.
    """
    return {
        f.field
        for f in read_match({"match": match or {}}).agreeing
        if f.weight is None or f.weight >= SAME_VALUE_WEIGHT
    }


#: Edits under which a found e-mail address is a typo of one on record, not a new address:
#: proposing "hsimmons@robebrts.com" over "hsimmons@roberts.com" at 100 % would teach the
#: office to distrust every suggestion.
EMAIL_TYPO_EDITS = 2


def _typo_of(new: str, known: set[str]) -> bool:
    """``new`` is an address on record with a slip or two (local part or domain).

    Digits are not slips: ``paris1.fr`` to ``paris8.fr`` or ``dupont2@`` is another
    address, so a difference in digits alone is kept as a change.
    """
    new = new.casefold()
    letters = "".join(c for c in new if not c.isdigit())
    for old in known:
        if Levenshtein.distance(new, old) > EMAIL_TYPO_EDITS:
            continue
        if letters != "".join(c for c in old if not c.isdigit()):
            return True
    return False


def proposed_changes(
    alumnus: Alumnus, values: dict[str, str], agreed: set[str] | None = None
) -> list[tuple[str, str, str]]:
    """(field, old, new) for every non-empty value that differs from the record.

    ``agreed``: fields the matcher scored as agreeing ("Sorbonne Nouvelle" and
    "Université Sorbonne Nouvelle Paris 3"); a match that rests on a field
    cannot also propose to change it, so those are left out. A found e-mail
    address a slip or two away from one on record is that address misspelt,
    not a change.
    """
    out = []
    for field, new in values.items():
        new = (new or "").strip()
        if not new or field in (agreed or set()):
            continue
        if field == "emails":
            known = {e.casefold() for e in alumnus.emails or []}
            if new.casefold() in known or _typo_of(new, known):
                continue
        elif _same(field, _current(alumnus, field), new):
            continue
        out.append((field, _current(alumnus, field), new))
    return out


def snapshot_values(snap: ProfileSnapshot) -> dict[str, str]:
    """Suggestible values of a profile snapshot (alumnus field -> value)."""
    p = snap.person or {}
    same_as = p.get("same_as") or []
    links = [same_as] if isinstance(same_as, str) else [str(x) for x in same_as]
    linkedin = next((x for x in [snap.url, *links] if "linkedin.com/in/" in x.lower()), "")
    orcid = str(p.get("orcid") or "")
    if not orcid:
        orcid = next((_orcid_one(x) for x in [snap.url, *links] if "orcid.org" in x.lower()), "")
    return {
        "employer": str(p.get("employer") or ""),
        "job_title": str(p.get("job_title") or ""),
        "city": str(p.get("city") or ""),
        "linkedin_url": linkedin,
        "orcid": orcid,
        "emails": str(p.get("email") or ""),
    }


def _iso(dt: datetime | None) -> str:
    return dt.isoformat() if dt else ""


def _row(
    alumnus: Alumnus,
    field: str,
    old: str,
    new: str,
    *,
    source_key: str,
    confidence: float,
    evidence: dict[str, Any],
    provenance: dict[str, Any],
    snapshot_id: int | None = None,
    job_change_id: int | None = None,
) -> dict[str, Any]:
    from store.suggestions import dedupe_key

    return {
        "dedupe_key": dedupe_key(alumnus.id, field, new, source_key),
        "alumnus_id": alumnus.id,
        "field": field,
        "old_value": old or None,
        "new_value": new,
        # a homonym is not a match: name-only evidence never reaches the high band
        "confidence": round(capped_confidence(confidence, evidence), 6),
        "evidence": evidence,
        "provenance": _complete(provenance),
        "status": "pending",
        "snapshot_id": snapshot_id,
        "job_change_id": job_change_id,
    }


def _complete(provenance: dict[str, Any]) -> dict[str, Any]:
    """The keys every suggested field carries (see store.provenance.REQUIRED_KEYS)."""
    return {
        "url": provenance.get("source_url") or provenance.get("url") or "",
        "source": provenance.get("source_kind") or provenance.get("source") or "",
        "version": f"matcher {MODEL_VERSION}; rules {RULE_VERSION}",
        **provenance,
    }


def suggestions_stage(ctx: StageContext) -> StageResult:
    """One pending suggestion per changed field of each matched profile or job change."""
    from store import suggestions as q
    from store.db import session_scope

    min_conf = float(ctx.settings.thresholds.suggestion_min_confidence)
    counts = {"candidates": 0, "created": 0, "below_confidence": 0, "superseded": 0}
    with session_scope(ctx.db_url) as session:
        snaps = q.linked_snapshots(session)
        jcs = q.linked_job_changes(session)
        alumni = q.alumni_by_id(
            session,
            [s.alumnus_id for s in snaps if s.alumnus_id]
            + [jc.alumnus_id for jc, _ in jcs if jc.alumnus_id],
        )
        rows: list[dict[str, Any]] = []
        for snap in snaps:
            alumnus = alumni.get(snap.alumnus_id or "")
            if alumnus is None or alumnus.opt_out:
                continue
            match_p = float(snap.match_probability or 0.0)
            extract = float((snap.person or {}).get("confidence", STRUCTURED_CONFIDENCE))
            provenance = {
                "source_url": snap.url,
                "fetched_at": _iso(snap.fetched_at),
                "method": snap.method,
                "source_kind": snap.source_kind,
                "profile_key": snap.profile_key,
                "matcher": MODEL_VERSION,
                "rule": RULE_VERSION,
            }
            agreed = agreed_fields(snap.match_evidence)
            for field, old, new in proposed_changes(alumnus, snapshot_values(snap), agreed):
                rows.append(
                    _row(
                        alumnus,
                        field,
                        old,
                        new,
                        source_key=f"snapshot:{snap.profile_key}:{snap.content_hash}",
                        confidence=match_p * extract,
                        evidence={
                            "match_probability": match_p,
                            "extraction_confidence": extract,
                            "match": snap.match_evidence or {},
                            "snippet": _snippet(snap.person or {}),
                        },
                        provenance=provenance,
                        snapshot_id=snap.id,
                    )
                )
        for jc, mention in jcs:
            alumnus = alumni.get(jc.alumnus_id or "")
            if alumnus is None or alumnus.opt_out:
                continue
            rows.extend(_job_change_rows(alumnus, jc, mention))
        counts["candidates"] = len(rows)
        keep = [r for r in rows if r["confidence"] >= min_conf]
        counts["below_confidence"] = len(rows) - len(keep)
        counts["created"] = q.add_suggestions(session, keep)
        counts["superseded"] = q.supersede_older(
            session, [(r["alumnus_id"], r["field"]) for r in keep]
        )
    return StageResult(counts=counts)


#: The suggestion "these two alumni records may be one person". Accepting it
#: records the reviewer's decision; it never merges or changes either record.
DUPLICATE_FIELD = "possible_duplicate"


def duplicate_rows(pairs: list[Any], *, checked_at: datetime) -> list[dict[str, Any]]:
    """One pending suggestion per pair of alumni records the matcher finds alike.

    ``pairs`` are :class:`enrich.matching.Link` from
    :func:`enrich.matching.duplicate_pairs` (two alumni ids). The suggestion
    sits on the first record and names the second; its evidence is the
    per-field comparison of the two records, like a profile match.
    """
    from store.suggestions import dedupe_key

    rows = []
    for lk in pairs:
        first, other = lk.alumni_id, lk.profile_id
        rows.append(
            {
                "dedupe_key": dedupe_key(first, DUPLICATE_FIELD, other, "register"),
                "alumnus_id": first,
                "field": DUPLICATE_FIELD,
                "old_value": None,
                "new_value": other,
                "confidence": round(float(lk.probability), 6),
                "evidence": {"match_probability": float(lk.probability), "match": lk.evidence},
                "provenance": _complete(
                    {
                        "url": f"/alumni/{other}",
                        "source": "alumni_register",
                        "source_kind": "alumni_register",
                        "fetched_at": _iso(checked_at),
                        "method": f"duplicate_check/{MODEL_VERSION}",
                        "matcher": MODEL_VERSION,
                        "rule": RULE_VERSION,
                        "other_alumnus_id": other,
                    }
                ),
                "status": "pending",
                "snapshot_id": None,
                "job_change_id": None,
            }
        )
    return rows


def _snippet(person: dict[str, Any]) -> str:
    parts = [str(person.get(k) or "") for k in ("name", "job_title", "employer", "city")]
    return " · ".join(p for p in parts if p)[:280]


def _job_change_rows(
    alumnus: Alumnus, jc: JobChange, mention: Mention | None
) -> list[dict[str, Any]]:
    match_p = float(jc.match_probability or 0.0)
    ev = jc.evidence or {}
    extract = float(ev.get("confidence", TEXT_CONFIDENCE))
    provenance = {
        "source_url": (mention.url if mention else "") or str(ev.get("url", "")),
        "fetched_at": _iso(mention.collected_at if mention else jc.detected_at),
        "published_at": _iso(mention.published_at) if mention else "",
        "source_kind": f"mention:{mention.platform}" if mention else "job_change",
        "method": jc.method,
        "job_change_id": jc.id,
        "matcher": MODEL_VERSION,
        "rule": RULE_VERSION,
    }
    snippet = str(
        ev.get("snippet") or ev.get("sentence") or (mention.text[:280] if mention else "")
    )
    values = {"employer": jc.organization or "", "job_title": jc.title or ""}
    return [
        _row(
            alumnus,
            field,
            old,
            new,
            source_key=f"job_change:{jc.dedupe_key}",
            confidence=match_p * extract,
            evidence={
                "match_probability": match_p,
                "extraction_confidence": extract,
                "match": ev.get("match", {}),
                "snippet": snippet,
            },
            provenance=provenance,
            job_change_id=jc.id,
        )
        for field, old, new in proposed_changes(alumnus, values, agreed_fields(ev.get("match")))
    ]
