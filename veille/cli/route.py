"""``veille route``: retrain and evaluate the routing head.

``train`` refits the linear head on the embeddings shipped with it
(``enrich/routing_head/train_embeddings.npz``: vectors, not texts), the
corrections community managers made in the web UI, and any ``--data DIR``
of labelled JSON Lines, and the benchmark's spent held-out parts when the checkout
has them. ``eval`` scores the installed router on a labelled
file and prints accuracy, macro-F1 and a confusion matrix per language.
"""

from __future__ import annotations

from pathlib import Path

import typer

from veille.cli._common import console, state
from veille.i18n import gettext as _
from veille.i18n import label, ngettext

route_app = typer.Typer(help="Team routing: retrain and evaluate the model.", no_args_is_help=True)


@route_app.command("train")
def train_cmd(
    data: list[Path] | None = typer.Option(
        None,
        "--data",
        help="Folder of labelled *.jsonl (mapped with the label map); repeat it for several.",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Where to write the head (default: veille's model cache, used from then on).",
    ),
    cache: Path | None = typer.Option(
        None, "--cache", help="Embedding cache (.npz) reused between runs."
    ),
    corrections: bool = typer.Option(
        True, "--corrections/--no-corrections", help="Use the teams corrected in the web UI."
    ),
    shipped: bool = typer.Option(
        True,
        "--shipped/--no-shipped",
        help="Start from the training embeddings of the head in use (shipped, or retrained).",
    ),
    cap: int = typer.Option(700, help="At most this many lines per file and team from --data."),
    spent: bool = typer.Option(
        True,
        "--spent/--no-spent",
        help="Add the benchmark's spent held-out parts (parts 1-16), when the checkout has them.",
    ),
) -> None:
    """Retrain the routing head: shipped data + UI corrections (+ --data DIR)."""
    from enrich.routing import routing_encoder
    from enrich.routing_pipeline import collect, fit_and_save
    from reports.render import fmt_int, fmt_number

    db = state.settings().database_url if corrections and state.config_file().exists() else ""
    encoder = routing_encoder()
    ds = collect(encoder, data=data, cache=cache, db_url=db, shipped=shipped, cap=cap, spent=spent)
    folder, report = fit_and_save(ds, out, encoder=encoder)
    teams = ", ".join(
        _("%(key)s: %(value)s") % {"key": label("team", k), "value": fmt_int(v)}
        for k, v in sorted(report["teams"].items())
    )
    console.print(
        ngettext(
            "Routing head trained on %(n)s example (%(teams)s); C=%(C)s, prototype prior "
            "%(prior)s, to triage below %(threshold)s -> %(path)s",
            "Routing head trained on %(n)s examples (%(teams)s); C=%(C)s, prototype prior "
            "%(prior)s, to triage below %(threshold)s -> %(path)s",
            report["n"],
        )
        % {
            "n": fmt_int(report["n"]),
            "teams": teams,
            "C": fmt_number(report["C"], None),
            "prior": fmt_number(report["proto_weight"], None),
            "threshold": fmt_number(report["threshold"], 2),
            "path": folder,
        },
        highlight=False,
        markup=False,
    )


@route_app.command("finetune")
def finetune_cmd(
    data: list[Path] = typer.Option(
        ...,
        "--data",
        help="Folder of labelled *.jsonl (mapped with the label map); repeat it for several.",
    ),
    out: Path = typer.Option(
        Path("enrich/routing_adapter"), "--out", help="Where to write the adapter."
    ),
    epochs: float = typer.Option(3.0, help="Passes over the data."),
    seed: int = typer.Option(13, help="Seed (the shipped adapter's is 13)."),
    cap: int = typer.Option(700, help="At most this many lines per file and team."),
) -> None:
    """Tune the routing encoder (a LoRA adapter on e5-small) on labelled lines.

    Slow (about 8 minutes on two cores for the shipped data) and needed only when the
    training data changes a lot; then rebuild the encoder (`veille models install`) and
    refit the head on the tuned vectors (`veille route train --no-shipped --data ...`).
    """
    from enrich.routing_data import HELDOUT_SOURCES, read_dir
    from enrich.routing_finetune import FinetuneConfig, finetune, save_adapter
    from sentiment.model import ensure_base
    from veille.errors import ImportFileError

    examples = []
    for folder in data:
        if not folder.is_dir():
            raise ImportFileError(_("%(path)s is not a folder") % {"path": folder})
        examples += read_dir(folder, exclude=HELDOUT_SOURCES, cap_per_label=cap)
    cfg = FinetuneConfig(seed=seed, epochs=epochs)
    state_, report = finetune(
        examples, ensure_base(), cfg, progress=lambda m: console.print(m, highlight=False)
    )
    save_adapter(out, state_, cfg, examples, report)
    console.print(
        ngettext(
            "Routing adapter trained on %(n)s line in %(seconds)s s -> %(path)s",
            "Routing adapter trained on %(n)s lines in %(seconds)s s -> %(path)s",
            report["lines"],
        )
        % {"n": report["lines"], "seconds": f"{report['seconds']:.0f}", "path": out},
        highlight=False,
        markup=False,
    )


@route_app.command("eval")
def eval_cmd(
    data: Path = typer.Option(..., "--data", help="Labelled JSONL ('team' or a mapped label)."),
) -> None:
    """Accuracy, macro-F1 and confusion matrix per language of the installed router."""
    from enrich.routing import Router, mention_text, standard_router
    from enrich.routing_data import read_file
    from enrich.routing_scores import score
    from veille.cli._route_report import print_scores
    from veille.errors import ImportFileError

    if not data.exists():
        raise ImportFileError(_("%(path)s does not exist") % {"path": data})
    examples = read_file(data)
    router = Router(state.settings()) if state.config_file().exists() else standard_router()
    routes = router.route_many([mention_text({"text": e.text}) for e in examples])
    s = score(
        [e.team for e in examples],
        [r.team for r in routes],
        [e.lang for e in examples],
        [r.triage for r in routes],
    )
    print_scores(s)


@route_app.command("validate-bf16")
def validate_bf16_cmd(
    data: list[Path] = typer.Option(..., "--data", help="Labelled JSONL file(s); repeat it."),
    head_dir: Path | None = typer.Option(
        None, "--head", help="Head folder (default: the one in use, shipped or retrained)."
    ),
    write: bool = typer.Option(False, "--write", help="Record the verdict in head.json."),
) -> None:
    """Route labelled files with the int8 and the bfloat16 encoder; bfloat16 is used on AMX
    CPUs only once this passed with --write (accuracy within 0.5 point, overall and per
    language)."""
    from enrich.routing import Router, mention_text, routing_encoder, routing_encoder_bf16
    from enrich.routing_bf16 import pooled, read_both, verdict, write_verdict
    from enrich.routing_data import read_file
    from enrich.routing_model import active_head_dir, load_head
    from enrich.routing_pipeline import reads_routing_adapter
    from veille.cli._route_report import print_reading
    from veille.config import merge_standard_teams
    from veille.errors import ImportFileError, ModelUnavailableError

    missing = [f for f in data if not f.is_file()]
    if missing:
        raise ImportFileError(_("%(path)s is not a file") % {"path": missing[0]})
    folder = head_dir or active_head_dir()
    head = load_head(folder)
    if not reads_routing_adapter(str(head.meta.get("encoder", ""))):
        raise ModelUnavailableError(
            _(
                "the head in %(path)s reads the base encoder: only heads on the routing adapter "
                "have a bfloat16 path"
            )
            % {"path": folder}
        )
    teams = merge_standard_teams({})
    int8 = Router(teams, folder, encoder=routing_encoder(), head=head)
    bf16 = Router(teams, folder, encoder=routing_encoder_bf16(), head=head)
    readings = []
    for path in data:
        examples = read_file(path)
        reading = read_both(
            int8,
            bf16,
            path.name,
            [mention_text({"text": e.text}) for e in examples],
            [e.team for e in examples],
            [e.lang for e in examples],
        )
        readings.append(reading)
        print_reading(reading)
    total = pooled(readings)
    print_reading(total)
    ok = write_verdict(folder, total, [p.name for p in data]) if write else verdict(total)
    said = _("bfloat16 path validated") if ok else _("bfloat16 path NOT validated")
    if write:
        said = _("%(verdict)s (written to %(path)s)") % {"verdict": said, "path": folder}
    console.print(said, highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(route_app, name="route")
