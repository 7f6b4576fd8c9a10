"""What the job-change extractor returns, and the versions that name how it was read.

Why a module of its own: the rules, the tagger merge and the pipeline stage all build or read
:class:`JobChangeFound`, and the method string stored with each change must name the same
versions everywhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from enrich.jobs_change_head import HEAD_DIR, HEAD_WEIGHTS

RULES_VERSION = "jobs-rules-3"
TAGGER_VERSION = "job-tagger-3"
#: The trigger pre-filter, vetoes and trigger gate of enrich/jobs_prefilter.py and
#: enrich/jobs_vetoes.py (their lexicons in enrich/data/jobs_*.txt).
FILTERS_VERSION = "job-filters-1"


def _change_head_version() -> str:
    """``change-head@<sha256[:8]>`` of the committed weights: retraining renames it by itself."""
    try:
        digest = hashlib.sha256((HEAD_DIR / HEAD_WEIGHTS).read_bytes()).hexdigest()[:8]
    except OSError:
        digest = "absent"
    return f"change-head@{digest}"


#: The change/no-change head of enrich/jobs_change_head.py, named by its weights.
CHANGE_HEAD_VERSION = _change_head_version()
METHOD = f"text_rules/{RULES_VERSION}+{TAGGER_VERSION}+{FILTERS_VERSION}+{CHANGE_HEAD_VERSION}"


@dataclass(frozen=True)
class JobChangeFound:
    """One job change read from a text: who, where, what, from when, and why."""

    person: str | None
    organization: str | None
    title: str | None
    start_date: str | None
    lang: str = ""
    rule: str = ""
    sentence: str = ""
    evidence: dict[str, Any] = field(default_factory=dict, compare=False)

    def contract(self) -> dict[str, str | None]:
        """The four fields of the ``veille tag jobs`` output contract."""
        return {
            "person": self.person,
            "organization": self.organization,
            "title": self.title,
            "start_date": self.start_date,
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
