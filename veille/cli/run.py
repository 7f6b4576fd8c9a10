"""`veille demo` and `veille run`: the pipeline, end to end."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from store.db import ensure_schema
from veille.cli._common import console, settings
from veille.pipeline import StageOutcome, run_pipeline
from veille.stages import PIPELINE, StageContext, StageSpec

STAGE_NAMES = ", ".join(spec.name for spec in PIPELINE)
_STATUS_STYLE = {"ok": "green", "skipped": "yellow", "failed": "bold red"}


def _on_start(spec: StageSpec) -> None:
    console.print(f"[bold]▶ {spec.name}[/] — {spec.doc}")


def _on_done(outcome: StageOutcome) -> None:
    style = _STATUS_STYLE[outcome.status]
    if outcome.status == "skipped":
        console.print(f"  [{style}]notice: {outcome.spec.name} skipped — {outcome.reason}[/]")
    elif outcome.status == "failed":
        console.print(f"  [{style}]{outcome.spec.name} failed: {outcome.reason}[/]")
    else:
        counts = ", ".join(f"{k}={v}" for k, v in outcome.result.counts.items()) or "done"
        console.print(f"  [{style}]{counts}[/] ({outcome.seconds:.1f} s)")
        for note in outcome.result.notes:
            console.print(f"  {note}", highlight=False)


def _summary(outcomes: list[StageOutcome]) -> int:
    table = Table(title="pipeline")
    for column in ("stage", "status", "counts", "seconds"):
        table.add_column(column)
    for o in outcomes:
        counts = ", ".join(f"{k}={v}" for k, v in o.result.counts.items()) or o.reason
        style = _STATUS_STYLE[o.status]
        table.add_row(o.spec.name, f"[{style}]{o.status}[/]", counts, f"{o.seconds:.1f}")
    console.print(table)
    return 1 if any(o.status == "failed" for o in outcomes) else 0


#: Who opens what after the demo: (role, login to create, page).
DEMO_ROLES = (
    ("alumni_officer", "alumni", "/review"),
    ("community_manager", "community", "/alerts"),
    ("communications", "comms", "/reports"),
)


def demo(
    output: Path = typer.Option(Path("out/demo"), "--output", "-o", help="Where to write."),
) -> None:
    """Run the whole pipeline on replayed real data and write a report."""
    from veille.demo.run import report_day, run_demo

    console.print(f"[bold]veille demo[/]: replaying recorded responses into {output}/")
    result = run_demo(output, on_start=_on_start, on_done=_on_done)
    code = _summary(result.outcomes)
    outputs = [p for o in result.outcomes for p in o.result.outputs] + result.outputs
    if result.clock is not None:
        console.print(
            f"clock: the data's last day, {report_day(result.clock)} "
            f"(alerts and reports ran at {result.clock:%Y-%m-%d %H:%M} UTC)",
            highlight=False,
            soft_wrap=True,
        )
    for path in outputs:
        console.print(f"wrote [bold]{path}[/]", highlight=False, soft_wrap=True)
    if not outputs:
        console.print("[yellow]no report written: the reporting stage is not available[/]")
    config = output / "veille.toml"
    base = result.settings.web.base_url.rstrip("/")
    console.print("\n[bold]Next[/]: create one login per role (each asks for a password):")
    for role, login, _page in DEMO_ROLES:
        console.print(
            f"  veille -c {config} users add {login} --role {role}", highlight=False, soft_wrap=True
        )
    console.print("start the web UI (a throwaway key, plain http, this machine only):")
    console.print(f"  veille -c {config} serve --dev", highlight=False, soft_wrap=True)
    console.print("then open, each with its login:")
    for role, login, page in DEMO_ROLES:
        console.print(f"  {base}{page}  ({login}: {role})", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def run(
    stage: list[str] = typer.Option([], "--stage", "-s", help=f"Only these ({STAGE_NAMES})."),
    week: str = typer.Option("", help="ISO week for the weekly report, e.g. 2026-W47."),
) -> None:
    """Run the pipeline once over the configured database."""
    s = settings()
    ensure_schema(s.database_url)
    options = {"week": week} if week else {}
    ctx = StageContext(
        settings=s, db_url=s.database_url, output_dir=Path(s.output_dir), options=options
    )
    outcomes = run_pipeline(ctx, stage or None, on_start=_on_start, on_done=_on_done)
    raise typer.Exit(_summary(outcomes))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("run")(run)
