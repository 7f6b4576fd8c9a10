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

from enrich.evidence import read_match
from store.review import band, current_value
from veille.i18n import gettext as _
from veille.i18n import label
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
    """One compared field, as the review page shows it."""

    field: str
    alumni_value: str
    found_value: str
    agreement: str
    weight: str
    agrees: bool


@dataclass
class EvidenceView:
    """A suggestion's match evidence, readable: table, one-line reason, warning."""

    rows: list[EvidenceRow]
    why: str
    name_only: bool
    probability: str


def _weight(value: float | None) -> str:
    """A log2 Bayes factor, signed, French decimal comma (``+6,2``)."""
    if value is None:
        return "—"
    return f"{value:+.1f}".replace(".", ",")


def _field_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return _("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def evidence_view(evidence: Any) -> EvidenceView:
    """What the pipeline recorded about a match (``evidence["match"]``), for people.

    Reads the shape :mod:`enrich.suggestions` writes (see
    :func:`enrich.evidence.read_match`): one row per compared field with both
    values, the agreement level and its weight, a one-line reason, and
    ``name_only`` when nothing but the name agreed.
    """
    match = read_match(evidence)
    rows = [
        EvidenceRow(
            field=label("match_field", f.field),
            alumni_value=f.alumni_value or "—",
            found_value=f.found_value or "—",
            agreement=label("match_level", f.level),
            weight=_weight(f.weight),
            agrees=f.agrees,
        )
        for f in match.fields
        if f.compared or f.agrees
    ]
    agreeing = [
        f"{label('match_field', f.field).lower()} ({label('match_level', f.level)})"
        for f in match.agreeing
    ]
    differing = [
        label("match_field", f.field).lower() for f in match.fields if f.level == "different"
    ]
    if match.exact:
        why = _("Linked by an exact identifier: %(what)s.") % {
            "what": label("exact_id", match.exact)
        }
    elif match.via_snapshot:
        why = _("Linked through a profile already matched to this alumnus.")
    elif match.name_only:
        why = _("Only the name agreed (%(fields)s): nothing else says it is this person.") % {
            "fields": _field_list(agreeing)
        }
    elif agreeing:
        why = _("Agreeing: %(fields)s.") % {"fields": _field_list(agreeing)}
    else:
        why = _("No field comparison was recorded for this match.")
    if differing and not match.exact:
        why += " " + _("Differing: %(fields)s.") % {"fields": _field_list(differing)}
    if match.swapped_names:
        why += " " + _("First and last name are swapped on the found profile.")
    prob = (
        f"{match.probability * 100:.0f} %".replace(".", ",")
        if match.probability is not None
        else ""
    )
    return EvidenceView(rows=rows, why=why, name_only=match.name_only, probability=prob)


def evidence_band(confidence: float, evidence: Any) -> str:
    """The band shown: never ``high`` for a name-only match, whatever was stored."""
    name = band(confidence)
    if name == "high" and read_match(evidence).name_only:
        return "medium"
    return name


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (dict, list)):
        return ""
    return str(value)[:200]


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


def job_label(job: object) -> str:
    """A scheduled job as people say it (``crawl:news`` reads "Collecte : news")."""
    text = str(job or "")
    kind, _sep, rest = text.partition(":")
    if kind == "crawl" and rest:
        return _("Collection: %(source)s") % {"source": rest}
    return label("job", text)


def week_label(week: object) -> str:
    """``2026-W47`` as "semaine 47 de 2026 (du 16/11 au 22/11)"."""
    text = str(week or "")
    try:
        year, num = int(text[:4]), int(text[6:])
        monday = date.fromisocalendar(year, num, 1)
    except ValueError:
        return text
    sunday = date.fromordinal(monday.toordinal() + 6)
    return _("week %(num)s of %(year)s (%(start)s to %(end)s)") % {
        "num": num,
        "year": year,
        "start": monday.strftime("%d/%m"),
        "end": sunday.strftime("%d/%m"),
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
    env.filters["label"] = lambda key, kind: label(kind, key)
    env.filters["job_label"] = job_label
    env.filters["week_label"] = week_label
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
        evidence_view=evidence_view,
        evidence_band=evidence_band,
        label=label,
        _=_,
        source_of=source_of,
    )
    return Jinja2Templates(env=env)
