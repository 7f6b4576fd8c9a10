"""``veille tag route``: add the routed team to each line of a JSONL file.

Each line gains ``team``, ``team_score`` (the model's probability, 1.0 for a
keyword rule), ``team_runner_up`` and ``team_runner_up_score`` (the next best
team), and ``team_status``: ``routed``, or ``triage`` when the score is under
the calibrated threshold (a person should check the team). Works with or
without a veille.toml: without one, the seven standard teams are used.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from enrich.routing import Router, mention_text, standard_router
from veille.cli._common import console, settings, state
from veille.cli._tag import get_tag_app, read_jsonl
from veille.errors import ImportFileError
from veille.i18n import gettext as _
from veille.i18n import label, ngettext

_BATCH = 1000


def route(
    input: Path = typer.Option(..., "--input", "-i", help="JSONL with 'text' (and 'title')."),
    output: Path = typer.Option(..., "--output", "-o", help="JSONL written with 'team' added."),
) -> None:
    """Route each mention to a team (keyword rules, then the trained model)."""
    router = Router(settings()) if state.config_file().exists() else standard_router()
    if not input.exists():
        raise ImportFileError(_("%(path)s does not exist") % {"path": input})
    with input.open("rb") as fh:
        rows = list(read_jsonl(fh))
    counts: dict[str, int] = {}
    triage = 0
    tmp = output.with_name(output.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for i in range(0, len(rows), _BATCH):
            chunk = rows[i : i + _BATCH]
            for row, rt in zip(
                chunk, router.route_many([mention_text(r) for r in chunk]), strict=True
            ):
                row["team"] = rt.team
                row["team_score"] = rt.score
                row["team_runner_up"] = rt.runner_up
                row["team_runner_up_score"] = rt.runner_up_score
                row["team_status"] = rt.status
                counts[rt.team] = counts.get(rt.team, 0) + 1
                triage += int(rt.triage)
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(output)
    summary = ", ".join(
        _("%(key)s: %(value)s") % {"key": label("team", t), "value": c}
        for t, c in sorted(counts.items())
    ) or _("no lines")
    console.print(
        ngettext(
            "%(n)s line routed -> %(path)s (%(teams)s; to triage: %(triage)s)",
            "%(n)s lines routed -> %(path)s (%(teams)s; to triage: %(triage)s)",
            len(rows),
        )
        % {"n": len(rows), "path": output, "teams": summary, "triage": triage},
        highlight=False,
        markup=False,
    )


def register(app: typer.Typer) -> None:
    get_tag_app(app).command("route")(route)
