"""`veille demo` and `veille run`: the pipeline, end to end."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from reports.render import fmt_number
from store.db import ensure_schema
from veille.cli._common import console, print_table, settings, styled
from veille.counts import STAGE, format_counts
from veille.i18n import gettext as _
from veille.i18n import label
from veille.pipeline import StageOutcome, run_pipeline
from veille.stages import PIPELINE, StageContext, StageSpec

STAGE_NAMES = ", ".join(spec.name for spec in PIPELINE)
_STATUS_STYLE = {"ok": "green", "skipped": "yellow", "failed": "bold red"}


def _stage(name: str) -> str:
    """A stage as users read it ("Routage"); its key ("routing") is what ``--stage`` takes."""
    return label(STAGE, name)


def _on_start(spec: StageSpec) -> None:
    doc = " — " + escape(_(spec.doc)) if spec.doc else ""
    console.print(styled("bold", f"▶ {escape(_stage(spec.name))}") + doc)


def _on_done(outcome: StageOutcome) -> None:
    style = _STATUS_STYLE[outcome.status]
    name = _stage(outcome.spec.name)
    if outcome.status == "skipped":
        said = _("notice: %(stage)s skipped — %(reason)s")
        console.print(f"  [{style}]{escape(said % {'stage': name, 'reason': outcome.reason})}[/]")
    elif outcome.status == "failed":
        said = _("%(stage)s failed: %(reason)s")
        console.print(f"  [{style}]{escape(said % {'stage': name, 'reason': outcome.reason})}[/]")
    else:
        counts = format_counts(outcome.result.counts) or _("done")
        console.print(f"  [{style}]{escape(counts)}[/] ({fmt_number(outcome.seconds)} s)")
        for note in outcome.result.notes:
            console.print(f"  {escape(note)}", highlight=False)


def _summary(outcomes: list[StageOutcome]) -> int:
    table = Table(title=_("Pipeline"))
    for column in (_("Stage"), _("State"), _("Counts"), _("Seconds")):
        table.add_column(column)
    for o in outcomes:
        counts = format_counts(o.result.counts, per_source=False) or o.reason
        style = _STATUS_STYLE[o.status]
        table.add_row(
            escape(_stage(o.spec.name)),
            styled(style, label("stage_status", o.status)),
            escape(counts),
            fmt_number(o.seconds),
        )
    print_table(table)
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

    console.print(
        _("%(command)s: replaying recorded responses into %(path)s/")
        % {"command": "[bold]veille demo[/]", "path": escape(str(output))}
    )
    result = run_demo(output, on_start=_on_start, on_done=_on_done)
    code = _summary(result.outcomes)
    outputs = [p for o in result.outcomes for p in o.result.outputs] + result.outputs
    if result.clock is not None:
        console.print(
            _("Clock: the data's last day, %(day)s (alerts and reports ran at %(at)s UTC)")
            % {
                "day": f"{report_day(result.clock):%d/%m/%Y}",
                "at": f"{result.clock:%d/%m/%Y %H:%M}",
            },
            highlight=False,
            soft_wrap=True,
        )
    for path in outputs:
        console.print(
            _("Wrote %(path)s.") % {"path": f"[bold]{escape(str(path))}[/]"},
            highlight=False,
            soft_wrap=True,
        )
    if not outputs:
        console.print(
            styled("yellow", _("No report written: the reporting stage is not available."))
        )
    config = output / "veille.toml"
    base = result.settings.web.base_url.rstrip("/")
    console.print(
        "\n"
        + _("%(next)s: create one login per role (each asks for a password):")
        % {"next": styled("bold", _("Next"))}
    )
    for role, login, _page in DEMO_ROLES:
        console.print(
            f"  veille -c {config} users add {login} --role {role}", highlight=False, soft_wrap=True
        )
    console.print(
        escape(_("Start the web UI (a throwaway key, plain http, this machine only):")),
        highlight=False,
    )
    console.print(f"  veille -c {config} serve --dev", highlight=False, soft_wrap=True)
    console.print(escape(_("Then open, each with its login:")), highlight=False)
    for role, login, page in DEMO_ROLES:
        console.print(
            f"  {base}{page}  ("
            + _("%(key)s: %(value)s") % {"key": login, "value": label("role", role)}
            + ")",
            highlight=False,
            soft_wrap=True,
        )
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
