"""The start date of a job change: the first date a start cue introduces.

Why cues: a sentence about an appointment often holds other dates (a birth, a term that
ends, the day of the announcement); only "à compter du", "effective", "from", "le" and the
like make a date the first day in the post.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_MONTHS = (
    r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|"
    r"novembre|décembre|decembre|january|february|march|april|may|june|july|august|"
    r"september|october|november|december|jan\.?|feb\.?|mar\.?|apr\.?|jun\.?|jul\.?|aug\.?|"
    r"sept?\.?|oct\.?|nov\.?|dec\.?"
)
_DATE_RE = re.compile(
    rf"(?:(?P<d1>\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?P<m1>{_MONTHS})(?:\s+(?P<y1>\d{{4}}))?)"
    rf"|(?:(?P<m2>{_MONTHS})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y2>\d{{4}}))?)"
    rf"|(?:(?P<m3>{_MONTHS})\s+(?P<y3>\d{{4}}))"
    r"|(?P<iso>\d{4}-\d{2}-\d{2})"
    r"|(?P<num>\d{1,2}/\d{1,2}/\d{4})",
    re.IGNORECASE,
)
#: A date counts as the start date only after one of these cues (not "born 3 May 1970").
_DATE_CUES = re.compile(
    r"(à compter du|a compter du|à partir du|a partir du|dès le|des le|depuis le|depuis|"
    r"le|au|en|effective|from|on|as of|starting|beginning|since|in|début|fin|from the|"
    r"prendra ses fonctions|takes office|takes up)\s*$",
    re.IGNORECASE,
)
#: Cues that tie a date to taking up a post even in another sentence.
_STRONG_DATE_CUES = re.compile(
    r"(à compter du|a compter du|à partir du|a partir du|dès le|des le|effective|as of|"
    r"prendra ses fonctions (le|au)|prend ses fonctions (le|au)|takes office on|"
    r"entrera en fonction(s)? le|starting on|starts on|will start on)\s*$",
    re.IGNORECASE,
)
_NEGATIVE_DATE_CUES = re.compile(
    r"(né|née|born|décédé|died|until|jusqu'au|jusqu’au)\s*(le|on|en|in)?\s*$", re.I
)


def parse_start_date(
    sentence: str, base: datetime | None = None, *, strong_only: bool = False
) -> str | None:
    """First date in ``sentence`` introduced by a start cue, as an ISO date string.

    A month without a day means the first of that month; a date without a year
    takes the year of ``base`` (publication date) or of today.
    """
    import dateparser

    base = base or datetime.now(UTC)
    for m in _DATE_RE.finditer(sentence):
        before = sentence[max(0, m.start() - 40) : m.start()]
        cues = _STRONG_DATE_CUES if strong_only else _DATE_CUES
        if _NEGATIVE_DATE_CUES.search(before) or not cues.search(before):
            continue
        parsed = dateparser.parse(
            m.group(0),
            languages=["fr", "en"],
            settings={
                "PREFER_DAY_OF_MONTH": "first",
                "RELATIVE_BASE": base.replace(tzinfo=None),
                "DATE_ORDER": "DMY",
                "REQUIRE_PARTS": ["month"],
            },
        )
        if parsed is not None:
            return parsed.date().isoformat()
    return None
