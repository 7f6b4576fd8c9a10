"""Templates and the small presentation helpers they use.

Autoescape is always on (every page shows untrusted text: mention text,
names, scraped job titles). Links built from untrusted URLs go through
:func:`safe_url`, which only lets http(s) through, so a ``javascript:`` URL
in a profile or provenance never becomes a clickable script.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from crawlers.failure_reasons import explain as failure_reason
from enrich.evidence import read_match
from reports.render import fmt_number
from store.review import band, current_value
from veille.counts import count_items
from veille.i18n import _N, install_jinja, label
from veille.i18n import gettext as _
from veille.urls import http_url

TEMPLATE_DIR = Path(__file__).parent / "templates"


class CatalogueLabels(Mapping[str, str]):
    """An internal enum as people read it, from the one translation catalogue.

    The keys are the enum's values; each label is the catalogue's entry for
    (``kind``, key), looked up when read, so the UI, e-mails and reports say the
    same words and a new language is a new catalogue, not new Python. ``get``
    never shows an internal key: a key outside the enum (a bug upstream) reads
    ``unknown`` and the page still renders.
    """

    def __init__(self, kind: str, keys: tuple[str, ...], unknown: str) -> None:
        self.kind, self.keys_, self.unknown = kind, keys, unknown

    def __getitem__(self, key: str) -> str:
        if key not in self.keys_:
            raise KeyError(key)
        return label(self.kind, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_)

    def __len__(self) -> int:
        return len(self.keys_)

    def get(self, key: object, default: object = None) -> str:
        if isinstance(key, str) and key in self.keys_:
            return self[key]
        return _(self.unknown) if key else ""


FIELD_LABELS = CatalogueLabels(
    "suggestion_field",
    (
        "employer",
        "job_title",
        "city",
        "postcode",
        "address",
        "linkedin_url",
        "orcid",
        "emails",
        "opt_out",
        "possible_duplicate",
    ),
    unknown=_N("unknown field"),
)
SCOPE_LABELS = CatalogueLabels(
    "token_scope",
    ("read", "review", "admin"),
    unknown=_N("unknown"),
)
BAND_LABELS = CatalogueLabels(
    "confidence_band",
    ("high", "medium", "low"),
    unknown=_N("unknown"),
)
ROLE_LABELS = CatalogueLabels(
    "role",
    ("admin", "alumni_officer", "community_manager", "communications"),
    unknown=_N("unknown role"),
)
ACTION_LABELS = CatalogueLabels(
    "audit_action",
    ("accept", "self_confirm", "undo", "reject", "opt_out", "import", "erase"),
    unknown=_N("unknown action"),
)
#: Crawl source health, as the admin page says it.
SOURCE_STATUS_LABELS = CatalogueLabels(
    "source_status",
    ("ok", "degraded", "down", "blocked", "rate_limited", "budget_exhausted", "never_run"),
    unknown=_N("unknown state"),
)
SOURCE_STATUS_BADGES = {
    "ok": "sent-positive",
    "degraded": "sent-neutral",
    "rate_limited": "sent-neutral",
    "budget_exhausted": "sent-neutral",
    "down": "sent-negative",
    "blocked": "sent-negative",
}
SOURCE_KIND_LABELS = CatalogueLabels(
    "source_kind",
    (
        "twitter",
        "mastodon",
        "bluesky",
        "reddit",
        "rss",
        "web",
        "schema_person",
        "orcid",
        "appointments",
    ),
    unknown=_N("unknown source type"),
)
#: Why an item was put in quarantine.
REJECT_REASON_LABELS = CatalogueLabels(
    "reject_reason",
    ("null_item", "not_an_object", "unreadable", "refused_by_database", "error_body"),
    unknown=_N("unknown reason"),
)

#: How a suggestion's facts were found, as the alumni office reads it: the known parts of a
#: provenance ``method`` ("appointment_feed/text_rules/jobs-rules-3+..."); the versions stay
#: in the page's tooltip and in the audit export.
METHOD_LABELS = CatalogueLabels(
    "method",
    (
        "appointment_feed",
        "text_rules",
        "snapshot_diff",
        "linkedin_export",
        "schema_org",
        "orcid_api_v3",
        "duplicate_check",
    ),
    unknown=_N("automatic reading"),
)


def method_label(method: object) -> str:
    """``appointment_feed/text_rules/jobs-rules-3+job-tagger-3`` -> "appointments feed ·
    reading of the text (rules and model)", never the identifiers themselves."""
    parts = [METHOD_LABELS[p] for p in str(method or "").split("/") if p in METHOD_LABELS]
    return " · ".join(parts) if parts else METHOD_LABELS.get(str(method or ""))


#: ``value`` if it is an http(s) URL, else ``""`` (never a script URL); see
#: :func:`veille.urls.http_url`, shared with the reports.
safe_url = http_url


def target_label(value: object) -> str:
    """A crawl target as people say it, in the interface's language: ``#tag (instance)``,
    ``recherche « terme »``, a URL."""
    text = str(value or "")
    kind, _sep, rest = text.partition(":")
    if kind == "tag" and "#" in rest:
        root, _sep, tag = rest.rpartition("#")
        host = urlsplit(root).netloc or root
        return f"#{tag} ({host})"
    if kind == "search" and rest:
        return _("search “%(term)s”") % {"term": rest.strip(chr(34))}
    if kind == "mentions" and rest:
        return _("mentions of @%(account)s") % {"account": rest}
    if text == "sites":
        return _("sites (crawl)")
    return text


def fmt_dt(value: object) -> str:
    """A date or time as French readers write it (``30/11/2026 14:05 UTC``, ``30/11/2026``).

    Also reads the ISO strings that provenance and evidence store as text,
    so no raw ``2026-11-30T14:05:00+00:00`` reaches a screen.
    """
    if isinstance(value, str):
        value = _parse_when(value) or value
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M UTC")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value or "")


def _parse_when(text: str) -> date | datetime | None:
    """An ISO date or time, or a compact ``YYYYMMDD`` date (FEBRL-style birth dates)."""
    text = text.strip()
    if len(text) == 8 and text.isdigit():
        try:
            return datetime.strptime(text, "%Y%m%d").date()
        except ValueError:
            return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo else when


#: Compared fields whose values are dates, shown day first.
DATE_FIELDS = frozenset({"birth_date", "dob", "start_date", "graduation_date"})


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
    """A log2 Bayes factor, signed, in the reader's language (``+6,2``, ``−0,3``).

    A weight that rounds to zero reads ``0,0``: "-0,0" beside a differing field looked like
    a number that counted against the match.
    """
    if value is None:
        return "—"
    shown = round(value, 1)
    if shown == 0:
        return fmt_number(0.0, 1)
    return ("+" if shown > 0 else "−") + fmt_number(abs(shown), 1)


def _compared_value(field: str, value: str | None) -> str:
    if not value:
        return "—"
    return fmt_dt(value) if field in DATE_FIELDS else value


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
            alumni_value=_compared_value(f.field, f.alumni_written or f.alumni_value),
            found_value=_compared_value(f.field, f.found_written or f.found_value),
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
        "date": fmt_dt(when),
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
    install_jinja(env)
    env.filters["safe_url"] = safe_url
    env.filters["dt"] = fmt_dt
    env.filters["target"] = target_label
    env.filters["band"] = band
    env.filters["label"] = lambda key, kind: label(kind, key)
    env.filters["job_label"] = job_label
    env.filters["counts"] = count_items
    env.filters["method_label"] = method_label
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
        failure_reason=failure_reason,
        fmt_value=fmt_value,
        current_value=current_value,
        evidence_view=evidence_view,
        evidence_band=evidence_band,
        label=label,
        source_of=source_of,
    )
    return Jinja2Templates(env=env)
