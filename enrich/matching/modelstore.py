"""Which model is in use: the database's ``match_model`` row, the bundled default, retraining.

Why in the database: every host (and the scheduler's standby) scores with
the same parameters, and a backup contains them. Retraining is explicit
(``veille match retrain``) or scheduled, never a side effect of which host ran.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from enrich.matching.blocking import AlumniIndex, candidate_pairs
from enrich.matching.comparison import compare
from enrich.matching.em import train
from enrich.matching.fields import prepare
from enrich.matching.fsmodel import FSModel
from enrich.matching.people import _frame, _person_row
from veille.i18n import _
from veille.stages import StageContext, StageResult

#: One logger for the whole matcher, named as before the split (log lines unchanged).
log = logging.getLogger("enrich.matching")


#: Fewer candidate pairs than this: EM is not trusted, the bundled model is used.
MIN_TRAIN_PAIRS = 500
#: The bundled model, next to the package (``enrich/match_model_default.json``):
#: benchmarks/match.py re-trains it in place.
DEFAULT_MODEL_PATH = Path(__file__).parent.with_name("match_model_default.json")


def default_model() -> FSModel:
    """The model shipped with veille (trained on the synthetic benchmark set)."""
    return FSModel.load(DEFAULT_MODEL_PATH)


def stored_model(session: Any) -> FSModel | None:
    """The model in use for this database (its newest ``match_model`` row), if any."""
    from store import matching as q

    row = q.current_model(session)
    if row is None:
        return None
    try:
        return FSModel.from_json(json.dumps(row.params))
    except (ValueError, KeyError) as exc:
        log.warning("match_model %s cannot be read (%s); using the bundled model", row.id, exc)
        return None


def _store_model(session: Any, model: FSModel, *, source: str, trained_by: str) -> int:
    from store import matching as q

    row = q.add_model(
        session,
        model.version,
        json.loads(model.to_json()),
        source=source,
        trained_by=trained_by,
    )
    return int(row.id or 0)


def retrain(db_url: str, *, trained_by: str) -> tuple[int, FSModel]:
    """Train a new model on every alumnus and every profile snapshot; store it.

    Explicit (``veille match retrain``) or scheduled, never a side effect of
    which host ran. Existing links are kept; the new model scores what comes
    next. Raises :class:`ValueError` when there are too few candidate pairs.
    """
    from store import matching as q
    from store.db import session_scope

    with session_scope(db_url) as session:
        alumni = q.alumni_rows(session)
        snaps = q.all_snapshot_rows(session)
        rows = [_person_row(str(s.id), s.person or {}, s.url) for s in snaps]
        if not alumni or not rows:
            raise ValueError(_("no alumni or no profile snapshots to learn from"))
        index = AlumniIndex.build(pd.DataFrame(alumni))
        prof = prepare(_frame(rows))
        ai, pi = candidate_pairs(index, prof)
        if len(ai) < MIN_TRAIN_PAIRS:
            raise ValueError(
                _("only %(n)s candidate pairs (at least %(min)s are needed)")
                % {"n": len(ai), "min": MIN_TRAIN_PAIRS}
            )
        model = train(index, prof, cmp=compare(index.prep, prof, ai, pi))
        model.trained["source"] = "retrain"
        model_id = _store_model(session, model, source="retrain", trained_by=trained_by)
    return model_id, model


def retrain_stage(ctx: StageContext) -> StageResult:
    """Scheduler stage ``match_retrain`` (``schedule.match_retrain_cron``): :func:`retrain`."""
    try:
        model_id, model = retrain(ctx.db_url, trained_by="scheduler")
    except ValueError as exc:
        return StageResult(
            counts={"model_trained": 0}, notes=[_("not retrained: %(error)s") % {"error": exc}]
        )
    return StageResult(
        counts={"model_trained": 1, "model_id": model_id, "pairs": int(model.trained["pairs"])}
    )
