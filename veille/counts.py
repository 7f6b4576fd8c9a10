"""A stage's counters as people read them: each counter named by the catalogue.

Why: every pipeline stage reports its work as counters under internal keys
(``failed_sources``, ``below_confidence``, ``<source>.stored``), and ``veille demo``,
``veille run``, ``veille schedule status`` and the web page of scheduled jobs printed them
raw ("below_confidence=8"). This is the one place that turns them into words, in the
user's language, so that no screen shows an internal key.
"""

from __future__ import annotations

from collections.abc import Mapping

from veille.i18n import gettext as _
from veille.i18n import has_entry, humanise, pgettext

#: The catalogue context of a counter's name.
COUNT = "stage_count"
#: Every counter the stages report (a test checks each has a label in both languages).
COUNT_KEYS = (
    # crawl
    "stored",
    "fetched",
    "rejected",
    "failed_sources",
    "degraded_sources",
    # sentiment
    "tagged",
    "uncertain",
    "negative",
    "neutral",
    "positive",
    # routing
    "routed",
    "rule",
    "model",
    "fallback",
    "triage",
    # job changes
    "mentions",
    "text_job_changes",
    "diff_job_changes",
    # matching
    "snapshots_examined",
    "snapshots_linked",
    "snapshots_exact",
    "job_changes_examined",
    "job_changes_linked",
    "mentions_linked",
    "authors_exact",
    "authors_by_name",
    "pairs_scored",
    "model_trained",
    "possible_duplicates",
    # suggestions
    "candidates",
    "created",
    "below_confidence",
    "superseded",
    # alerts, reports, digests
    "alerts",
    "files",
    "archived",
    "emails",
    "digests",
    "unrouted",
    # information notices
    "sent",
    "due",
    "no_address",
    "failed",
    "overdue",
    # retention
    "mentions_purged",
    "snapshots_purged",
    "job_changes_scrubbed",
    "rejected_purged",
    "weeks_frozen",
    # scheduled jobs
    "coalesced",
    "exit_code",
    "new_mentions",
)
#: The catalogue context of a pipeline stage's name, when it prefixes a scheduled job's counter.
STAGE = "stage"
#: The catalogue context of a kind of stored row (what a person's export or erasure counts).
ROWS = "stored_rows"
#: The database's tables, and the export's plural names for the person's rows.
ROW_KEYS = (
    "alert",
    "alumnus",
    "api_token",
    "app_user",
    "audit_event",
    "crawl_state",
    "crawl_target",
    "institution",
    "job_change",
    "job_run",
    "labelled_example",
    "login_failure",
    "match_model",
    "match_state",
    "mention",
    "mention_institution",
    "profile_snapshot",
    "rejected_item",
    "report_snapshot",
    "scheduler_lease",
    "secret_rotation",
    "source",
    "suggestion",
    "suppression",
    "web_session",
    "suggestions",
    "audit_events",
    "job_changes",
    "profile_snapshots",
    "mentions",
    "labelled_examples",
)
#: A crawl's counters per source: ``<source>.stored`` of ``<source>.fetched``.
_PER_SOURCE = ("stored", "fetched")
#: Lists a scheduled run keeps beside its counters (paths written, stages skipped): the run's
#: files and error column say them.
_NOT_COUNTERS = frozenset({"outputs", "skipped"})


def count_label(key: str, locale: str | None = None, kind: str = COUNT) -> str:
    """The words for one counter: its catalogue entry (an alert rule's name for the alert
    stage's per-rule counters), else the key made readable, never the raw key."""
    for context in (kind, "rule"):
        if has_entry(context, key, locale):
            return pgettext(context, key, locale)
    return humanise(key)


def _prefix_label(prefix: str, locale: str | None) -> str:
    """A scheduled job's stage ("routing") by its catalogue name; a source, named by the
    site's configuration, as it is."""
    return pgettext(STAGE, prefix, locale) if has_entry(STAGE, prefix, locale) else prefix


def format_counts(
    counts: Mapping[str, object],
    locale: str | None = None,
    kind: str = COUNT,
    *,
    per_source: bool = True,
) -> str:
    """``{"stored": 18, "rejected": 0}`` -> "mentions enregistrées : 18, rejetées : 0".

    One line for a terminal; :func:`count_items` gives the same counters one by one.
    """
    return ", ".join(count_items(counts, locale, kind, per_source=per_source))


def count_items(
    counts: Mapping[str, object],
    locale: str | None = None,
    kind: str = COUNT,
    *,
    per_source: bool = True,
) -> list[str]:
    """Each counter in words, in order: a web page lists them one per line, so a run of
    many stages does not squeeze the table's other columns.

    A key ``<prefix>.<counter>`` (a source's crawl counters, or a stage's in a scheduled job
    that runs several) reads "<prefix> · <counter> : n"; a source's stored and fetched
    counters read together ("<source> : 8 enregistrées sur 10 reçues"), or not at all with
    ``per_source=False`` (a summary that gives the totals).
    """
    parts: list[str] = []
    pairs: dict[str, dict[str, object]] = {}
    for key, value in counts.items():
        if key in _NOT_COUNTERS or isinstance(value, list | dict):
            continue
        prefix, dot, name = key.rpartition(".")
        if dot and name in _PER_SOURCE:
            if per_source:
                pairs.setdefault(prefix, {})[name] = value
            continue
        said = _("%(label)s: %(value)s", locale) % {
            "label": count_label(name, locale, kind),
            "value": value,
        }
        parts.append(f"{_prefix_label(prefix, locale)} · {said}" if dot else said)
    for prefix, pair in pairs.items():
        parts.append(
            _("%(source)s: %(stored)s stored of %(fetched)s fetched", locale)
            % {"source": prefix, "stored": pair.get("stored", 0), "fetched": pair.get("fetched", 0)}
        )
    return parts
