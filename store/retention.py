"""Retention (RGPD Art. 5(1)(e)): raw content goes, the figures reports use stay.

A purged mention keeps every column an aggregate can read — ``published_at``,
``platform``, ``platform_id`` (so a re-crawl hits the unique key and cannot
resurrect the text), sentiment label/score/model, ``reach``, ``engagement``,
``author_followers``, ``team``, ``duplicate_of_id``, ``content_hash``,
``lang``, ``alumnus_id``, its MentionInstitution links and ``author_key`` (a
keyed hash, not personal data in clear) — and loses the text, title, URL,
author handle/name/id and raw payload. ``provenance`` keeps how it was
collected (fetched_at, method, source, version), drops the URL and gains
``purged_at``.

Reports that also show *content* (the texts of top mentions) would change
once a week is purged, so before the first row of a week is purged the
week's report data is frozen (``store.report_snapshots``) through the hook
``reports.weekly:weekly_report_data(settings, session, week) -> dict``.
Reports read the frozen payload for a frozen week, so a past report stays
identical. Freezing is first-write-wins and happens before any purge of that
week, so the frozen data always comes from the complete week.

Profile snapshots older than their retention lose their raw payload. The
newest snapshot of each profile keeps its normalised ``person`` fields: that
is the baseline the next fetch is compared with to detect a job change.
Older, superseded snapshots also lose ``person`` and ``match_evidence``.
Job changes derived from a purged mention or snapshot lose ``person_name``
and ``evidence`` but keep organisation, title, date, method and alumnus link
(the counts of moves in past reports).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from store import rejected as rejected_store
from store import report_snapshots
from store.models import JobChange, Mention, ProfileSnapshot
from store.types import utcnow

log = logging.getLogger(__name__)

#: ``(settings, session, iso_week) -> JSON-serialisable dict`` of one weekly report.
ReportData = Callable[[Any, Session, str], dict[str, Any]]

_BATCH = 500


@dataclass
class RetentionSummary:
    mentions_purged: int = 0
    snapshots_purged: int = 0
    job_changes_scrubbed: int = 0
    rejected_purged: int = 0
    weeks_frozen: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def iso_week(moment: datetime, tz: ZoneInfo | None = None) -> str:
    """``2026-W47`` for a moment, in ``tz`` (UTC when None)."""
    local = moment.astimezone(tz) if tz else moment
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def _not_purged(json_col: Any) -> Any:
    return json_col["purged_at"].as_string().is_(None)


def weeks_due(session: Session, before: datetime, tz: ZoneInfo | None) -> list[str]:
    """ISO weeks (UTC and local) holding mentions that a purge at ``before`` would touch.

    Both calendars are listed, so a report that cuts weeks in either still
    gets its week frozen before its first row is purged.
    """
    weeks = {
        w
        for p in session.exec(
            select(Mention.published_at).where(
                col(Mention.published_at) < before, _not_purged(col(Mention.provenance))
            )
        ).all()
        for w in ({iso_week(p)} | ({iso_week(p, tz)} if tz else set()))
    }
    return sorted(weeks)


def freeze_weeks(
    session: Session,
    weeks: list[str],
    report_data: ReportData,
    settings: Any,
) -> list[str]:
    """Freeze each week's report data unless already frozen; returns those frozen now."""
    frozen: list[str] = []
    for week in weeks:
        if report_snapshots.is_frozen(session, report_snapshots.WEEKLY, week):
            continue
        payload = report_data(settings, session, week)
        if report_snapshots.freeze(session, report_snapshots.WEEKLY, week, payload):
            frozen.append(week)
    return frozen


def blank_mentions(
    session: Session, where: Any, now: datetime, reason: str = "retention"
) -> list[int]:
    """Blank personal and raw content of the not-yet-purged mentions matching ``where``.

    Shared by retention and by opt-out (an objection also covers what was
    already stored): the figures stay, the words and the author go.
    """
    purged: list[int] = []
    stamp = now.isoformat()
    while True:
        rows = session.exec(
            select(Mention.id, Mention.provenance)
            .where(where, _not_purged(col(Mention.provenance)))
            .order_by(col(Mention.id))
            .limit(_BATCH)
        ).all()
        if not rows:
            return purged
        params = []
        for mention_id, provenance in rows:
            assert mention_id is not None
            kept = {k: v for k, v in (provenance or {}).items() if k != "url"}
            kept["purged_at"] = stamp
            kept["purge_reason"] = reason
            params.append(
                {
                    "id": mention_id,
                    "text": "",
                    "title": "",
                    "url": "",
                    "raw": {},
                    "author_id": "",
                    "author_handle": "",
                    "author_name": "",
                    "provenance": kept,
                }
            )
            purged.append(mention_id)
        session.execute(update(Mention), params)
        session.flush()


def purge_mentions(session: Session, before: datetime, now: datetime) -> list[int]:
    """Blank the personal and raw content of mentions published before ``before``."""
    return blank_mentions(session, col(Mention.published_at) < before, now)


def purge_snapshots(session: Session, before: datetime, now: datetime) -> list[int]:
    """Drop raw payloads of old snapshots; keep ``person`` only on each profile's newest."""
    stamp = now.isoformat()
    newest = (
        select(ProfileSnapshot.profile_key, func.max(ProfileSnapshot.fetched_at).label("latest"))
        .group_by(col(ProfileSnapshot.profile_key))
        .subquery()
    )
    rows = session.exec(
        select(ProfileSnapshot.id, ProfileSnapshot.fetched_at, newest.c.latest)
        .join(newest, newest.c.profile_key == ProfileSnapshot.profile_key)
        .where(col(ProfileSnapshot.fetched_at) < before, _not_purged(col(ProfileSnapshot.raw)))
    ).all()
    params: list[dict[str, Any]] = []
    for snap_id, fetched_at, latest in rows:
        values: dict[str, Any] = {"id": snap_id, "raw": {"purged_at": stamp}}
        if fetched_at < latest:
            values |= {"person": {}, "match_evidence": {}}
        params.append(values)
    for i in range(0, len(params), _BATCH):
        session.execute(update(ProfileSnapshot), params[i : i + _BATCH])
    session.flush()
    return [p["id"] for p in params]


def scrub_job_changes(
    session: Session, mention_ids: list[int], snapshot_ids: list[int], now: datetime
) -> int:
    """Job changes derived from purged rows keep figures, lose names and quotes."""
    n = 0
    for column, ids in ((JobChange.mention_id, mention_ids), (JobChange.snapshot_id, snapshot_ids)):
        for i in range(0, len(ids), _BATCH):
            chunk = ids[i : i + _BATCH]
            result = session.execute(
                update(JobChange)
                .where(col(column).in_(chunk))
                .values(person_name="", evidence={"purged_at": now.isoformat()})
            )
            n += int(getattr(result, "rowcount", 0) or 0)
    return n


def purge(
    session: Session,
    settings: Any,
    *,
    now: datetime | None = None,
    report_data: ReportData | None = None,
) -> RetentionSummary:
    """Freeze the affected weeks' reports, then purge what is past retention.

    ``settings`` is a :class:`veille.config.Settings` (typed loosely so the
    store does not import the app). Without ``report_data`` nothing is
    frozen and a note says so; aggregates stay correct either way.
    """
    now = now or utcnow()
    summary = RetentionSummary()
    privacy = settings.privacy
    mention_cutoff = now - timedelta(days=privacy.retention_days_mentions)
    snapshot_cutoff = now - timedelta(days=privacy.retention_days_snapshots)
    tz = ZoneInfo(settings.schedule.timezone)
    weeks = weeks_due(session, mention_cutoff, tz)
    if weeks and report_data is None:
        summary.notes.append(
            f"weekly report data not available: {len(weeks)} week(s) purged without a frozen copy"
        )
        log.warning("retention: no weekly_report_data hook; %d weeks not frozen", len(weeks))
    elif weeks and report_data is not None:
        summary.weeks_frozen = freeze_weeks(session, weeks, report_data, settings)
    mention_ids = purge_mentions(session, mention_cutoff, now)
    snapshot_ids = purge_snapshots(session, snapshot_cutoff, now)
    summary.mentions_purged = len(mention_ids)
    summary.snapshots_purged = len(snapshot_ids)
    summary.job_changes_scrubbed = scrub_job_changes(session, mention_ids, snapshot_ids, now)
    # Quarantined items hold raw crawled text: kept only while someone may look at them.
    rejected_days = getattr(privacy, "retention_days_rejected", privacy.retention_days_mentions)
    summary.rejected_purged = rejected_store.purge_before(
        session, now - timedelta(days=min(rejected_days, privacy.retention_days_mentions))
    )
    log.info(
        "retention: %d mentions, %d snapshots purged; %d weeks frozen",
        summary.mentions_purged,
        summary.snapshots_purged,
        len(summary.weeks_frozen),
    )
    return summary


def retention_stage(ctx: Any) -> Any:
    """Scheduler stage ``store.retention:retention_stage`` (daily, ``retention_cron``)."""
    from store.db import session_scope
    from veille.errors import StageNotDeliveredError
    from veille.stages import StageResult, load

    report_data: ReportData | None
    try:
        report_data = load("reports.weekly:weekly_report_data")
    except StageNotDeliveredError as exc:
        log.info("retention: weekly report data hook not delivered (%s)", exc)
        report_data = None
    now = ctx.options.get("now") if isinstance(ctx.options.get("now"), datetime) else None
    with session_scope(ctx.db_url) as session:
        summary = purge(session, ctx.settings, now=now, report_data=report_data)
    return StageResult(
        counts={
            "mentions_purged": summary.mentions_purged,
            "snapshots_purged": summary.snapshots_purged,
            "job_changes_scrubbed": summary.job_changes_scrubbed,
            "rejected_purged": summary.rejected_purged,
            "weeks_frozen": len(summary.weeks_frozen),
        },
        notes=summary.notes,
    )
