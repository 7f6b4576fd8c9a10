"""Run the pipeline stages of ``veille.stages.PIPELINE`` in data-flow order.

Used by ``veille run``, ``veille demo`` and every stage job of the scheduler.
A stage whose implementation is not installed is reported as skipped (never
faked); a stage that fails is reported with its error and the following
stages still run on what is already stored. Once ``stop`` is set (SIGTERM,
a lost scheduler lease) the remaining stages are skipped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from veille.errors import StageNotDeliveredError, VeilleError
from veille.i18n import gettext as _
from veille.stages import PIPELINE, StageContext, StageResult, StageSpec, load

log = logging.getLogger(__name__)


@dataclass
class StageOutcome:
    spec: StageSpec
    #: ok | skipped | failed
    status: str
    seconds: float = 0.0
    result: StageResult = field(default_factory=StageResult)
    reason: str = ""
    #: The error's own message (``reason`` is phrased for the ``veille run`` screen, in the
    #: interface's language when veille words it, the error's own text otherwise).
    detail: str = ""


def run_pipeline(
    ctx: StageContext,
    names: Sequence[str] | None = None,
    *,
    specs: Sequence[StageSpec] | None = None,
    stop: threading.Event | None = None,
    on_start: Callable[[StageSpec], None] | None = None,
    on_done: Callable[[StageOutcome], None] | None = None,
) -> list[StageOutcome]:
    """Run the named stages (default: all) in pipeline order.

    ``specs`` runs exactly those stages, in that order, instead (the
    scheduler's jobs: the NLP stages, or one stage outside the pipeline such
    as the digest).
    """
    if specs is None:
        wanted = set(names) if names else None
        unknown = (wanted or set()) - {s.name for s in PIPELINE}
        if unknown:
            raise VeilleError(
                f"unknown stage(s): {', '.join(sorted(unknown))}; "
                f"known: {', '.join(s.name for s in PIPELINE)}"
            )
        specs = [s for s in PIPELINE if wanted is None or s.name in wanted]
    outcomes: list[StageOutcome] = []
    for spec in specs:
        if stop is not None and stop.is_set():
            outcomes.append(
                StageOutcome(spec, "skipped", reason=_("stop requested"), detail="stopping")
            )
            continue
        if on_start:
            on_start(spec)
        started = time.perf_counter()
        try:
            stage = load(spec.target)
            result = stage(ctx)
            outcome = StageOutcome(spec, "ok", result=result)
        except StageNotDeliveredError as exc:
            outcome = StageOutcome(
                spec,
                "skipped",
                reason=_("not delivered yet (%(why)s)") % {"why": exc},
                detail=str(exc),
            )
        except VeilleError as exc:
            outcome = StageOutcome(spec, "failed", reason=str(exc), detail=str(exc))
        except Exception as exc:
            log.exception("stage %s crashed", spec.name)
            message = f"{type(exc).__name__}: {exc}"
            outcome = StageOutcome(spec, "failed", reason=message, detail=message)
        outcome.seconds = time.perf_counter() - started
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes
