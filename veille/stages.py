"""Every extension point of veille on one screen.

Sources (one per platform) and pipeline stages are named here and pointed at
by ``"module:attribute"``; nothing is imported until used, so a missing or
broken piece only affects what needs it. The pipeline order below *is* the
data flow: crawl -> mention/profile -> tags -> store -> suggestion/alert ->
report.

A stage is a plain function ``run(ctx: StageContext) -> StageResult``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veille.config import Settings
from veille.errors import StageNotDeliveredError
from veille.i18n import _N


@dataclass
class StageContext:
    """What every stage receives: settings, the database, where to write."""

    settings: Settings
    db_url: str
    output_dir: Path
    #: Stage-specific knobs from the caller (CLI flags, demo, scheduler).
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class StageResult:
    """What a stage reports back: counts for the run log, files it wrote."""

    counts: dict[str, int] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


Stage = Callable[[StageContext], StageResult]


@dataclass(frozen=True)
class StageSpec:
    name: str
    target: str
    #: What the stage does: a catalogue message (marked ``_N``), shown translated by ``veille run``.
    doc: str


# --- Sources: settings + saved cursor -> Mention/ProfileSnapshot records + new cursor.
SOURCES: dict[str, str] = {
    "twitter": "crawlers.twitter:TwitterSource",
    "mastodon": "crawlers.mastodon:MastodonSource",
    "bluesky": "crawlers.bluesky:BlueskySource",
    "reddit": "crawlers.reddit:RedditSource",
    "rss": "crawlers.feeds:FeedSource",
    "web": "crawlers.web:WebSource",
    "schema_person": "crawlers.profiles:SchemaPersonSource",
    "orcid": "crawlers.orcid:OrcidSource",
    "appointments": "crawlers.appointments:AppointmentFeedSource",
}

# --- The pipeline, in data-flow order.
PIPELINE: tuple[StageSpec, ...] = (
    StageSpec("crawl", "crawlers.runner:crawl_stage", _N("fetch new mentions and profiles")),
    StageSpec(
        "sentiment", "sentiment.stage:sentiment_stage", _N("language + sentiment of mentions")
    ),
    StageSpec("routing", "enrich.routing:routing_stage", _N("route mentions to a team")),
    StageSpec(
        "job_changes", "enrich.jobs:job_changes_stage", _N("job changes from text and diffs")
    ),
    StageSpec("matching", "enrich.matching:matching_stage", _N("link profiles/authors to alumni")),
    StageSpec(
        "suggestions", "enrich.suggestions:suggestions_stage", _N("suggested alumni updates")
    ),
    StageSpec("alerts", "reports.alerts:alerts_stage", _N("spike and crisis detection")),
    StageSpec(
        "weekly_report", "reports.weekly:weekly_report_stage", _N("weekly monitoring report")
    ),
)


# --- Stages the scheduler runs on their own clocks, outside one pass of the pipeline.
SERVICE_STAGES: tuple[StageSpec, ...] = (
    StageSpec("digest", "reports.digest:digest_stage", _N("daily alert digest, one per team")),
    StageSpec("retention", "store.retention:retention_stage", _N("purge what is past retention")),
    StageSpec("notices", "veille.notices:notices_stage", _N("Art. 14 notices to alumni")),
    StageSpec("match_retrain", "enrich.matching:retrain_stage", _N("retrain the matching model")),
)


def stage_spec(name: str) -> StageSpec:
    """A stage by name (pipeline or service stage), or ad hoc from ``"module:attr"``."""
    if ":" in name:
        label = name.rsplit(":", 1)[-1].removesuffix("_stage")
        return StageSpec(label, name, "")
    for spec in (*PIPELINE, *SERVICE_STAGES):
        if spec.name == name:
            return spec
    raise StageNotDeliveredError(f"no stage named {name!r}")


def load(target: str) -> Any:
    """Import ``"module:attribute"``; :class:`StageNotDeliveredError` if absent.

    Only a missing module *of veille itself* counts as "not delivered"; an
    import error inside a delivered module is a bug and propagates.
    """
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == module_name or module_name.startswith(exc.name + ".")):
            raise StageNotDeliveredError(f"{target} is not part of this installation") from exc
        raise
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise StageNotDeliveredError(f"{module_name} has no {attr}") from exc


def source_class(kind: str) -> Any:
    try:
        target = SOURCES[kind]
    except KeyError as exc:
        raise StageNotDeliveredError(f"no source of kind {kind!r}") from exc
    return load(target)


def pipeline_stage(name: str) -> Stage:
    for spec in PIPELINE:
        if spec.name == name:
            stage: Stage = load(spec.target)
            return stage
    raise StageNotDeliveredError(f"no pipeline stage named {name!r}")
