"""On-demand brand reports: a boolean query over stored mentions, compared with peers.

The query is veille's query language (:mod:`veille.query`: phrases, NEAR,
elisions), evaluated on each stored mention's title and text of the period.
The report gives volume and sentiment trend per period (day, ISO week or
month depending on the span), the main themes of each period (terms
over-represented compared with the whole period, query words excluded),
the most reached mentions and, with ``compare_peers``, the share of voice
of our institution against its peers with a ranking **index**: the share
of voice times the number of institutions compared, x100 (100 = an equal
share; 150 = half again as much as an equal share).
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reports import charts
from reports.render import html_to_pdf, render
from reports.text import author_label, excerpt
from reports.themes import period_themes
from store import report_queries as q
from store.db import session_scope
from veille.config import Settings
from veille.csvsafe import write_rows
from veille.errors import VeilleError
from veille.i18n import gettext as _
from veille.query import Document, parse, positive_leaves

FORMATS = ("html", "pdf", "csv")
CSV_HEADER = (
    "id",
    "published_at",
    "platform",
    "institutions",
    "sentiment",
    "reach",
    "author",
    "title",
    "text",
    "url",
)


class BrandReportError(VeilleError):
    """The brand report request cannot be served as asked."""

    translated = True

    exit_code = 2


@dataclass(frozen=True)
class Matched:
    row: dict[str, Any]
    institutions: tuple[int, ...]


def period_key(d: datetime, granularity: str) -> str:
    if granularity == "day":
        return d.date().isoformat()
    if granularity == "week":
        y, w, _weekday = d.isocalendar()
        return f"{y}-W{w:02d}"
    return f"{d.year}-{d.month:02d}"


def periods(start: date, end: date) -> tuple[str, list[str]]:
    """Granularity for the span and every period label in order (empty ones included)."""
    span = (end - start).days + 1
    granularity = "day" if span <= 31 else "week" if span <= 26 * 7 else "month"
    labels: list[str] = []
    d = start
    while d <= end:
        key = period_key(datetime(d.year, d.month, d.day, tzinfo=UTC), granularity)
        if not labels or labels[-1] != key:
            labels.append(key)
        d += timedelta(days=1)
    return granularity, labels


def find_mentions(settings: Settings, query: str, start: date, end: date) -> list[Matched]:
    """Stored canonical mentions of ``[start, end]`` (UTC days) matching ``query``."""
    parsed = parse(query)
    lo = datetime(start.year, start.month, start.day, tzinfo=UTC)
    hi = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    out: list[Matched] = []
    with session_scope(settings.database_url) as s:
        ids = q.ensure_institutions(s, settings)
        self_id = ids[settings.institution.slug]
        for row in q.iter_period_mentions(s, lo, hi):
            text = f"{row['title'] or ''} {row['text'] or ''}"
            if parsed.matches_document(Document.of(text)):
                out.append(Matched(row, tuple(row["institution_ids"]) or (self_id,)))
    return out


def build_brand(
    settings: Settings,
    *,
    query: str,
    start: date,
    end: date,
    compare_peers: bool,
) -> dict[str, Any]:
    """Template context of a brand report."""
    if end < start:
        raise BrandReportError(
            _("--to (%(end)s) is before --from (%(start)s): swap them")
            % {"end": end, "start": start}
        )
    matched = find_mentions(settings, query, start, end)
    granularity, labels = periods(start, end)
    with session_scope(settings.database_url) as s:
        names = q.institution_names(s)
        slugs = {slug: iid for iid, (slug, _, _) in names.items()}
    self_id = slugs[settings.institution.slug]

    sentiment: dict[str, list[float]] = {
        k: [0.0] * len(labels) for k in ("positive", "neutral", "negative", "unknown")
    }
    texts_by_period: dict[str, list[str]] = defaultdict(list)
    for m in matched:
        key = period_key(m.row["published_at"], granularity)
        i = labels.index(key)
        sentiment[m.row["sentiment_label"] or "unknown"][i] += 1
        texts_by_period[key].append(f"{m.row['title'] or ''} {m.row['text'] or ''}")
    totals = [sum(v[i] for v in sentiment.values()) for i in range(len(labels))]
    trend = {
        k: [sentiment[k][i] / totals[i] if totals[i] else None for i in range(len(labels))]
        for k in ("positive", "negative")
    }
    query_words = [str(leaf) for leaf in positive_leaves(parse(query).root)]
    by_period = period_themes(texts_by_period, limit=6, exclude=query_words)
    themes = [
        {"period": p, "mentions": len(texts_by_period[p]), "terms": by_period.get(p, [])}
        for p in labels
        if texts_by_period.get(p)
    ]

    sov: list[dict[str, Any]] = []
    if compare_peers:
        compared = [slugs[i.slug] for i in settings.institutions() if i.slug in slugs]
        count: Counter[int] = Counter()
        reach: Counter[int] = Counter()
        pos: Counter[int] = Counter()
        neg: Counter[int] = Counter()
        for m in matched:
            for iid in m.institutions:
                count[iid] += 1
                reach[iid] += int(m.row["reach"] or 0)
                pos[iid] += m.row["sentiment_label"] == "positive"
                neg[iid] += m.row["sentiment_label"] == "negative"
        total = sum(count[i] for i in compared) or 1
        total_reach = sum(reach[i] for i in compared) or 1
        for iid in compared:
            share = count[iid] / total
            sov.append(
                {
                    "name": names[iid][1],
                    "is_self": iid == self_id,
                    "mentions": count[iid],
                    "share": share,
                    "reach_share": reach[iid] / total_reach,
                    "positive": pos[iid],
                    "negative": neg[iid],
                    "net": (pos[iid] - neg[iid]) / count[iid] if count[iid] else 0.0,
                    "index": round(share * len(compared) * 100),
                }
            )
        sov.sort(key=lambda r: (-r["mentions"], r["name"]))
        # No ranking on no data: 1/2/3 on zero mentions would be an invention.
        ranked = sum(count[i] for i in compared) > 0
        for rank, r in enumerate(sov, 1):
            r["rank"] = rank if ranked and r["mentions"] else None
            if not ranked:
                r["index"] = None

    tops = sorted(matched, key=lambda m: (-int(m.row["reach"] or 0), m.row["id"]))[:10]
    n = len(matched)
    neg_total = sum(1 for m in matched if m.row["sentiment_label"] == "negative")
    pos_total = sum(1 for m in matched if m.row["sentiment_label"] == "positive")
    return {
        "institution": settings.institution.name,
        "query": query,
        "start": start,
        "end": end,
        "granularity": granularity,
        "generated_at": datetime.now(UTC),
        "h": {
            "total": n,
            "reach": sum(int(m.row["reach"] or 0) for m in matched),
            "negative_share": neg_total / n if n else 0.0,
            "positive_share": pos_total / n if n else 0.0,
        },
        "charts": {
            "volume": charts.stacked_bars(
                labels, {k: v for k, v in sentiment.items() if any(v)}, _("Mentions per period")
            ),
            "trend": charts.lines(labels, trend, _("Positive / negative share"), percent=True),
            "sov": charts.hbars(
                [(r["name"], r["share"]) for r in sov], _("Share of voice"), percent=True
            )
            if sov
            else None,
        },
        "themes": themes,
        "sov": sov,
        "top_mentions": [
            {
                **m.row,
                "author": author_label(settings, m.row),
                "excerpt": excerpt(m.row),
                "sentiment": m.row["sentiment_label"] or "—",
            }
            for m in tops
        ],
        "matched": matched,
        "names": names,
    }


def to_csv(
    settings: Settings, context: dict[str, Any], *, delimiter: str = ",", bom: bool = True
) -> bytes:
    """Matched mentions, one per row, every text cell neutralised against formulas.

    French Excel splits on ``;`` and needs the BOM to read UTF-8 accents: the
    UI offers that (``delimiter=";"``); scripts get RFC 4180 commas.
    """
    names: dict[int, tuple[str, str, bool]] = context["names"]
    buf = io.StringIO()
    write_rows(
        buf,
        CSV_HEADER,
        (
            (
                m.row["id"],
                m.row["published_at"].isoformat(),
                m.row["platform"],
                ";".join(names[i][0] for i in m.institutions if i in names),
                m.row["sentiment_label"] or "",
                m.row["reach"],
                author_label(settings, m.row),
                m.row["title"] or "",
                m.row["text"] or "",
                m.row["url"] or "",
            )
            for m in context["matched"]
        ),
        delimiter=delimiter,
    )
    # BOM so that spreadsheet software opens UTF-8 accents correctly.
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def brand_report(
    settings: Settings,
    *,
    query: str,
    start: date,
    end: date,
    compare_peers: bool,
    fmt: str,
    csv_delimiter: str = ",",
    csv_bom: bool = True,
) -> bytes:
    """The brand report as bytes in ``fmt`` (html, pdf or csv); used by the CLI and the UI."""
    if fmt not in FORMATS:
        raise BrandReportError(
            _("format %(format)s is not supported: use one of %(formats)s")
            % {"format": repr(fmt), "formats": ", ".join(FORMATS)}
        )
    context = build_brand(settings, query=query, start=start, end=end, compare_peers=compare_peers)
    if fmt == "csv":
        if csv_delimiter not in (",", ";", "\t"):
            raise BrandReportError(
                _("CSV delimiter %(delimiter)s: use ',', ';' or a tab")
                % {"delimiter": repr(csv_delimiter)}
            )
        return to_csv(settings, context, delimiter=csv_delimiter, bom=csv_bom)
    html = render("brand.html.j2", **context)
    return html.encode("utf-8") if fmt == "html" else html_to_pdf(html)
