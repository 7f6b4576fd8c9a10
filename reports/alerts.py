"""Explained alerts: spikes, crisis keywords, high-reach negative mentions.

Spike detection follows what the market's listening tools do, and says so
in every alert:

- **social** posts: the last full hour against the 12 hours before it;
- **news** (``rss``/``web``): the last 24 hours against the 14 previous days
  (fourteen 24-hour blocks), re-checked every hour but raised once per episode.

For each institution, the baseline is the mean and standard deviation of
the previous blocks. The deviation has a floor, ``sqrt(mean)`` (the Poisson
noise of a count, at least 1), so a perfectly flat baseline does not turn
one extra mention into an infinite z-score. ``z = (observed - mean) / sd``
and a rule fires when ``z >= thresholds.spike_sigma`` and the observed
volume is at least ``thresholds.spike_min_volume``.

The negative share is tested on the same windows as a proportion: baseline
``p0`` (Laplace-smoothed negatives/total of the baseline blocks), binomial
deviation ``sqrt(p0 (1 - p0) / n)`` for the ``n`` mentions of the window,
and at least ``thresholds.negative_share_min_volume`` mentions observed.

When volume and negative share fire for the same institution and window,
one alert is raised (the negative rule leads; both are in ``details``). Each
alert carries rule, observed value, baseline, sigma, top terms (what is
over-represented compared with the baseline), top sources and sample
mention ids. ``dedupe_key`` makes re-running a check in the same window a
no-op.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from enrich.routing import FALLBACK_TEAM, Router, mention_text
from reports.render import fmt_int, fmt_number, fmt_pct
from reports.text import top_sources, top_terms
from store import alerts as store_alerts
from store import report_queries as q
from store.db import session_scope
from store.types import utcnow
from veille.config import Settings
from veille.i18n import gettext as _
from veille.i18n import label
from veille.query import Query, fold, parse
from veille.stages import StageContext, StageResult

log = logging.getLogger(__name__)

#: Default crisis vocabulary (FR/EN); phrases in quotes, ``*`` for prefixes.
CRISIS_KEYWORDS: dict[str, list[str]] = {
    "fr": [
        "incendie",
        "explosion",
        "évacuation",
        "agression",
        "harcèlement",
        "violences sexuelles",
        "viol",
        "attentat",
        "menace",
        "suicide",
        "décès",
        "intoxication",
        "fuite de données",
        "cyberattaque",
        "piratage",
        "rançongiciel",
        "fraude",
        "plagiat",
        "scandale",
        "plainte",
        "garde à vue",
        "blocage",
        "occupation",
        "boycott",
        "discrimination",
        "racisme",
        "démission",
    ],
    "en": [
        "fire",
        "explosion",
        "evacuation",
        "assault",
        "harassment",
        "sexual misconduct",
        "shooting",
        "threat",
        "suicide",
        "death",
        "data breach",
        "cyberattack",
        "ransomware",
        "hacked",
        "fraud",
        "plagiarism",
        "scandal",
        "lawsuit",
        "arrested",
        "boycott",
        "discrimination",
        "racism",
        "resignation",
    ],
}

SOCIAL_BLOCK_HOURS, SOCIAL_BASELINE_BLOCKS = 1, 12
NEWS_BLOCK_HOURS, NEWS_BASELINE_BLOCKS = 24, 14
HIGH_REACH_LOOKBACK = timedelta(hours=24)


@dataclass(frozen=True)
class SpikeTest:
    """The outcome of one statistical test, with everything needed to explain it."""

    rule: str
    observed: float
    baseline: float
    sd: float
    z: float
    fired: bool
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "observed": round(self.observed, 4),
            "baseline": round(self.baseline, 4),
            "baseline_sd": round(self.sd, 4),
            "z": round(self.z, 2),
            "count": self.count,
        }


def volume_test(
    counts: Sequence[int], sigma: float, min_volume: int, rule: str = "volume_spike"
) -> SpikeTest:
    """Last element against the others: mean, floored deviation, z-score."""
    observed, base = counts[-1], list(counts[:-1])
    mean = statistics.fmean(base) if base else 0.0
    sd = max(statistics.pstdev(base) if len(base) > 1 else 0.0, math.sqrt(mean), 1.0)
    z = (observed - mean) / sd
    return SpikeTest(rule, observed, mean, sd, z, observed >= min_volume and z >= sigma, observed)


def negative_share_test(
    totals: Sequence[int],
    negatives: Sequence[int],
    sigma: float,
    min_volume: int,
    rule: str = "negative_share",
) -> SpikeTest:
    """Share of negatives in the last block against the baseline proportion."""
    n, neg = totals[-1], negatives[-1]
    base_n, base_neg = sum(totals[:-1]), sum(negatives[:-1])
    p0 = (base_neg + 1) / (base_n + 2)  # Laplace: a baseline without negatives is not 0 %
    share = neg / n if n else 0.0
    sd = math.sqrt(p0 * (1 - p0) / n) if n else 1.0
    z = (share - p0) / sd if sd else 0.0
    return SpikeTest(rule, share, p0, sd, z, n >= min_volume and z >= sigma, n)


def keyword_list(keywords: Mapping[str, Iterable[str]] | Iterable[str]) -> list[str]:
    """Flatten FR/EN lists, dropping words that only differ by accents or case."""
    words = (
        [k for ks in keywords.values() for k in ks]
        if isinstance(keywords, Mapping)
        else list(keywords)
    )
    seen: dict[str, str] = {}
    for w in words:
        w = " ".join(w.replace('"', " ").split())
        if w and fold(w) not in seen:
            seen[fold(w)] = w
    return list(seen.values())


def crisis_query(keywords: Mapping[str, Iterable[str]] | Iterable[str]) -> Query:
    """One OR query over every crisis keyword (phrases quoted, ``x*`` prefixes kept)."""
    parts = [
        kw if kw.endswith("*") and " " not in kw else f'"{kw}"' for kw in keyword_list(keywords)
    ]
    return parse(" OR ".join(parts))


def _floor_hour(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _blocks(
    rows: Iterable[tuple[int, str, int, int]], end: datetime, block_hours: int, n_blocks: int
) -> dict[int, tuple[list[int], list[int]]]:
    """Hourly SQL buckets -> per institution (totals, negatives), oldest block first."""
    out: dict[int, tuple[list[int], list[int]]] = {}
    for inst, bucket, n, neg in rows:
        hour = datetime.strptime(bucket, "%Y-%m-%d %H").replace(tzinfo=UTC)
        idx = n_blocks - 1 - int((end - hour).total_seconds() // 3600 - 1) // block_hours
        if not 0 <= idx < n_blocks:
            continue
        totals, negs = out.setdefault(inst, ([0] * n_blocks, [0] * n_blocks))
        totals[idx] += n
        negs[idx] += neg
    return out


def _majority_team(router: Router, rows: Sequence[Mapping[str, Any]]) -> str:
    """The team most of the window's mentions were routed to (routing them if needed)."""
    teams = [r["team"] for r in rows if r.get("team")]
    missing = [mention_text(dict(r)) for r in rows if not r.get("team")][:200]
    teams += [rt.team for rt in router.route_many(missing)] if missing else []
    if not teams:
        return FALLBACK_TEAM
    return Counter(teams).most_common(1)[0][0]


def _sample(rows: Sequence[Mapping[str, Any]], k: int = 5) -> list[int]:
    return [int(r["id"]) for r in rows[:k]]


def _explain(test: SpikeTest, sigma: float, share: bool) -> str:
    """The test behind an alert's title, in the site's language and number format."""

    def f(v: float) -> str:
        return fmt_pct(v) if share else fmt_number(v)

    said = _(
        "observed %(observed)s, baseline %(baseline)s ± %(sd)s, z = %(z)s (threshold %(sigma)s σ)"
    )
    return said % {
        "observed": f(test.observed),
        "baseline": f(test.baseline),
        "sd": f(test.sd),
        "z": fmt_number(test.z),
        "sigma": fmt_number(sigma, digits=None),
    }


def detect(
    settings: Settings,
    db_url: str,
    *,
    now: datetime | None = None,
    crisis_keywords: Mapping[str, Iterable[str]] | Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Run every rule once; store and return the alerts that are new."""
    now = now or utcnow()
    th = settings.thresholds
    end = _floor_hour(now)
    router = Router(settings)
    if crisis_keywords is None:
        crisis_keywords = settings.alerts.crisis_keywords or CRISIS_KEYWORDS
    crisis = crisis_query(crisis_keywords)
    candidates: list[dict[str, Any]] = []
    with session_scope(db_url) as s:
        ids = q.ensure_institutions(s, settings)
        names = q.institution_names(s)
        self_id = ids[settings.institution.slug]
        for channel, block_h, n_base in (
            ("social", SOCIAL_BLOCK_HOURS, SOCIAL_BASELINE_BLOCKS),
            ("news", NEWS_BLOCK_HOURS, NEWS_BASELINE_BLOCKS),
        ):
            n_blocks = n_base + 1
            start = end - timedelta(hours=block_h * n_blocks)
            win_start = end - timedelta(hours=block_h)
            rows = store_alerts.bucket_counts(
                s, start, end, unit="hour", news=channel == "news", self_id=self_id
            )
            for inst, (totals, negs) in sorted(_blocks(rows, end, block_h, n_blocks).items()):
                vol = volume_test(totals, th.spike_sigma, th.spike_min_volume)
                neg = negative_share_test(
                    totals, negs, th.spike_sigma, th.negative_share_min_volume
                )
                fired = [t for t in (neg, vol) if t.fired]
                if not fired:
                    continue
                family = f"spike:{channel}"
                if store_alerts.overlapping_alert_exists(s, family, inst, win_start, end):
                    continue
                lead = fired[0]
                window = store_alerts.window_mentions(
                    s, win_start, end, institution_id=inst, self_id=self_id, news=channel == "news"
                )
                baseline_rows = store_alerts.window_mentions(
                    s,
                    start,
                    win_start,
                    institution_id=inst,
                    self_id=self_id,
                    news=channel == "news",
                    limit=2000,
                )
                focus = [r for r in window if r["sentiment_label"] == "negative"] or window
                if lead.rule == "volume_spike":
                    focus = window
                inst_name = names.get(inst, ("", str(inst), False))[1]
                share = lead.rule == "negative_share"
                title = _("%(rule)s — %(institution)s (%(channel)s): %(test)s") % {
                    "rule": label("rule", lead.rule),
                    "institution": inst_name,
                    "channel": label("channel", channel),
                    "test": _explain(lead, th.spike_sigma, share),
                }
                candidates.append(
                    {
                        "dedupe_key": f"{family}:{inst}:{win_start:%Y%m%dT%H}",
                        "rule": f"{lead.rule}",
                        "institution_id": inst,
                        "severity": "critical" if len(fired) > 1 else "warning",
                        "title": title,
                        "window_start": win_start,
                        "window_end": end,
                        "observed": lead.observed,
                        "baseline": lead.baseline,
                        "sigma": round(lead.z, 2),
                        "team": _majority_team(router, focus),
                        "details": {
                            "channel": channel,
                            "method": (
                                f"last {block_h} h vs previous {n_base} blocks of {block_h} h; "
                                "z = (observed - mean) / max(sd, sqrt(mean), 1)"
                                if not share
                                else f"last {block_h} h vs previous {n_base * block_h} h; "
                                "binomial sd on the smoothed baseline proportion"
                            ),
                            "threshold_sigma": th.spike_sigma,
                            "min_volume": (
                                th.negative_share_min_volume if share else th.spike_min_volume
                            ),
                            "tests": [t.as_dict() for t in (vol, neg)],
                            "rules_fired": [t.rule for t in fired],
                            "series": {"totals": totals, "negatives": negs},
                            "top_terms": top_terms(
                                [mention_text(r) for r in focus],
                                [mention_text(r) for r in baseline_rows],
                            ),
                            "top_sources": top_sources(focus),
                            "sample_mention_ids": _sample(focus),
                        },
                    }
                )

        # Crisis vocabulary in the last hour, per institution, every platform.
        win_start = end - timedelta(hours=1)
        for inst in sorted(names):
            rows_ = store_alerts.window_mentions(
                s, win_start, end, institution_id=inst, self_id=self_id, news=None
            )
            hits = [r for r in rows_ if crisis.matches(mention_text(r))]
            if not hits:
                continue
            matched = Counter(
                kw
                for r in hits
                for kw in _matching_keywords(crisis_keywords or CRISIS_KEYWORDS, mention_text(r))
            )
            inst_name = names[inst][1]
            candidates.append(
                {
                    "dedupe_key": f"crisis:{inst}:{win_start:%Y%m%dT%H}",
                    "rule": "crisis_keywords",
                    "institution_id": inst,
                    "severity": "critical",
                    "title": _("%(rule)s — %(institution)s: %(n)s mention(s) (%(words)s)")
                    % {
                        "rule": label("rule", "crisis_keywords"),
                        "institution": inst_name,
                        "n": len(hits),
                        "words": ", ".join(k for k, _count in matched.most_common(3)),
                    },
                    "window_start": win_start,
                    "window_end": end,
                    "observed": float(len(hits)),
                    "baseline": 0.0,
                    "sigma": None,
                    # Crisis communication first; without such a team, whoever the
                    # mentions are routed to.
                    "team": (
                        FALLBACK_TEAM
                        if FALLBACK_TEAM in settings.teams or not settings.teams
                        else _majority_team(router, hits)
                    ),
                    "details": {
                        "keywords": matched.most_common(),
                        "top_terms": top_terms([mention_text(r) for r in hits]),
                        "top_sources": top_sources(hits),
                        "sample_mention_ids": _sample(hits),
                    },
                }
            )

        # High-reach negative mentions: one alert per mention, ever.
        for r in store_alerts.high_reach_negative(
            s, end - HIGH_REACH_LOOKBACK, now, th.high_reach_followers
        ):
            inst = (
                self_id
                if not r["institution_ids"] or self_id in r["institution_ids"]
                else (r["institution_ids"][0])
            )
            candidates.append(
                {
                    "dedupe_key": f"reach:{r['id']}",
                    "rule": "high_reach_negative",
                    "institution_id": inst,
                    "severity": "warning",
                    "title": _("%(rule)s — %(institution)s: reach %(reach)s (threshold %(n)s)")
                    % {
                        "rule": label("rule", "high_reach_negative"),
                        "institution": names[inst][1],
                        "reach": fmt_int(r["reach"]),
                        "n": fmt_int(th.high_reach_followers),
                    },
                    "window_start": r["published_at"],
                    "window_end": r["published_at"],
                    "observed": float(r["reach"]),
                    "baseline": float(th.high_reach_followers),
                    "sigma": None,
                    "team": r["team"] or router.route(mention_text(r)).team,
                    "details": {
                        "platform": r["platform"],
                        "url": r["url"],
                        "top_terms": top_terms([mention_text(r)]),
                        "top_sources": top_sources([r]),
                        "sample_mention_ids": [int(r["id"])],
                    },
                }
            )

        new = _store_new(s, candidates)
    for a in new:
        log.info("alert %s: %s", a["rule"], a["title"])
    return new


def _matching_keywords(
    keywords: Mapping[str, Iterable[str]] | Iterable[str], text: str
) -> list[str]:
    return [w for w in keyword_list(keywords) if crisis_query([w]).matches(text)]


def _store_new(session: Any, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert candidates one by one so the return value lists exactly the new ones."""
    new = []
    for c in candidates:
        if store_alerts.insert_alerts(session, [c]):
            new.append(c)
    return new


def alerts_stage(ctx: StageContext) -> StageResult:
    """Pipeline stage: run the alert rules once (the scheduler calls it hourly)."""
    new = detect(
        ctx.settings,
        ctx.db_url,
        now=ctx.options.get("now"),
        crisis_keywords=ctx.options.get("crisis_keywords"),
    )
    counts: dict[str, int] = {"alerts": len(new)}
    for a in new:
        counts[a["rule"]] = counts.get(a["rule"], 0) + 1
    return StageResult(counts=counts)
