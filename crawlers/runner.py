"""Runs sources: everything that is not specific to a platform, written once.

For each source the runner lists its targets (feeds, hashtag streams, search
terms, profile pages), loads each target's own cursor, checks the budget and
any rate-limit deferral, then pulls batches target by target. Each batch's
records, its quarantined items and the target's cursor after it are committed
in ONE transaction, so a crash (even SIGKILL) between batches resumes exactly
after the last stored batch and a re-run stores nothing twice.

Isolation, at every level:

- an item that cannot be read is quarantined (:mod:`crawlers.intake`,
  :mod:`store.rejected`) and the rest of its batch is stored;
- a target that fails (down, refused, 404, an error body) is recorded on its
  own row with its error, and the other targets of the source go on; it is
  asked again on the next run from its own cursor;
- a long 429 defers the targets of its rate-limit group (one API host) only;
- a source that fails never stops the other sources.

Before storing, the runner cleans text at the door, drops opted-out authors,
keeps only records that match the query of our institution or of a peer
(the text and the platform's hashtags; every item of a followed hashtag or
an own channel belongs to the source's institution), canonicalises URLs,
hashes content and groups copies. The source's health then says what
happened: ``ok``, ``degraded`` (some targets failing, or a target kept items
despite a problem), ``down``, ``blocked`` (refused: 401/403, captcha, the
address guard), ``rate_limited`` or ``budget_exhausted``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from crawlers.base import Batch, CrawlContext, Source, Target
from crawlers.failure_reasons import explain
from crawlers.http import ErrorBody, FetchError, RateLimited, Unreachable
from crawlers.intake import (
    Limits,
    Unusable,
    clean_mention,
    clean_snapshot,
    convert_items,
    detail_of,
    excerpt,
    store_mentions_isolated,
    store_snapshots_isolated,
)
from crawlers.normalise import (
    canonical_url,
    clean_text,
    content_hash,
    hash_normalised,
    needs_cleaning,
)
from store import crawl_state as state_store
from store import mentions as mention_store
from store import rejected as rejected_store
from store.db import session_scope
from store.models import Mention, ProfileSnapshot
from store.rejected import Rejection
from store.suppression import OptOutFilter, keyed_hash, pseudonym_key
from store.types import utcnow
from veille import __version__
from veille.config import InstitutionSettings, Settings, SourceSettings
from veille.errors import ConfigError, VeilleError
from veille.i18n import _, label
from veille.query import Document, Query, parse
from veille.stages import StageContext, StageResult, source_class

log = logging.getLogger(__name__)

#: Target statuses that count as failing.
FAILED = state_store.FAILED
ERROR_LIMIT = 2000


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
    #: Items quarantined (unreadable, refused by the database, error bodies).
    rejected: int = 0
    batches: int = 0
    targets: int = 0
    #: ``target: error`` for each target that failed or kept items despite a problem.
    failing_targets: list[str] = field(default_factory=list)
    error: str = ""
    warning: str = ""
    skipped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def note(self) -> str:
        """The error or the warning in the reader's language: its reason from
        :func:`crawlers.failure_reasons.explain`, the raw text only where no row knows it."""
        raw = self.error or self.warning
        return (explain(raw) or raw) if raw else ""


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
        """Institutions whose query matches the title, the text or the platform's hashtags."""
        text = f"{m.title}\n{m.text}"
        doc = doc or Document.of(with_hashtags(text, m.hashtags))
        out = []
        for inst in self.items:
            if inst.query.matches_document(doc) or any(
                p.search(text) for p in inst.handle_patterns.get(m.platform, ())
            ):
                out.append(inst.id)
        return out


def with_hashtags(text: str, hashtags: Sequence[str] | None) -> str:
    """The text a query is matched against: the text, then the platform's hashtags."""
    return f"{text}\n" + " ".join(f"#{t}" for t in hashtags) if hashtags else text


@dataclass
class _RunContext:
    settings: Settings
    db_url: str
    key: bytes
    optout: OptOutFilter
    matcher: Matcher
    source_id: int
    #: The institution the source listens for.
    institution_id: int
    #: ``options.own_channel``: every item is about the source's institution.
    own_channel: bool = False
    source_name: str = ""
    limits: Limits = field(default_factory=Limits)
    progress: Progress = field(default=lambda _e, _r: None)


def _prepare(
    ctx: _RunContext, report: SourceReport, mentions: Sequence[Mention], *, followed: bool
) -> list[tuple[Mention, list[int]]]:
    """Opt-out, query filter, canonical URL, content hash, author key; in batch order."""
    out: list[tuple[Mention, list[int]]] = []
    seen: set[tuple[str, str]] = set()
    for m in mentions:
        handle = m.author_handle.lstrip("@")
        author_url = str(m.provenance.get("author_url", ""))
        if ctx.optout.blocks(
            handle=handle, name=m.author_name, url=author_url
        ) or ctx.optout.blocks(handle=f"{m.platform}:{handle}" if handle else ""):
            report.dropped_optout += 1
            continue
        combined = f"{m.title}\n{m.text}"
        doc = Document.of(combined)
        match_doc = Document.of(with_hashtags(combined, m.hashtags)) if m.hashtags else doc
        institutions = ctx.matcher.institutions_for(m, match_doc)
        if (ctx.own_channel or followed) and ctx.institution_id not in institutions:
            institutions.insert(0, ctx.institution_id)
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


@dataclass
class _Outcome:
    """How one target's run ended."""

    status: str = "ok"
    error: str = ""
    retry_at: float | None = None
    budget_reached: bool = False
    items: int = 0
    #: No answer from the host at all: its other targets are not asked this run.
    unreachable: bool = False


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

    # 1. The source and its targets (an invalid configuration is this source's failure).
    with session_scope(db_url) as session:
        source_id = state_store.ensure_source(session, cfg)
        inst_ids = mention_store.ensure_institutions(session, settings)
    try:
        institution = _institution(settings, cfg)
        source: Source = source_class(cfg.kind)(CrawlContext(settings, cfg, institution))
        source.validate()
        targets = source.targets()
    except Exception as exc:
        if not isinstance(exc, VeilleError):
            log.exception("%s: cannot start", cfg.name)
        _record_source_failure(db_url, source_id, report, exc)
        notify("done", report)
        return report
    report.targets = len(targets)

    # 2. State, deferral, budget, opt-out list.
    now = time.time()
    with session_scope(db_url) as session:
        state = state_store.get_state(session, source_id)
        state_store.roll_budget_day(state, today)
        rows = state_store.ensure_targets(session, source_id, [t.name for t in targets])
        cursors = {name: dict(row.cursor or {}) for name, row in rows.items()}
        deferred = {
            name: row.retry_at.timestamp()
            for name, row in rows.items()
            if row.retry_at is not None and row.retry_at.timestamp() > now
        }
        if targets and len(deferred) == len(targets):
            first = min(deferred.values())
            report.status, report.skipped = "rate_limited", True
            report.warning = (
                f"deferred until {datetime.fromtimestamp(first, UTC):%Y-%m-%d %H:%M:%S} UTC "
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
    ctx = _RunContext(
        settings,
        db_url,
        key,
        optout,
        matcher,
        source_id,
        inst_ids[institution.slug],
        own_channel=bool(cfg.options.get("own_channel")),
        source_name=cfg.name,
        limits=Limits(text=int(cfg.options.get("max_text_chars", Limits.text))),
        progress=notify,
    )
    notify("start", report)

    # 3. Target by target: a failing one is recorded and the others go on.
    outcomes: dict[str, _Outcome] = {}
    group_until: dict[str, float] = {}
    unreachable: dict[str, str] = {}  # group -> the target that found its host down
    for t in targets:
        if t.name in deferred:
            scope = t.group or t.name
            group_until[scope] = max(group_until.get(scope, 0.0), deferred[t.name])
    try:
        for target in targets:
            if stop is not None and stop.is_set():
                report.warning = f"stopped after {report.batches} stored batch(es) (SIGTERM)"
                log.warning("%s: %s", cfg.name, report.warning)
                break
            until: float | None = group_until.get(target.group or target.name) or deferred.get(
                target.name
            )
            if until:
                outcomes[target.name] = _Outcome(
                    "rate_limited",
                    f"deferred until {datetime.fromtimestamp(until, UTC):%H:%M:%S} UTC "
                    "(platform rate limit)",
                    retry_at=until,
                )
                if target.name not in deferred:  # newly deferred by a sibling's 429
                    _record_target(ctx, target, outcomes[target.name])
                continue
            if target.group and target.group in unreachable:
                outcome = _Outcome(
                    "down",
                    f"not asked: {target.group} did not answer ({unreachable[target.group]})",
                )
            else:
                outcome = _run_target(
                    ctx, cfg, report, source, target, cursors.get(target.name, {}), today, stop
                )
            outcomes[target.name] = outcome
            _record_target(ctx, target, outcome)
            if outcome.retry_at is not None:
                group_until[target.group or target.name] = outcome.retry_at
            if outcome.unreachable and target.group:
                unreachable[target.group] = target.name
            if outcome.budget_reached:
                break
    finally:
        close = getattr(source, "close", None)
        if callable(close):
            close()

    _finish(ctx, report, targets, outcomes)
    notify("done", report)
    return report


def _run_target(
    ctx: _RunContext,
    cfg: SourceSettings,
    report: SourceReport,
    source: Source,
    target: Target,
    cursor: dict[str, Any],
    today: date,
    stop: threading.Event | None = None,
) -> _Outcome:
    """Pull one target's batches; any failure ends this target only.

    Once ``stop`` is set (SIGTERM), the batch being fetched is still stored with
    its cursor, then the target ends: the next run resumes from there.
    """
    outcome = _Outcome()
    warning = ""
    batches = None
    try:
        batches = source.fetch(target, dict(cursor))
        for batch in batches:
            outcome.items += _commit_batch(ctx, report, target, batch, today)
            warning = batch.warning or warning
            ctx.progress("batch", report)
            with session_scope(ctx.db_url) as session:
                items_today = state_store.get_state(session, ctx.source_id).items_today
            if _budget_left(cfg, report.fetched, items_today) <= 0:
                report.status = "budget_exhausted"
                report.warning = (
                    f"budget reached ({report.fetched} items this run, {items_today} today; "
                    f"limits {cfg.max_items_per_run}/run, {cfg.max_items_per_day}/day)"
                )
                log.warning("%s: %s", cfg.name, report.warning)
                outcome.budget_reached = True
                break
            if stop is not None and stop.is_set():
                break
    except RateLimited as exc:
        outcome.status, outcome.error, outcome.retry_at = "rate_limited", str(exc), exc.retry_at
    except Unreachable as exc:
        outcome.status, outcome.error, outcome.unreachable = exc.status, str(exc), True
    except ErrorBody as exc:
        outcome.status, outcome.error = exc.status, str(exc)
        _quarantine(ctx, [Rejection(target.name, "error_body", detail_of(exc), excerpt(exc.body))])
        report.rejected += 1
    except FetchError as exc:
        outcome.status, outcome.error = exc.status, str(exc)
    except VeilleError as exc:
        outcome.status, outcome.error = "down", str(exc)
    except Exception as exc:  # a bug on one target must not stop the others
        log.exception("%s: %s: unexpected failure", cfg.name, target.name)
        outcome.status, outcome.error = "down", f"{type(exc).__name__}: {exc}"
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()
    if outcome.status == "ok" and warning:
        outcome.status, outcome.error = "degraded", warning
    if outcome.status != "ok":
        log.warning("%s: %s: %s %s", cfg.name, target.name, outcome.status, outcome.error)
    return outcome


def _commit_batch(
    ctx: _RunContext, report: SourceReport, target: Target, batch: Batch, today: date
) -> int:
    """Records, quarantined items and the target's cursor in one transaction."""
    fetched = len(batch.items) + len(batch.mentions) + len(batch.snapshots)
    records, rejections = convert_items(batch, target.name)
    mentions: list[Mention] = []
    snapshots: list[ProfileSnapshot] = []
    for record in [*records, *batch.mentions, *batch.snapshots]:
        try:
            if isinstance(record, Mention):
                mentions.append(clean_mention(record, ctx.limits))
            elif isinstance(record, ProfileSnapshot):
                snapshots.append(clean_snapshot(record, ctx.limits))
        except Unusable as exc:
            rejections.append(
                Rejection(
                    target.name, exc.reason, detail_of(exc), excerpt(record.model_dump(mode="json"))
                )
            )
    prepared = _prepare(ctx, report, mentions, followed=target.followed)
    for s in snapshots:
        s.source_id = ctx.source_id
    with session_scope(ctx.db_url) as session:
        # Write the cursor first: the transaction is open (a DML statement) before any
        # savepoint, so a refused row rolls back to its savepoint and nothing else.
        row = state_store.get_target(session, ctx.source_id, target.name, for_update=True)
        row.cursor = dict(batch.cursor)
        state_store.touch(session, row)
        state = state_store.get_state(session, ctx.source_id, for_update=True)
        state_store.roll_budget_day(state, today)
        state.items_today += fetched
        state.items_last_run = report.fetched + fetched
        state_store.touch(session, state)
        session.flush()
        result, refused = store_mentions_isolated(session, prepared, target.name)
        snaps, refused_snaps = store_snapshots_isolated(session, snapshots, target.name)
        rejections += refused + refused_snaps
        rejected_store.quarantine(session, ctx.source_id, rejections)
    report.fetched += fetched
    report.stored += result.inserted
    report.grouped += result.grouped
    report.snapshots += snaps
    report.rejected += len(rejections)
    report.batches += 1
    return fetched


def _quarantine(ctx: _RunContext, items: list[Rejection]) -> None:
    with session_scope(ctx.db_url) as session:
        rejected_store.quarantine(session, ctx.source_id, items)


def _record_target(ctx: _RunContext, target: Target, outcome: _Outcome) -> None:
    """The target's own health row."""
    with session_scope(ctx.db_url) as session:
        row = state_store.get_target(session, ctx.source_id, target.name, for_update=True)
        row.status = outcome.status
        row.items_last_run = outcome.items
        if outcome.status in ("ok", "degraded"):
            row.last_success_at = utcnow()
            row.consecutive_failures = 0
            row.retry_at = None
        else:
            row.consecutive_failures += 1
        if outcome.status != "ok":
            row.last_error = clean_text(outcome.error, ERROR_LIMIT)
            row.last_error_at = utcnow()
        if outcome.retry_at is not None:
            row.retry_at = datetime.fromtimestamp(outcome.retry_at, UTC)
        state_store.touch(session, row)


def source_status(statuses: Sequence[str]) -> str:
    """A source's status from its targets' statuses of this run.

    ``ok`` when every target worked; ``degraded`` when some did and some did
    not (or kept items despite a problem); when none worked, ``rate_limited``
    if all were rate limited, ``blocked`` if all were refused, else ``down``.
    """
    if not statuses or all(s == "ok" for s in statuses):
        return "ok"
    if any(s in ("ok", "degraded") for s in statuses):
        return "degraded"
    if all(s == "rate_limited" for s in statuses):
        return "rate_limited"
    if all(s in ("blocked", "rate_limited") for s in statuses):
        return "blocked"
    return "down"


def _finish(
    ctx: _RunContext, report: SourceReport, targets: Sequence[Target], outcomes: dict[str, _Outcome]
) -> None:
    """The source's health from its targets' outcomes."""
    failing = [
        (t.name, outcomes[t.name])
        for t in targets
        if t.name in outcomes and outcomes[t.name].status != "ok"
    ]
    status = source_status([o.status for o in outcomes.values()])
    report.failing_targets = [f"{name}: {o.error}" for name, o in failing]
    if failing:
        lead = f"{len(failing)} of {len(targets)} targets failing: " if len(targets) > 1 else ""
        report.error = clean_text(lead + "; ".join(report.failing_targets), ERROR_LIMIT)
        if status == "rate_limited":
            until = min(o.retry_at or 0 for _, o in failing)
            report.warning = f"deferred until {datetime.fromtimestamp(until, UTC):%H:%M:%S} UTC"
    if report.status != "budget_exhausted":
        report.status = status
    with session_scope(ctx.db_url) as session:
        state = state_store.get_state(session, ctx.source_id, for_update=True)
        state.status = report.status
        state.items_last_run = report.fetched
        if any(o.status in ("ok", "degraded") for o in outcomes.values()) or not outcomes:
            state.last_success_at = utcnow()
        if failing:
            state.last_error, state.last_error_at = report.error, utcnow()
        state_store.touch(session, state)


def _institution(settings: Settings, cfg: SourceSettings) -> InstitutionSettings:
    if not cfg.institution:
        return settings.institution
    for inst in settings.institutions():
        if inst.slug == cfg.institution:
            return inst
    raise ConfigError(
        _("source %(source)s: unknown institution %(institution)s")
        % {"source": repr(cfg.name), "institution": repr(cfg.institution)}
    )


def _record_source_failure(
    db_url: str, source_id: int, report: SourceReport, exc: BaseException
) -> None:
    """The source could not start (invalid configuration, unknown kind...)."""
    status = exc.status if isinstance(exc, FetchError) else "down"
    report.status = status
    # an expected error's message is written for people (in their language); a bug keeps its type
    text = str(exc) if isinstance(exc, VeilleError) else f"{type(exc).__name__}: {exc}"
    report.error = clean_text(text, ERROR_LIMIT)
    log.warning("%s: %s", report.name, report.error)
    with session_scope(db_url) as session:
        state = state_store.get_state(session, source_id, for_update=True)
        state.status = status
        state.last_error = report.error
        state.last_error_at = utcnow()
        state.items_last_run = 0
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
            result.notes.append(f"{r.name}: {label('source_status', r.status)} — {r.note()}")
    result.counts["stored"] = sum(r.stored for r in reports)
    result.counts["rejected"] = sum(r.rejected for r in reports)
    result.counts["failed_sources"] = sum(r.status in ("down", "blocked") for r in reports)
    result.counts["degraded_sources"] = sum(r.status == "degraded" for r in reports)
    return result
