"""Public pages carrying schema.org ``Person`` data -> ProfileSnapshot.

Each configured target is a page URL (absolute, or relative to ``base_url``).
extruct reads JSON-LD, microdata and RDFa; ``worksFor`` / ``alumniOf`` given as
``{"@id": ...}`` are resolved within the page's own graph (Yoast-style pages
put the organisation in a separate node). Noise is dropped on purpose: forum
ranks put in ``jobTitle`` ("Forum Moderator", "Hero"), an organisation's name
put in ``jobTitle`` (the byline of "El Comercio"), and "persons" whose name is
a URL. Only persons with something professional (title, employer, schools)
become snapshots.

Each page is a target of its own, fetched through the one polite client
(:func:`crawlers.http.polite_client`: retries, rate, and the address guard on
every redirect hop and connection). A page that answers 404 is reported on
its own row and every other page is still read, on every run.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin

from crawlers.base import Batch, CrawlContext, Target, host_group
from crawlers.http import PoliteClient, polite_client
from crawlers.profile_common import make_snapshot, normalise_person
from store.models import ProfileSnapshot
from store.types import utcnow
from veille.errors import ConfigError
from veille.i18n import _

log = logging.getLogger(__name__)

USER_AGENT = "veille/0.1 (+https://github.com/veille; alumni profile monitor)"
METHOD = "schema_org/extruct"

#: Forum and community ranks that sites put in ``jobTitle``.
FORUM_RANKS = {
    "forum moderator",
    "moderator",
    "global moderator",
    "administrator",
    "admin",
    "hero",
    "reader",
    "member",
    "new member",
    "senior member",
    "junior member",
    "newbie",
    "guest",
    "rookie",
    "legend",
    "veteran",
    "vip",
    "staff",
    "well-known member",
    "active member",
    "registered user",
    "user",
    "banned",
    "supporter",
    "premium member",
    "contributor",
}


def _types(node: dict[str, Any]) -> list[str]:
    t = node.get("@type") or []
    items = t if isinstance(t, list) else [t]
    return [str(x).rsplit("/", 1)[-1] for x in items]


def _walk(obj: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(obj, dict):
        out.append(obj)
        for v in obj.values():
            _walk(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _walk(v, out)


def _name_of(value: Any, index: dict[str, dict[str, Any]]) -> str:
    """A plain name from a string, a node, an ``{"@id"}`` reference or a list of them."""
    if value is None:
        return ""
    if isinstance(value, list):
        for v in value:
            name = _name_of(v, index)
            if name:
                return name
        return ""
    if isinstance(value, dict):
        ref = value.get("@id")
        if ref and len(value) <= 2 and ref in index and index[ref] is not value:
            return _name_of(index[ref], index)
        for key in ("name", "Name", "legalName", "value", "@value"):
            if value.get(key):
                return _name_of(value[key], index)
        return ""
    return " ".join(str(value).split())


def _names(value: Any, index: dict[str, dict[str, Any]]) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [n for n in (_name_of(v, index) for v in items) if n]


def _urls(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for v in items:
        if isinstance(v, dict):
            v = v.get("@id") or v.get("url") or ""
        if isinstance(v, str) and v.startswith(("http://", "https://")):
            out.append(v.strip())
    return out


def _looks_like_url(text: str) -> bool:
    return bool(re.match(r"^(https?://|/|www\.)", text.strip())) or "/" in text


def _clean_title(titles: list[str], org_names: set[str]) -> str | None:
    """The first title that is a real job title (not a forum rank, not an organisation)."""
    for t in titles:
        low = t.casefold().strip()
        if not low or len(low) > 120 or low in FORUM_RANKS:
            continue
        if any(
            low == o or o.startswith(low + " ") or low.startswith(o + " ") for o in org_names if o
        ):
            continue
        return t
    return None


def extract_persons(html: str, page_url: str) -> list[dict[str, Any]]:
    """Normalised persons (with ``_id`` and ``_raw``) found in one page, merged by name."""
    import extruct

    data = extruct.extract(
        html,
        base_url=page_url,
        syntaxes=["json-ld", "microdata", "rdfa"],
        uniform=True,
        errors="ignore",
    )
    nodes: list[dict[str, Any]] = []
    for syntax in ("json-ld", "microdata", "rdfa"):
        _walk(data.get(syntax) or [], nodes)
    index = {str(n["@id"]): n for n in nodes if isinstance(n.get("@id"), str) and len(n) > 1}
    org_names = {
        _name_of(n, index).casefold()
        for n in nodes
        if any(
            t in {"Organization", "NewsMediaOrganization", "Corporation", "WebSite"}
            for t in _types(n)
        )
        and "Person" not in _types(n)
    }
    merged: dict[str, dict[str, Any]] = {}
    for node in nodes:
        if "Person" not in _types(node):
            continue
        name = _name_of(node.get("name"), index)
        if not name or _looks_like_url(name):
            continue
        titles = _names(node.get("jobTitle"), index)
        employer = _name_of(node.get("worksFor") or node.get("affiliation"), index)
        alumni = _names(node.get("alumniOf"), index)
        same_as = _urls(node.get("sameAs"))
        address = node.get("address") or node.get("homeLocation") or {}
        city = ""
        if isinstance(address, dict):
            ref = address.get("@id")
            address = index.get(ref, address) if ref else address
            city = _name_of(address.get("addressLocality"), index) or ""
        email = _name_of(node.get("email"), index).removeprefix("mailto:")
        orcid = next((u.rstrip("/").rsplit("/", 1)[-1] for u in same_as if "orcid.org/" in u), "")
        title = _clean_title(titles, org_names | {employer.casefold()} if employer else org_names)
        key = name.casefold()
        current = merged.setdefault(key, {"name": name, "_raw": [], "_id": ""})
        current["_raw"].append(
            {
                k: v
                for k, v in node.items()
                if k
                in {
                    "@id",
                    "@type",
                    "name",
                    "jobTitle",
                    "worksFor",
                    "affiliation",
                    "alumniOf",
                    "sameAs",
                    "url",
                    "givenName",
                    "familyName",
                }
            }
        )
        node_id = node.get("@id") or node.get("url") or ""
        if isinstance(node_id, str) and node_id.startswith("http") and not current["_id"]:
            current["_id"] = node_id
        for field, value in (
            ("given_name", _name_of(node.get("givenName"), index)),
            ("family_name", _name_of(node.get("familyName"), index)),
            ("job_title", title),
            ("employer", employer),
            ("city", city),
            ("email", email),
            ("orcid", orcid),
        ):
            if value and not current.get(field):
                current[field] = value
        current.setdefault("alumni_of", [])
        current["alumni_of"] += [a for a in alumni if a not in current["alumni_of"]]
        current.setdefault("same_as", [])
        current["same_as"] += [u for u in same_as if u not in current["same_as"]]
    out = []
    for p in merged.values():
        if not (p.get("job_title") or p.get("employer") or p.get("alumni_of")):
            continue
        person = normalise_person(**{k: v for k, v in p.items() if not k.startswith("_")})
        out.append({"person": person, "_id": p["_id"], "_raw": p["_raw"]})
    return out


def page_snapshots(html: str, page_url: str) -> list[ProfileSnapshot]:
    """One snapshot per professional Person on the page, keyed by its @id or page + name."""
    snaps = []
    for found in extract_persons(html, page_url):
        person = found["person"]
        key = found["_id"] or f"{page_url}#{person['name'].casefold()}"
        snaps.append(
            make_snapshot(
                profile_key=f"schema_person:{key}",
                source_kind="schema_person",
                person=person,
                url=page_url,
                method=METHOD,
                raw={"nodes": found["_raw"]},
            )
        )
    return snaps


class SchemaPersonSource:
    """Re-reads configured profile pages; unchanged pages store nothing new."""

    kind: ClassVar[str] = "schema_person"

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx
        self.settings = ctx.source
        self._http: PoliteClient | None = None

    def validate(self) -> None:
        if not self.settings.targets:
            raise ConfigError(
                _("source %(source)s: list the profile page URLs in `targets`")
                % {"source": repr(self.settings.name)}
            )
        for t in self.pages():
            if not t.startswith(("http://", "https://")):
                raise ConfigError(
                    _(
                        "source %(source)s: %(url)s is not an http(s) URL; "
                        "give absolute URLs or set base_url"
                    )
                    % {"source": repr(self.settings.name), "url": repr(t)}
                )

    def pages(self) -> list[str]:
        base = self.settings.base_url
        return [urljoin(base.rstrip("/") + "/", t) if base else t for t in self.settings.targets]

    def targets(self) -> list[Target]:
        return [Target(url, group=host_group(url)) for url in self.pages()]

    @property
    def http(self) -> PoliteClient:
        if self._http is None:
            self._http = polite_client(
                self.ctx, {"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml"}
            )
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def fetch(self, target: Target, cursor: dict[str, Any]) -> Iterator[Batch]:
        """One batch for the page (redirects followed hop by hop, each one checked)."""
        response = self.http.get_ok(target.name)
        snaps = page_snapshots(response.text, str(response.url))
        yield Batch(
            snapshots=snaps,
            cursor={"fetched_at": utcnow().isoformat(), "final_url": str(response.url)},
            counts={"pages": 1, "persons": len(snaps)},
        )
