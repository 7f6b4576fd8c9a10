"""ORCID public API v3.0: a researcher's current employment -> ProfileSnapshot.

Targets are ORCID iDs (``0000-0002-1825-0097`` or the full orcid.org URL).
For each, ``/v3.0/{id}/employments`` gives the affiliations and
``/v3.0/{id}/person`` the name; the current employment is the one without
an end date that started last. The public API needs no token. Each iD is a
target of its own, fetched through the one polite client (retries, rate,
address guard).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, ClassVar

from crawlers.base import Batch, CrawlContext, Target, host_group
from crawlers.http import Gone, PoliteClient, polite_client
from crawlers.profile_common import make_snapshot, normalise_person
from store.models import ProfileSnapshot
from veille.errors import ConfigError
from veille.i18n import _

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://pub.orcid.org"
METHOD = "orcid_api_v3/employments"


def normalise_orcid(value: str) -> str:
    """``https://orcid.org/0000-...`` or ``0000...`` -> ``0000-0000-0000-0000``."""
    v = value.strip().rstrip("/").rsplit("/", 1)[-1].replace(" ", "").upper()
    digits = v.replace("-", "")
    if len(digits) == 16:
        v = "-".join(digits[i : i + 4] for i in range(0, 16, 4))
    return v


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 11,2 check digit, as ORCID defines it."""
    digits = orcid.replace("-", "")
    if len(digits) != 16 or not digits[:15].isdigit():
        return False
    total = 0
    for ch in digits[:15]:
        total = (total + int(ch)) * 2
    result = (12 - total % 11) % 11
    check = "X" if result == 10 else str(result)
    return digits[15] == check


def _value(node: Any) -> str:
    if isinstance(node, dict):
        v = node.get("value")
        return str(v) if v is not None else ""
    return ""


def fuzzy_date(node: Any) -> str | None:
    """ORCID ``{"year": {"value": "2019"}, "month": ..., "day": ...}`` -> ``2019-09-01``."""
    if not isinstance(node, dict):
        return None
    year = _value(node.get("year"))
    if not year:
        return None
    month = _value(node.get("month")) or "01"
    day = _value(node.get("day")) or "01"
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def employment_summaries(payload: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for group in payload.get("affiliation-group") or []:
        for summary in group.get("summaries") or []:
            emp = summary.get("employment-summary")
            if isinstance(emp, dict):
                out.append(emp)
    return out


def current_employment(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The open-ended employment that started last (or the last ended one if none is open)."""
    emps = employment_summaries(payload)
    if not emps:
        return None
    open_ = [e for e in emps if not e.get("end-date")]
    pool = open_ or emps
    return max(pool, key=lambda e: fuzzy_date(e.get("start-date")) or "")


def person_name(payload: dict[str, Any] | None) -> tuple[str, str, str]:
    """(given, family, credit name) from a ``/person`` payload."""
    if not payload:
        return "", "", ""
    name = payload.get("name") or {}
    return (
        _value(name.get("given-names")),
        _value(name.get("family-name")),
        _value(name.get("credit-name")),
    )


def orcid_snapshot(
    orcid: str, employments: dict[str, Any], person: dict[str, Any] | None, base_url: str
) -> ProfileSnapshot | None:
    emp = current_employment(employments)
    if emp is None:
        return None
    org = emp.get("organization") or {}
    address = org.get("address") or {}
    given, family, credit = person_name(person)
    normalised = normalise_person(
        name=credit or None,
        given_name=given,
        family_name=family,
        job_title=emp.get("role-title"),
        employer=org.get("name"),
        city=address.get("city"),
        orcid=orcid,
        same_as=[f"https://orcid.org/{orcid}"],
        start_date=fuzzy_date(emp.get("start-date")),
    )
    return make_snapshot(
        profile_key=f"orcid:{orcid}",
        source_kind="orcid",
        person=normalised,
        url=f"{base_url.rstrip('/')}/v3.0/{orcid}/employments",
        method=METHOD,
        raw={"employment": emp, "department": emp.get("department-name")},
    )


def fetch_json(client: PoliteClient, url: str) -> dict[str, Any] | None:
    """GET a JSON document; None on 404 (a deactivated or unknown iD)."""
    try:
        data = client.get_json(url, headers={"Accept": "application/json"})
    except Gone:
        return None
    return data if isinstance(data, dict) else None


class OrcidSource:
    """Current employment of each configured ORCID iD."""

    kind: ClassVar[str] = "orcid"

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx
        self.settings = ctx.source
        self.base_url = (self.settings.base_url or DEFAULT_BASE_URL).rstrip("/")
        self._http: PoliteClient | None = None

    def orcids(self) -> list[str]:
        return [normalise_orcid(t) for t in self.settings.targets if t.strip()]

    def targets(self) -> list[Target]:
        group = host_group(self.base_url)
        return [Target(i, group=group) for i in self.orcids()]

    def validate(self) -> None:
        ids = self.orcids()
        if not ids:
            raise ConfigError(
                _("source %(source)s: list ORCID iDs in `targets`")
                % {"source": repr(self.settings.name)}
            )
        bad = [i for i in ids if not orcid_checksum_ok(i)]
        if bad:
            raise ConfigError(
                _("source %(source)s: invalid ORCID iD(s) %(ids)s (check digits do not match)")
                % {"source": repr(self.settings.name), "ids": ", ".join(bad)}
            )

    @property
    def http(self) -> PoliteClient:
        if self._http is None:
            self._http = polite_client(self.ctx, {"Accept": "application/json"})
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def fetch(self, target: Target, cursor: dict[str, Any]) -> Iterator[Batch]:
        """One batch per iD."""
        orcid = target.name
        employments = fetch_json(self.http, f"{self.base_url}/v3.0/{orcid}/employments")
        person = (
            fetch_json(self.http, f"{self.base_url}/v3.0/{orcid}/person") if employments else None
        )
        snap = orcid_snapshot(orcid, employments or {}, person, self.base_url)
        yield Batch(
            snapshots=[snap] if snap else [],
            cursor={"found": employments is not None},
            counts={"orcids": 1, "employments": len(employment_summaries(employments or {}))},
        )
