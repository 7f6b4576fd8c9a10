"""The ``job_changes`` pipeline stage: mentions not yet read and snapshot diffs -> JobChange.

Why apart: the stage talks to the database and the pipeline; the extractor it calls does
not, so that ``veille tag jobs``, the crawlers and the benchmark share it without a store.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from enrich.jobs.change import METHOD, JobChangeFound
from enrich.jobs.extract import extract_job_changes


def job_change_dedupe_key(*parts: object) -> str:
    """Deterministic key so that re-running the stage adds nothing."""
    blob = "\x1f".join("" if p is None else str(p).strip().casefold() for p in parts)
    return hashlib.sha256(blob.encode()).hexdigest()


def _to_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def job_changes_stage(ctx: Any) -> Any:
    """Mentions not yet read (``jobs_extracted_at`` NULL) and new snapshot diffs -> JobChange."""
    from enrich.profile_diff import diff_pending_snapshots
    from store import jobs as store_jobs
    from store.db import session_scope
    from veille.stages import StageResult

    batch = int(ctx.options.get("jobs_batch", 200))
    # the pipeline's clock when it has one (``veille demo`` runs on its data's last day), so a
    # change is dated in the week the reports of the same run cover
    now = ctx.options.get("now") if isinstance(ctx.options.get("now"), datetime) else None
    counts = {"mentions": 0, "text_job_changes": 0, "diff_job_changes": 0}
    while True:
        with session_scope(ctx.db_url) as session:
            pending = store_jobs.mentions_without_jobs(session, limit=batch)
            if not pending:
                break
            texts = [(" ".join(p for p in (m.title, m.text) if p)).strip() for m in pending]
            found = extract_job_changes(
                texts, published=[m.published_at for m in pending], batch_size=32
            )
            rows = []
            for m, changes in zip(pending, found, strict=True):
                for jc in changes:
                    rows.append(mention_job_change_row(m.id, m.url, jc, detected_at=now))
            counts["text_job_changes"] += store_jobs.save_job_changes(session, rows)
            store_jobs.mark_jobs_extracted(session, [m.id for m in pending if m.id is not None])
            counts["mentions"] += len(pending)
        if len(pending) < batch:
            break
    with session_scope(ctx.db_url) as session:
        counts["diff_job_changes"] = diff_pending_snapshots(session, now=now)
    return StageResult(counts=counts)


def mention_job_change_row(
    mention_id: int | None, url: str, jc: JobChangeFound, *, detected_at: datetime | None = None
) -> dict[str, Any]:
    """A JobChange row (dict) for one change read in one mention, with its evidence."""
    return {
        "dedupe_key": job_change_dedupe_key(
            "mention", mention_id, jc.person, jc.organization, jc.title
        ),
        "mention_id": mention_id,
        "person_name": jc.person or "",
        "organization": jc.organization,
        "title": jc.title,
        "start_date": _to_date(jc.start_date),
        "method": METHOD,
        "evidence": {
            "sentence": jc.sentence,
            "rule": jc.rule,
            "lang": jc.lang,
            "url": url,
        },
        "detected_at": detected_at or datetime.now(UTC),
    }
