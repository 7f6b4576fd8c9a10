"""Templates and the small presentation helpers they use.

Autoescape is always on (every page shows untrusted text: mention text,
names, scraped job titles). Links built from untrusted URLs go through
:func:`safe_url`, which only lets http(s) through, so a ``javascript:`` URL
in a profile or provenance never becomes a clickable script.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from store.review import band, current_value
from veille.urls import http_url

TEMPLATE_DIR = Path(__file__).parent / "templates"


class _Labels(dict[str, str]):
    """Labels whose ``get`` never shows an internal key: unknown keys get ``unknown``.

    Templates write ``FIELD_LABELS.get(s.field, s.field)``; a suggestion on a
    field no producer should write (a bug upstream) then reads "Champ non
    reconnu" instead of a raw column name, and the page still renders.
    """

    def __init__(self, labels: dict[str, str], unknown: str) -> None:
        super().__init__(labels)
        self.unknown = unknown

    def get(self, key: object, default: object = None) -> str:
        if isinstance(key, str) and key in self:
            return self[key]
        return self.unknown if key else ""


FIELD_LABELS = _Labels(
    {
        "employer": "Employeur",
        "job_title": "Poste",
        "city": "Ville",
        "postcode": "Code postal",
        "address": "Adresse",
        "linkedin_url": "Profil LinkedIn",
        "orcid": "ORCID",
        "emails": "Courriel",
        "opt_out": "Opposition",
        "possible_duplicate": "Doublon possible (même personne, deux fiches)",
    },
    unknown="Champ non reconnu",
)
SCOPE_LABELS = {
    "read": "Lecture",
    "review": "Lecture et décisions",
    "admin": "Administration",
}
BAND_LABELS = {"high": "Élevée", "medium": "Moyenne", "low": "Faible"}
ROLE_LABELS = {
    "admin": "Administration",
    "alumni_officer": "Service alumni",
    "community_manager": "Community manager",
    "communications": "Communication",
}
ACTION_LABELS = {
    "accept": "Accepté",
    "self_confirm": "Confirmé par l'alumnus",
    "undo": "Annulé",
    "reject": "Rejeté",
    "opt_out": "Opposition (opt-out)",
    "import": "Import",
    "erase": "Effacement",
}

#: Crawl source health, as the admin page says it.
SOURCE_STATUS_LABELS = {
    "ok": "En service",
    "degraded": "Dégradée",
    "down": "Hors service",
    "blocked": "Bloquée (accès refusé ou adresse interdite)",
    "rate_limited": "Limitée par la plateforme",
    "budget_exhausted": "Budget atteint",
    "never_run": "Jamais lancée",
}
SOURCE_STATUS_BADGES = {
    "ok": "sent-positive",
    "degraded": "sent-neutral",
    "rate_limited": "sent-neutral",
    "budget_exhausted": "sent-neutral",
    "down": "sent-negative",
    "blocked": "sent-negative",
}
SOURCE_KIND_LABELS = {
    "twitter": "X (Twitter)",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "reddit": "Reddit",
    "rss": "Flux RSS / Atom",
    "web": "Sites web",
    "schema_person": "Pages de profil",
    "orcid": "ORCID",
    "appointments": "Flux de nominations",
}
#: Why an item was put in quarantine.
REJECT_REASON_LABELS = {
    "null_item": "Élément vide (null)",
    "not_an_object": "Élément qui n'est pas un objet",
    "unreadable": "Élément illisible",
    "refused_by_database": "Refusé par la base de données",
    "error_body": "Message d'erreur à la place des résultats",
}

_WEIGHT_KEYS = ("weight", "match_weight", "bayes_factor", "log_weight", "log2_bf", "contribution")
_AGREEMENT_KEYS = ("agreement", "level", "comparison", "match", "similarity", "label", "value")


#: ``value`` if it is an http(s) URL, else ``""`` (never a script URL); see
#: :func:`veille.urls.http_url`, shared with the reports.
safe_url = http_url


def target_label(value: object) -> str:
    """A crawl target as people say it: ``#tag (instance)``, ``recherche « terme »``, a URL."""
    text = str(value or "")
    kind, _, rest = text.partition(":")
    if kind == "tag" and "#" in rest:
        root, _, tag = rest.rpartition("#")
        host = urlsplit(root).netloc or root
        return f"#{tag} ({host})"
    if kind == "search" and rest:
        return f"recherche « {rest.strip(chr(34))} »"
    if kind == "mentions" and rest:
        return f"mentions de @{rest}"
    if text == "sites":
        return "sites (exploration)"
    return text


def fmt_dt(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "")


def fmt_value(field_name: str | None, value: str | None) -> str:
    """A field value for display; the e-mail list is shown comma-separated."""
    if value is None or value == "":
        return "—"
    if field_name == "emails" and value.startswith("["):
        try:
            return ", ".join(str(v) for v in json.loads(value)) or "—"
        except json.JSONDecodeError:
            return value
    return value


@dataclass
class EvidenceRow:
    field: str
    agreement: str
    weight: str


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)[:200]
    return str(value)[:200]


def evidence_rows(evidence: Any) -> tuple[list[EvidenceRow], list[tuple[str, str]]]:
    """Which fields agreed and how much each weighed, plus the other facts.

    Accepts the shapes the matchers write: ``{"fields": {name: {...}}}``,
    ``{"fields": [{"field": name, ...}]}`` or ``{name: {...}}`` at top level,
    where each entry carries an agreement level and a weight.
    """
    if not isinstance(evidence, dict):
        return [], []
    rows: list[EvidenceRow] = []
    other: list[tuple[str, str]] = []

    def entry(name: str, data: Any) -> None:
        if isinstance(data, dict):
            agreement = next((data[k] for k in _AGREEMENT_KEYS if k in data), "")
            weight = next((data[k] for k in _WEIGHT_KEYS if k in data), "")
            rows.append(EvidenceRow(name, _short(agreement), _short(weight)))
        else:
            rows.append(EvidenceRow(name, "", _short(data)))

    fields = evidence.get("fields")
    if isinstance(fields, dict):
        for name, data in fields.items():
            entry(str(name), data)
    elif isinstance(fields, list):
        for item in fields:
            if isinstance(item, dict):
                entry(str(item.get("field") or item.get("name") or "?"), item)
    for key, value in evidence.items():
        if key == "fields":
            continue
        if isinstance(value, dict) and any(k in value for k in _WEIGHT_KEYS):
            entry(str(key), value)
        else:
            other.append((str(key), _short(value)))
    return rows, other


def source_of(provenance: Any, evidence: Any) -> dict[str, str]:
    """Source link, snippet and date of a suggestion, wherever the producer put them."""
    merged: dict[str, Any] = {}
    for part in (evidence, provenance):
        if isinstance(part, dict):
            merged.update({k: v for k, v in part.items() if v not in (None, "")})
    url = next((merged[k] for k in ("source_url", "url", "profile_url") if k in merged), "")
    snippet = next((merged[k] for k in ("snippet", "text", "excerpt", "quote") if k in merged), "")
    when = next(
        (merged[k] for k in ("fetched_at", "published_at", "date", "fetch_date") if k in merged), ""
    )
    method = next((merged[k] for k in ("method", "rule", "model") if k in merged), "")
    version = next(
        (merged[k] for k in ("version", "model_version", "rule_version") if k in merged), ""
    )
    return {
        "url": str(url),
        "href": safe_url(url),
        "snippet": _short(snippet) if not isinstance(snippet, str) else snippet[:600],
        "date": str(when),
        "method": str(method),
        "version": str(version),
    }


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["dt"] = fmt_dt
    env.filters["target"] = target_label
    env.filters["band"] = band
    env.globals.update(
        FIELD_LABELS=FIELD_LABELS,
        BAND_LABELS=BAND_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        ACTION_LABELS=ACTION_LABELS,
        SCOPE_LABELS=SCOPE_LABELS,
        SOURCE_STATUS_LABELS=SOURCE_STATUS_LABELS,
        SOURCE_STATUS_BADGES=SOURCE_STATUS_BADGES,
        SOURCE_KIND_LABELS=SOURCE_KIND_LABELS,
        REJECT_REASON_LABELS=REJECT_REASON_LABELS,
        fmt_value=fmt_value,
        current_value=current_value,
        evidence_rows=evidence_rows,
        source_of=source_of,
    )
    return Jinja2Templates(env=env)
