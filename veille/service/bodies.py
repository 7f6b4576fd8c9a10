"""The two kinds of job body: pipeline stages in process, crawls out of process."""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from store.db import session_scope
from store.runs import mentions_of_source
from veille.errors import StageNotDeliveredError
from veille.pipeline import run_pipeline
from veille.process import run_child
from veille.service.jobs import JobEnv, Outcome, parse_tick
from veille.stages import PIPELINE, StageContext, StageSpec, load, stage_spec

log = logging.getLogger(__name__)

#: After SIGTERM, how long a crawl child may take to finish its current batch.
CRAWL_STOP_GRACE_SECONDS = 60.0
#: The environment variable that tells ``veille crawl`` which crawl it is part of.
CRAWL_ID_ENV = "VEILLE_CRAWL_ID"
DEFAULT_CRAWL_ARGV = "scheduler:crawl_argv"


def _output_dir(env: JobEnv) -> Path:
    out = Path(env.settings.output_dir)
    return out if out.is_absolute() else env.config_path.parent / out


def stages_body(env: JobEnv, stages: Sequence[str]) -> Outcome:
    """Run stages through :func:`veille.pipeline.run_pipeline`, in the order given.

    A name is a stage of :data:`veille.stages.PIPELINE` or
    :data:`veille.stages.SERVICE_STAGES`; a ``"module:attr"`` is loaded
    directly. A failing stage does not prevent the next one (each reads what
    is pending in the database), but makes the run an error; undelivered
    stages are recorded as skipped.
    """
    specs: list[StageSpec] = []
    skipped: list[str] = []
    for name in stages:
        try:
            specs.append(stage_spec(name))
        except StageNotDeliveredError as exc:
            skipped.append(f"{name}: {exc}")
    ctx = StageContext(
        settings=env.settings,
        db_url=env.settings.database_url,
        output_dir=_output_dir(env),
        options={"stop": env.stop, "scheduled_at": env.tick, "job": env.job},
    )
    counts: dict[str, Any] = {}
    errors: list[str] = []
    ran = 0
    for outcome in run_pipeline(ctx, specs=specs, stop=env.stop):
        label = outcome.spec.name
        if outcome.status == "skipped":
            skipped.append(f"{label}: {outcome.detail}")
        elif outcome.status == "failed":
            errors.append(f"{label}: {outcome.detail}")
        else:
            ran += 1
            for key, value in outcome.result.counts.items():
                counts[f"{label}.{key}" if len(stages) > 1 else key] = value
            if outcome.result.outputs:
                counts.setdefault("outputs", []).extend(str(p) for p in outcome.result.outputs)
    if skipped:
        counts["skipped"] = skipped
    if errors:
        return Outcome(status="error", counts=counts, error="; ".join(errors))
    if ran == 0:
        return Outcome(status="skipped", counts=counts, error="; ".join(skipped))
    return Outcome(status="ok", counts=counts)


def crawl_argv(config_path: Path, source: str) -> list[str]:
    """The crawl command of one source: the ``veille crawl`` CLI in a fresh interpreter.

    Raises :class:`StageNotDeliveredError` (the run is logged as skipped) when
    the crawl runner is not installed; checked without importing it, so that
    scrapy never loads in the scheduler's process.
    """
    target = next(spec.target for spec in PIPELINE if spec.name == "crawl")
    module = target.partition(":")[0]
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        raise StageNotDeliveredError(f"{target} is not part of this installation")
    return [
        sys.executable,
        "-m",
        "veille",
        "--config",
        str(config_path),
        "crawl",
        "--source",
        source,
    ]


def crawl_id(job: str, tick: str) -> str:
    """One crawl id per scheduled run: its tick (``20260105T070000Z``).

    A re-run of an interrupted tick gets the same id and resumes that crawl's
    shared frontier; the next tick starts a fresh one.
    """
    moment = parse_tick(tick)
    return moment.strftime("%Y%m%dT%H%M%SZ") if moment is not None else tick


def crawl_body(env: JobEnv, source: str, timeout: float, argv: str = DEFAULT_CRAWL_ARGV) -> Outcome:
    """Crawl one source in a child process group, with a timeout.

    On SIGTERM of the scheduler the child gets SIGTERM (finish the batch,
    save the cursor, exit 0) and :data:`CRAWL_STOP_GRACE_SECONDS`; when the
    leader loses its lease the child is killed at once; on timeout the group
    is killed and the run is an error ``timeout``. The cursor is saved per
    batch by the crawler, so a killed crawl resumes where it stopped.
    """
    url = env.settings.database_url
    with session_scope(url) as session:
        before = mentions_of_source(session, source)
    command = load(argv)(env.config_path, source)
    log.info("crawl %s: %s", source, " ".join(command))
    child_env = {**os.environ, CRAWL_ID_ENV: crawl_id(env.job, env.tick)}
    result = run_child(
        command,
        timeout=timeout,
        stop=env.stop,
        kill=env.fence,
        stop_grace=CRAWL_STOP_GRACE_SECONDS,
        env=child_env,
    )
    log.debug("crawl %s output:\n%s", source, result.output)
    status, error = "ok", ""
    if result.timed_out:
        status, error = "error", "timeout"
    elif result.killed:
        status, error = "interrupted", "interrupted: the scheduler lost its lease"
    elif result.returncode != 0:
        stopped = "stopped by the scheduler's shutdown, " if result.stopped else ""
        status, error = "error", f"{stopped}exit code {result.returncode}: {result.tail}"
    with session_scope(url) as session:
        after = mentions_of_source(session, source)
    return Outcome(
        status=status,
        counts={"exit_code": result.returncode, "new_mentions": after - before},
        error=error,
    )
