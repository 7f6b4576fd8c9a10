"""What every profile source shares: the normalised person and its snapshot.

All profile sources (schema.org pages, ORCID, appointment feeds, the LinkedIn
export) produce the same ``person`` keys, so the diff and the matcher never
care where a profile came from. ``content_hash`` is the sha256 of the
canonical person JSON: an unchanged profile fetched again hits the unique key.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from store.models import ProfileSnapshot

PERSON_KEYS = (
    "name",
    "given_name",
    "family_name",
    "job_title",
    "employer",
    "city",
    "alumni_of",
    "same_as",
    "email",
    "orcid",
    "start_date",
)
LIST_KEYS = {"alumni_of", "same_as"}


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def normalise_person(**fields: Any) -> dict[str, Any]:
    """Every person key present: strings stripped, lists deduplicated and sorted."""
    person: dict[str, Any] = {}
    for key in PERSON_KEYS:
        value = fields.get(key)
        if key in LIST_KEYS:
            items = value if isinstance(value, list | tuple) else ([value] if value else [])
            person[key] = sorted({_clean(v) for v in items if _clean(v)})
        else:
            person[key] = _clean(value) or None
    if not person["name"]:
        joined = " ".join(p for p in (person["given_name"], person["family_name"]) if p)
        person["name"] = joined or None
    if person["email"]:
        person["email"] = person["email"].lower()
    return person


def content_hash(person: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``person`` (sorted keys, no spaces)."""
    blob = json.dumps(person, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def make_snapshot(
    *,
    profile_key: str,
    source_kind: str,
    person: dict[str, Any],
    url: str,
    method: str,
    raw: dict[str, Any] | None = None,
    fetched_at: datetime | None = None,
) -> ProfileSnapshot:
    """A ProfileSnapshot (not persisted) with provenance and content hash set."""
    return ProfileSnapshot(
        profile_key=profile_key[:512],
        source_kind=source_kind,
        url=url,
        method=method,
        fetched_at=fetched_at or datetime.now(UTC),
        person=person,
        raw=raw or {},
        content_hash=content_hash(person),
    )
