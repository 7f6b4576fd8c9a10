"""Runs sources: everything that is not specific to a platform, written once.

For each source the runner loads its saved cursor, checks its budget and any
deferral, then pulls batches from the source. Each batch's records and the
cursor after it are committed in ONE transaction, so a crash (even SIGKILL)
between batches resumes exactly after the last stored batch and a re-run
stores nothing twice. Before storing, the runner drops opted-out authors,
keeps only records that match the query of our institution or of a peer
(recording which ones, for share of voice), canonicalises URLs, hashes
content and groups copies. Failures are classified (down, blocked,
rate_limited) into the source's health and never stop the other sources.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from crawlers.base import Batch, CrawlContext
from crawlers.http import FetchError, PartialFailure, RateLimited
from crawlers.normalise import canonical_url, content_hash, hash_normalised, needs_cleaning
from store import crawl_state as state_store
from store import mentions as mention_store
from store.db import session_scope
from store.models import Mention
from store.suppression import OptOutFilter, keyed_hash, pseudonym_key
from store.types import utcnow
from veille import __version__
from veille.config import InstitutionSettings, Settings, SourceSettings
from veille.errors import ConfigError, VeilleError
from veille.query import Document, Query, parse
from veille.stages import StageContext, StageResult, source_class

log = logging.getLogger(__name__)

#: Cursor keys the runner owns (sources never see them).
_RUNNER_KEYS = ("_retry_at",)


@dataclass
class SourceReport:
    """What one source did in one run (the CLI and the stage log print it)."""

    name: str
    kind: str
    status: str = "ok"
    fetched: int = 0
    stored: int = 0
    grouped: int = 0
    snapshots: int = 0
    dropped_optout: int = 0
    dropped_filter: int = 0
    batches: int = 0
    error: str = ""
    warning: str = ""
    skipped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[str, SourceReport], None]


@dataclass
class _Institution:
    id: int
    query: Query
    handle_patterns: dict[str, list[re.Pattern[str]]] = field(default_factory=dict)


class Matcher:
    """Which institutions a record is about: its query, or an @mention of its handles."""

    def __init__(self, institutions: Iterable[tuple[int, InstitutionSettings]]) -> None:
        self.items: list[_Institution] = []
        for iid, inst in institutions:
            patterns = {
                platform: [
                    re.compile(rf"(?<![\w@])@{re.escape(h.lstrip('@').split('@')[0])}\b", re.I)
                    for h in handles
                    if h.strip()
                ]
                for platform, handles in inst.handles.items()
            }
            self.items.append(_Institution(iid, parse(inst.effective_query()), patterns))

    def institutions_for(self, m: Mention, doc: Document | None = None) -> list[int]:
        text = f"{m.title}\n{m.text}"
        doc = doc or Document.of(text)
        out = []
        for inst in self.items:
            if inst.query.matches_document(doc) or any(
                p.search(text) for p in inst.handle_patterns.get(m.platform, ())
            ):
                out.append(inst.id)
        return out


@dataclass
class _RunContext:
    settings: Settings
    db_url: str
    key: bytes
    optout: OptOutFilter
    matcher: Matcher
    source_id: int
    #: Set for the institution's own channels (``options.own_channel``): every item
    #: is about that institution, whether or not it repeats its name.
    own_institution_id: int | None = None
    source_name: str = ""


def _prepare(
    ctx: _RunContext, report: SourceReport, batch: Batch
) -> list[tuple[Mention, list[int]]]:
    """Opt-out, query filter, canonical URL, content hash, author key; in batch order."""
    out: list[tuple[Mention, list[int]]] = []
    seen: set[tuple[str, str]] = set()
    for m in batch.mentions:
        handle = m.author_handle.lstrip("@")
        author_url = str(m.provenance.get("author_url", ""))
        if ctx.optout.blocks(
            handle=handle, name=m.author_name, url=author_url
        ) or ctx.optout.blocks(handle=f"{m.platform}:{handle}" if handle else ""):
            report.dropped_optout += 1
            continue
        combined = f"{m.title}\n{m.text}"
        doc = Document.of(combined)
        institutions = ctx.matcher.institutions_for(m, doc)
        if ctx.own_institution_id is not None and ctx.own_institution_id not in institutions:
            institutions.insert(0, ctx.own_institution_id)
        if not institutions:
            report.dropped_filter += 1
            continue
        key = (m.platform, m.platform_id)
        if key in seen:
            continue
        seen.add(key)
        m.url = canonical_url(m.url) if m.url else ""
        if not m.content_hash:
            # The document's tokens are the normalised text unless links or an RT prefix
            # must go first: fold each text once, not twice (crawls fold every page).
            m.content_hash = (
                content_hash(m.text, m.title)
                if needs_cleaning(combined)
                else hash_normalised(" ".join(doc.tokens))
            )
        if handle:
            m.author_key = keyed_hash("handle", f"{m.platform}:{handle}", ctx.key)
        m.source_id = ctx.source_id
        m.provenance = {
            "url": m.url,
            "fetched_at": m.collected_at.isoformat(),
            "method": m.platform,
            "source": ctx.source_name,
            "version": f"veille {__version__}",
            **{k: v for k, v in m.provenance.items() if v not in ("", None)},
        }
        if m.published_at.tzinfo is None:
            m.published_at = m.published_at.replace(tzinfo=UTC)
        out.append((m, institutions))
    return out


def _budget_left(cfg: SourceSettings, run_fetched: int, items_today: int) -> int:
    return min(cfg.max_items_per_run - run_fetched, cfg.max_items_per_day - items_today)


def run_source(
    settings: Settings,
    db_url: str,
    cfg: SourceSettings,
    *,
    progress: Progress | None = None,
    key: bytes | None = None,
    stop: threading.Event | None = None,
) -> SourceReport:
    """Run one source to completion, budget or failure; never raises for source faults.

    Once ``stop`` is set (SIGTERM), the batch being fetched is still stored
    with its cursor, then the source stops: the next run resumes from there.
    """
    report = SourceReport(cfg.name, cfg.kind)
    notify = progress or (lambda _n, _r: None)
    key = key if key is not None else pseudonym_key()
    today = datetime.now(UTC).date()

    # 1. State, deferral, budget, opt-out list, institutions.
    with session_scope(db_url) as session:
        source_id = state_store.ensure_source(session, cfg)
        inst_ids = mention_store.ensure_institutions(session, settings)
        state = state_store.get_state(session, source_id)
        state_store.roll_budget_day(state, today)
        retry_at = float(state.cursor.get("_retry_at", 0) or 0)
        cursor = {k: v for k, v in state.cursor.items() if k not in _RUNNER_KEYS}
        if retry_at > time.time():
            report.status, report.skipped = "rate_limited", True
            report.warning = (
                f"deferred until {datetime.fromtimestamp(retry_at, UTC):%Y-%m-%d %H:%M:%S} UTC "
                "(platform rate limit)"
            )
            state_store.touch(session, state)
            notify("done", report)
            return report
        if _budget_left(cfg, 0, state.items_today) <= 0:
            report.status, report.skipped = "budget_exhausted", True
            report.warning = f"daily budget of {cfg.max_items_per_day} items reached"
            state.status = "budget_exhausted"
            state.items_last_run = 0
            state_store.touch(session, state)
            notify("done", report)
            return report
        optout = OptOutFilter.load(session, key)
    matcher = Matcher((inst_ids[i.slug], i) for i in settings.institutions())
    institution = _institution(settings, cfg)
    own = inst_ids[institution.slug] if cfg.options.get("own_channel") else None
    ctx = _RunContext(settings, db_url, key, optout, matcher, source_id, own, source_name=cfg.name)
    notify("start", report)

    partial: PartialFailure | None = None
    try:
        source = source_class(cfg.kind)(CrawlContext(settings, cfg, institution))
        source.validate()
        batches = source.fetch(cursor)
        try:
            for batch in batches:
                _commit_batch(ctx, cfg, report, batch, today)
                notify("batch", report)
                with session_scope(db_url) as session:
                    items_today = state_store.get_state(session, source_id).items_today
                if _budget_left(cfg, report.fetched, items_today) <= 0:
                    report.status = "budget_exhausted"
                    report.warning = (
                        f"budget reached ({report.fetched} items this run, {items_today} today; "
                        f"limits {cfg.max_items_per_run}/run, {cfg.max_items_per_day}/day)"
                    )
                    log.warning("%s: %s", cfg.name, report.warning)
                    break
                if stop is not None and stop.is_set():
                    report.warning = f"stopped after {report.batches} stored batch(es) (SIGTERM)"
                    log.warning("%s: %s", cfg.name, report.warning)
                    break
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()
    except PartialFailure as exc:
        partial = exc
    except (FetchError, VeilleError) as exc:
        _record_failure(ctx, cfg, report, exc)
        notify("done", report)
        return report
    except Exception as exc:  # a bug in one source must not stop the others
        log.exception("%s: unexpected failure", cfg.name)
        _record_failure(ctx, cfg, report, exc)
        notify("done", report)
        return report

    with session_scope(db_url) as session:
        state = state_store.get_state(session, source_id, for_update=True)
        state.cursor = {k: v for k, v in state.cursor.items() if k not in _RUNNER_KEYS}
        state.status = report.status
        state.items_last_run = report.fetched
        state.last_success_at = utcnow()
        if partial is not None:
            report.error = str(partial)
            state.last_error, state.last_error_at = str(partial), utcnow()
            if report.fetched == 0 and report.batches == 0:
                report.status = state.status = "down"
        state_store.touch(session, state)
    notify("done", report)
    return report


def _institution(settings: Settings, cfg: SourceSettings) -> InstitutionSettings:
    if not cfg.institution:
        return settings.institution
    for inst in settings.institutions():
        if inst.slug == cfg.institution:
            return inst
    raise ConfigError(f"source {cfg.name!r}: unknown institution {cfg.institution!r}")


def _commit_batch(
    ctx: _RunContext, cfg: SourceSettings, report: SourceReport, batch: Batch, today: Any
) -> None:
    """Records and cursor in one transaction: the unit of resumption."""
    fetched = len(batch.mentions) + len(batch.snapshots)
    prepared = _prepare(ctx, report, batch)
    with session_scope(ctx.db_url) as session:
        result = mention_store.store_mentions(session, prepared)
        snaps = 0
        if batch.snapshots:
            for s in batch.snapshots:
                s.source_id = ctx.source_id
            snaps = mention_store.store_snapshots(session, batch.snapshots)
        state = state_store.get_state(session, ctx.source_id, for_update=True)
        state_store.roll_budget_day(state, today)
        state.cursor = dict(batch.cursor)
        state.items_today += fetched
        state.items_last_run = report.fetched + fetched
        state_store.touch(session, state)
    report.fetched += fetched
    report.stored += result.inserted
    report.grouped += result.grouped
    report.snapshots += snaps
    report.batches += 1


def _record_failure(
    ctx: _RunContext, cfg: SourceSettings, report: SourceReport, exc: BaseException
) -> None:
    status = exc.status if isinstance(exc, FetchError) else "down"
    report.status = status
    report.error = f"{type(exc).__name__}: {exc}"
    log.warning("%s: %s", cfg.name, report.error)
    with session_scope(ctx.db_url) as session:
        state = state_store.get_state(session, ctx.source_id, for_update=True)
        state.status = status
        state.last_error = report.error[:2000]
        state.last_error_at = utcnow()
        state.items_last_run = report.fetched
        if isinstance(exc, RateLimited):
            state.cursor = {**state.cursor, "_retry_at": exc.retry_at}
            report.warning = (
                f"deferred until {datetime.fromtimestamp(exc.retry_at, UTC):%H:%M:%S} UTC"
            )
        state_store.touch(session, state)


def selected_sources(
    settings: Settings, names: Iterable[str] | None = None
) -> list[SourceSettings]:
    """Enabled sources, or exactly the named ones (even if disabled)."""
    wanted = list(names or [])
    if wanted:
        return [settings.source(n) for n in wanted]
    return [s for s in settings.sources if s.enabled]


def crawl(
    settings: Settings,
    db_url: str,
    names: Iterable[str] | None = None,
    *,
    progress: Progress | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    stop: threading.Event | None = None,
) -> list[SourceReport]:
    """Run the selected sources one after the other; one failing never stops the others.

    ``overrides`` merges extra options into a source's ``options`` for this
    run only (the CLI's ``--worker`` uses it). Once ``stop`` is set, the
    current source stores its current batch and no further source starts.
    """
    key = pseudonym_key()
    reports = []
    for cfg in selected_sources(settings, names):
        if stop is not None and stop.is_set():
            reports.append(
                SourceReport(cfg.name, cfg.kind, skipped=True, warning="not started: stopping")
            )
            continue
        if overrides and cfg.name in overrides:
            cfg = cfg.model_copy(update={"options": {**cfg.options, **overrides[cfg.name]}})
        try:
            reports.append(run_source(settings, db_url, cfg, progress=progress, key=key, stop=stop))
        except Exception as exc:  # state bookkeeping itself failed (e.g. DB hiccup)
            log.exception("%s: crawl failed", cfg.name)
            reports.append(SourceReport(cfg.name, cfg.kind, status="down", error=str(exc)))
    return reports


def crawl_stage(ctx: StageContext) -> StageResult:
    """Pipeline stage: crawl every enabled source (or ``options["sources"]``)."""
    stop = ctx.options.get("stop")
    reports = crawl(
        ctx.settings,
        ctx.db_url,
        ctx.options.get("sources"),
        stop=stop if isinstance(stop, threading.Event) else None,
    )
    result = StageResult()
    for r in reports:
        result.counts[f"{r.name}.stored"] = r.stored
        result.counts[f"{r.name}.fetched"] = r.fetched
        if r.error or r.warning:
            result.notes.append(f"{r.name}: {r.status} {r.error or r.warning}".strip())
    result.counts["stored"] = sum(r.stored for r in reports)
    result.counts["failed_sources"] = sum(r.status in ("down", "blocked") for r in reports)
    return result
