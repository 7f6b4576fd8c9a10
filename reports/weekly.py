"""The weekly monitoring report: what community managers read on Monday.

:func:`build_weekly` asks the store for a handful of SQL aggregates (one
scan of the week gives headline, volume and sentiment; a few ``ORDER BY ...
LIMIT`` queries give the tops), turns them into template context and
charts; :func:`render_weekly` produces HTML, and the PDF is that HTML
through WeasyPrint. Weeks are ISO weeks in UTC (``2026-W47``).
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from reports import charts
from reports.render import html_to_pdf, render
from reports.text import author_label, excerpt
from store import report_queries as q
from store import report_snapshots
from store.db import session_scope
from veille.config import Settings
from veille.errors import VeilleError
from veille.i18n import gettext as _
from veille.stages import StageContext, StageResult

log = logging.getLogger(__name__)

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_DAYS_FR = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


class WeekFormatError(VeilleError):
    """``--week`` is not an ISO week."""

    translated = True

    exit_code = 2


@dataclass(frozen=True)
class Week:
    """An ISO week: its label and its UTC bounds ``[start, end)``."""

    label: str
    start: datetime
    end: datetime

    @property
    def days(self) -> list[date]:
        return [self.start.date() + timedelta(days=i) for i in range(7)]


def parse_week(value: str | None, now: datetime | None = None) -> Week:
    """``2026-W47`` -> that week; ``None`` -> the last complete ISO week."""
    if value:
        m = _WEEK.match(value.strip())
        if not m:
            raise WeekFormatError(
                _("week %(week)s is not an ISO week: write it like 2026-W47")
                % {"week": repr(value)}
            )
        try:
            monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError as exc:
            raise WeekFormatError(
                _("week %(week)s does not exist: %(error)s") % {"week": repr(value), "error": exc}
            ) from exc
    else:
        today = (now or datetime.now(UTC)).astimezone(UTC).date()
        monday = today - timedelta(days=today.weekday() + 7)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    year, week, _weekday = monday.isocalendar()
    return Week(f"{year}-W{week:02d}", start, start + timedelta(days=7))


def weekly_report_data(settings: Settings, session: Session, week: Week | str) -> dict[str, Any]:
    """The week's figures from SQL aggregates, JSON-ready.

    This is what the retention purge freezes (``store.report_snapshots``)
    before it blanks old mentions, so a purged week still renders the same.
    """
    if isinstance(week, str):
        week = parse_week(week)
    ids = q.ensure_institutions(session, settings)
    self_id = ids[settings.institution.slug]
    q.prepare_reporting(session)
    data = {
        "cube": [asdict(r) for r in q.volume_cube(session, week.start, week.end, self_id)],
        "previous": q.count_mentions(session, week.start - timedelta(days=7), week.start, self_id),
        "tops": q.top_mentions(session, week.start, week.end, self_id),
        "authors": q.top_authors(session, week.start, week.end, self_id),
        "ambassadors": q.ambassadors(session, week.start, week.end, self_id),
        "sov": q.share_of_voice(session, week.start, week.end),
        "jobs": q.job_changes(session, week.start, week.end),
        "alerts": q.alerts_by_rule(session, week.start, week.end),
    }
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=_iso))
    return loaded


def _iso(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON-ready: {type(value).__name__}")


def _revive(value: Any) -> Any:
    """Datetimes back from their ISO form (keys ending in ``_at``), recursively."""
    if isinstance(value, list):
        return [_revive(v) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k.endswith("_at") and isinstance(v, str):
                try:
                    out[k] = datetime.fromisoformat(v)
                    continue
                except ValueError:
                    pass
            out[k] = _revive(v)
        return out
    return value


def build_weekly(settings: Settings, db_url: str, week: Week) -> dict[str, Any]:
    """Everything the weekly templates show: frozen data if retention froze it, else live."""
    with session_scope(db_url) as s:
        data = report_snapshots.get(s, report_snapshots.WEEKLY, week.label)
        if data is None:
            data = weekly_report_data(settings, s, week)
    data = _revive(data)
    cube = [q.CubeRow(**r) for r in data["cube"]]
    previous = int(data["previous"])
    tops, authors, ambassadors = data["tops"], data["authors"], data["ambassadors"]
    sov, jobs, alerts = data["sov"], data["jobs"], data["alerts"]

    days = [d.isoformat() for d in week.days]
    day_labels = [f"{_DAYS_FR[d.weekday()]} {d.day}" for d in week.days]
    by_platform: dict[str, list[float]] = defaultdict(lambda: [0.0] * 7)
    by_sentiment: dict[str, list[float]] = defaultdict(lambda: [0.0] * 7)
    sentiment_total: dict[str, int] = defaultdict(int)
    total = reach = 0
    for row in cube:
        if row.day not in days:
            continue
        i = days.index(row.day)
        by_platform[row.platform][i] += row.mentions
        by_sentiment[row.sentiment][i] += row.mentions
        sentiment_total[row.sentiment] += row.mentions
        total += row.mentions
        reach += row.reach
    per_day = [sum(v[i] for v in by_platform.values()) for i in range(7)]
    trend = {
        label: [by_sentiment[label][i] / per_day[i] if per_day[i] else None for i in range(7)]
        for label in ("positive", "negative")
    }
    negative, positive = sentiment_total.get("negative", 0), sentiment_total.get("positive", 0)
    headline = {
        "total": total,
        "previous": previous,
        "change": (total - previous) / previous if previous else None,
        "reach": reach,
        "negative": negative,
        "positive": positive,
        "negative_share": negative / total if total else 0.0,
        "positive_share": positive / total if total else 0.0,
        "alerts": sum(alerts.values()),
        "alerts_by_rule": alerts,
    }
    sov_total = sum(int(r["mentions"]) for r in sov) or 1
    sov_rows = [{**r, "share": int(r["mentions"]) / sov_total} for r in sov]
    order = ("positive", "neutral", "negative", "unknown")
    shares = {k: float(sentiment_total[k]) for k in order if sentiment_total.get(k)}
    return {
        "institution": settings.institution.name,
        "week": week.label,
        "start": week.start.date(),
        "last_day": week.days[-1],
        "generated_at": datetime.now(UTC),
        "h": headline,
        "charts": {
            "volume": charts.stacked_bars(
                day_labels, dict(sorted(by_platform.items())), _("Mentions per day and platform")
            ),
            "sentiment_share": charts.share_bar(shares, _("Sentiment breakdown")),
            "sentiment_trend": charts.lines(
                day_labels, trend, _("Positive / negative share per day"), percent=True
            ),
            "sov": charts.hbars(
                [(r["name"], r["share"]) for r in sov_rows], _("Share of voice"), percent=True
            ),
        },
        "top_mentions": [
            {
                **m,
                "author": author_label(settings, m),
                "excerpt": excerpt(m),
                "sentiment": m["sentiment_label"] or "—",
            }
            for m in tops
        ],
        "top_authors": [{**a, "label": author_label(settings, a)} for a in authors],
        "ambassadors": ambassadors,
        "sov": sov_rows,
        "job_changes": jobs,
    }


def render_weekly(context: dict[str, Any]) -> str:
    return render("weekly.html.j2", **context)


def render_weekly_text(context: dict[str, Any]) -> str:
    return render("weekly.txt.j2", **context)


def write_weekly(
    settings: Settings, db_url: str, out_dir: Path, week: Week, *, pdf: bool = True
) -> tuple[list[Path], dict[str, Any]]:
    """Write ``weekly-<week>.html`` (and ``.pdf``) into ``out_dir``."""
    context = build_weekly(settings, db_url, week)
    html = render_weekly(context)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"weekly-{week.label}.html"
    html_path.write_text(html, encoding="utf-8")
    paths = [html_path]
    if pdf:
        pdf_path = out_dir / f"weekly-{week.label}.pdf"
        pdf_path.write_bytes(html_to_pdf(html))
        paths.append(pdf_path)
    log.info(
        "weekly report %s: %d mentions -> %s",
        week.label,
        context["h"]["total"],
        ", ".join(str(path) for path in paths),
    )
    return paths, context


def archive_week(settings: Settings, db_url: str, week: Week) -> bool:
    """Freeze the week's data in ``report_snapshot`` (first write wins): the archive.

    The weekly stage runs after the week ended; what it reported is what the
    archive shows later (the UI lists frozen weeks), even once retention
    blanked the texts of its top mentions.
    """
    with session_scope(db_url) as s:
        if report_snapshots.is_frozen(s, report_snapshots.WEEKLY, week.label):
            return False
        data = weekly_report_data(settings, s, week)
        return report_snapshots.freeze(s, report_snapshots.WEEKLY, week.label, data)


def weekly_report_stage(ctx: StageContext) -> StageResult:
    """Pipeline stage: the report of the last complete ISO week (or ``options['week']``).

    The week's data is frozen first (:func:`archive_week`), so the archive in
    the UI shows exactly what was sent.
    """
    week = parse_week(ctx.options.get("week"))
    archived = archive_week(ctx.settings, ctx.db_url, week)
    paths, context = write_weekly(
        ctx.settings, ctx.db_url, ctx.output_dir, week, pdf=bool(ctx.options.get("pdf", True))
    )
    result = StageResult(
        counts={
            "mentions": int(context["h"]["total"]),
            "files": len(paths),
            "archived": int(archived),
        },
        outputs=paths,
    )
    if ctx.options.get("send"):
        from reports.mail import send_weekly

        sent = send_weekly(ctx.settings, context, paths)
        result.counts["emails"] = sent
    return result
