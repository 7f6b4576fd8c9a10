"""Provenance of stored personal data: where each datum came from, and how.

Every stored personal datum and every suggested field must say where it came
from and how it was obtained (RGPD Art. 5(2) accountability, Art. 14(2)(f)
source of the data, Art. 30 record):

========== ===========================================================
key        meaning
========== ===========================================================
url        the page or API resource the datum was read from
fetched_at when it was fetched (ISO 8601, UTC)
method     how: ``api``, ``rss``, ``schema_person``, ``text_rules``...
source     the configured source name (``veille.toml`` ``[[sources]]``)
version    the crawler / rule / model version that produced it
========== ===========================================================

Where they live: ``Suggestion.provenance`` and ``Mention.provenance`` (JSON,
all five keys); ``ProfileSnapshot`` as columns (``url``, ``fetched_at``,
``method`` written ``name/version``, ``source_kind``/``source_id``);
``JobChange`` as ``method`` (``name/version``) plus the mention or snapshot
it was derived from, which carries the rest. A purged mention (retention)
legitimately has no URL any more: ``purged_at`` replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from store.models import JobChange, Mention, ProfileSnapshot, Suggestion

REQUIRED_KEYS = ("url", "fetched_at", "method", "source", "version")


def _missing_keys(provenance: Mapping[str, Any] | None, *, purged: bool = False) -> list[str]:
    prov = provenance or {}
    required = [k for k in REQUIRED_KEYS if not (purged and k == "url")]
    return [k for k in required if not str(prov.get(k) or "").strip()]


def _has_version(method: str) -> bool:
    name, sep, version = method.partition("/")
    return bool(name.strip() and sep and version.strip())


def missing_provenance(session: Session, *, limit: int | None = None) -> list[str]:
    """One line per row lacking provenance, e.g. ``suggestion 12: version``.

    Checks suggestions, mentions, profile snapshots and job changes. An empty
    list means every stored personal datum can say where it came from.
    """
    problems: list[str] = []

    def report(kind: str, ident: Any, missing: list[str]) -> bool:
        if missing:
            problems.append(f"{kind} {ident}: missing {', '.join(missing)}")
        return limit is not None and len(problems) >= limit

    for sid, prov in session.exec(
        select(Suggestion.id, Suggestion.provenance).order_by(col(Suggestion.id))
    ):
        if report("suggestion", sid, _missing_keys(prov)):
            return problems
    for mid, prov in session.exec(select(Mention.id, Mention.provenance).order_by(col(Mention.id))):
        purged = bool((prov or {}).get("purged_at"))
        if report("mention", mid, _missing_keys(prov, purged=purged)):
            return problems
    for snap in session.exec(select(ProfileSnapshot).order_by(col(ProfileSnapshot.id))):
        missing = [
            name
            for name, ok in (
                ("url", bool(snap.url or snap.profile_key)),
                ("fetched_at", snap.fetched_at is not None),
                ("method", bool(snap.method)),
                ("source", bool(snap.source_kind)),
                ("version", _has_version(snap.method)),
            )
            if not ok
        ]
        if report("profile_snapshot", snap.id, missing):
            return problems
    for jc in session.exec(select(JobChange).order_by(col(JobChange.id))):
        missing = []
        if not jc.method:
            missing.append("method")
        elif not _has_version(jc.method):
            missing.append("version")
        if jc.snapshot_id is None and jc.mention_id is None and not jc.evidence.get("url"):
            missing.append("url (no source mention or snapshot)")
        if report("job_change", jc.id, missing):
            return problems
    return problems
