"""Pipeline stage: language + sentiment for every mention not tagged yet.

Works in batches (``[sentiment] batch_size`` x 8 per database round trip)
so a large crawl backlog streams through with bounded memory, and commits
after each batch so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import logging

from sentiment.tagger import get_classifier, tag_texts
from store.db import session_scope
from store.mentions_nlp import SentimentRow, pending_for_sentiment, save_sentiment
from veille.i18n import gettext as _
from veille.stages import StageContext, StageResult

log = logging.getLogger(__name__)


def sentiment_stage(ctx: StageContext) -> StageResult:
    """Tag all mentions whose ``sentiment_label`` is NULL.

    Options: ``limit`` (max mentions this run), ``chunk`` (mentions per
    database batch).
    """
    settings = ctx.settings
    limit = int(ctx.options.get("limit", 0) or 0)
    chunk = int(ctx.options.get("chunk", 0) or settings.sentiment.batch_size * 8)
    threshold = settings.thresholds.sentiment_uncertain_below
    counts = {"tagged": 0, "uncertain": 0, "negative": 0, "neutral": 0, "positive": 0}
    classifier = None
    after_id = 0
    while True:
        want = chunk if not limit else min(chunk, limit - counts["tagged"])
        if want <= 0:
            break
        with session_scope(ctx.db_url) as session:
            pending = pending_for_sentiment(session, want, after_id)
        if not pending:
            break
        if classifier is None:
            classifier = get_classifier(settings.sentiment)
        results = tag_texts(
            [p.text for p in pending],
            classifier=classifier,
            uncertain_below=threshold,
            langs=[p.lang for p in pending],
        )
        rows = [
            SentimentRow(
                mention_id=p.id,
                lang=r.lang,
                label=r.label,
                score=r.score,
                model=r.model,
                uncertain=r.uncertain,
            )
            for p, r in zip(pending, results, strict=True)
        ]
        with session_scope(ctx.db_url) as session:
            save_sentiment(session, rows)
        after_id = pending[-1].id
        counts["tagged"] += len(rows)
        counts["uncertain"] += sum(r.uncertain for r in rows)
        for r in rows:
            counts[r.label] += 1
        log.info("sentiment: tagged %d mentions so far", counts["tagged"])
    said = _("model %(name)s (%(backend)s)")
    notes = [said % {"name": classifier.name, "backend": classifier.backend}] if classifier else []
    return StageResult(counts=counts, notes=notes)
