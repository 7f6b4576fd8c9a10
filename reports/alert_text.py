"""An alert's rule in one French sentence, for the alert page, the list and the digest.

Why here: the detector (:mod:`reports.alerts`) stores numbers and a
``details`` dict; people need "42 mentions en une heure contre 6 ± 2
d'habitude", never the dict. Every word goes through the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from veille.i18n import gettext as _
from veille.i18n import label, ngettext


def _num(value: float, digits: int = 0) -> str:
    text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text


def _test_for(details: Mapping[str, Any], rule: str) -> Mapping[str, Any]:
    for t in details.get("tests") or []:
        if isinstance(t, Mapping) and t.get("rule") == rule:
            return t
    return {}


def _period(details: Mapping[str, Any]) -> str:
    return _("in one day") if details.get("channel") == "news" else _("in one hour")


def rule_sentence(rule: str, observed: float, baseline: float, details: Any) -> str:
    """The rule that fired, with its numbers, as one sentence."""
    d: Mapping[str, Any] = details if isinstance(details, Mapping) else {}
    test = _test_for(d, rule)
    sd = float(test.get("baseline_sd") or 0.0)
    if rule == "volume_spike" and not test:
        n = round(observed)
        return ngettext(
            "%(n)s mention %(period)s against %(base)s usually",
            "%(n)s mentions %(period)s against %(base)s usually",
            n,
        ) % {"n": _num(n), "period": _period(d), "base": _num(baseline)}
    if rule == "volume_spike":
        n = round(observed)
        return ngettext(
            "%(n)s mention %(period)s against %(base)s ± %(sd)s usually",
            "%(n)s mentions %(period)s against %(base)s ± %(sd)s usually",
            n,
        ) % {"n": _num(n), "period": _period(d), "base": _num(baseline), "sd": _num(sd)}
    if rule == "negative_share":
        return _(
            "%(share)s %% negative mentions %(period)s (%(n)s mentions) against "
            "%(base)s ± %(sd)s %% usually"
        ) % {
            "share": _num(observed * 100),
            "period": _period(d),
            "n": _num(float(test.get("count") or 0)),
            "base": _num(baseline * 100),
            "sd": _num(sd * 100),
        }
    if rule == "crisis_keywords":
        words = [
            str(k[0]) if isinstance(k, (list, tuple)) else str(k) for k in d.get("keywords") or []
        ]
        n = round(observed)
        return ngettext(
            "%(n)s mention with crisis words in one hour (%(words)s); none expected",
            "%(n)s mentions with crisis words in one hour (%(words)s); none expected",
            n,
        ) % {"n": _num(n), "words": ", ".join(words[:5]) or "—"}
    if rule == "high_reach_negative":
        return _("A negative mention reaching %(reach)s people (threshold %(threshold)s)") % {
            "reach": _num(observed),
            "threshold": _num(baseline),
        }
    return _("%(rule)s: observed %(observed)s, usual %(base)s") % {
        "rule": label("rule", rule),
        "observed": _num(observed, 1),
        "base": _num(baseline, 1),
    }


def terms_of(details: Any, limit: int = 8) -> list[str]:
    """The alert's top terms, words only (the stored counts are for ranking)."""
    d: Mapping[str, Any] = details if isinstance(details, Mapping) else {}
    out = []
    for t in d.get("top_terms") or []:
        out.append(str(t[0]) if isinstance(t, (list, tuple)) else str(t))
    return out[:limit]


def sample_ids(details: Any) -> list[int]:
    d: Mapping[str, Any] = details if isinstance(details, Mapping) else {}
    out = []
    for i in d.get("sample_mention_ids") or []:
        try:
            out.append(int(i))
        except (TypeError, ValueError):
            continue
    return out


def series_of(details: Any) -> tuple[list[int], list[int]]:
    """The hourly (or daily) totals and negatives the spike test read, oldest first."""
    d: Mapping[str, Any] = details if isinstance(details, Mapping) else {}
    series = d.get("series")
    if not isinstance(series, Mapping):
        return [], []
    totals = [int(x) for x in series.get("totals") or [] if isinstance(x, (int, float))]
    negs = [int(x) for x in series.get("negatives") or [] if isinstance(x, (int, float))]
    return totals, negs


def surface_terms(terms: list[str], texts: list[str]) -> list[str]:
    """Terms as written in the posts (``etudes`` -> ``études``): the detector stores them folded."""
    from collections import Counter

    from veille.query import tokenize

    seen: dict[str, Counter[str]] = {}
    wanted = set(terms)
    for text in texts:
        for word in re.findall(r"\w+", text or ""):
            key = " ".join(tokenize(word))
            if key in wanted:
                seen.setdefault(key, Counter())[word.lower()] += 1
    return [seen[t].most_common(1)[0][0] if t in seen else t for t in terms]
