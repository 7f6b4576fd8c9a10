"""``veille job-tagger``: retrain the job-change tagger, its gate and its change head."""

from __future__ import annotations

from pathlib import Path

import typer

from veille.cli._common import console
from veille.errors import DataNotFoundError
from veille.i18n import gettext as _

jobs_app = typer.Typer(help="Job-change extraction model.", no_args_is_help=True)


@jobs_app.command("train")
def train_cmd(
    data: list[Path] = typer.Option(
        [],
        "--data",
        help=(
            "JSONL files of labelled sentences (default: the benchmark's dev splits and spent "
            "test parts, then enrich/data/jobs_train/)."
        ),
    ),
    out: Path = typer.Option(..., "--out", help="Folder for adapter.safetensors + config."),
    epochs: int = typer.Option(6, min=1),
    seed: int = typer.Option(13, help="Random seed (training is reproducible)."),
    augment: int = typer.Option(2, min=0, help="Entity-swapped copies of each positive."),
    threads: int = typer.Option(0, help="CPU threads (0 = all cores)."),
    decision: bool = typer.Option(
        True,
        "--decision/--no-decision",
        help="Also learn whether the text tells a job change (its first token's label).",
    ),
    bf16: bool = typer.Option(
        False,
        "--bf16/--fp32",
        help="Forward passes in bfloat16 (faster on CPUs with AVX512-BF16 or AMX).",
    ),
) -> None:
    """Train the token tagger; copy the result over enrich/job_tagger_head/ to ship it.

    The shipped pair: ``--no-decision --seed 13`` gives the spans
    (enrich/job_tagger_head/), ``--seed 13`` the yes/no (enrich/job_tagger_decision/).
    """
    from enrich.job_tagger_train import (
        TaggerConfig,
        default_training_files,
        read_rows,
        train_tagger,
    )

    files = list(data) or default_training_files()
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise DataNotFoundError(
            _(
                "%(path)s is not a file: --data takes JSON Lines of labelled sentences like "
                "enrich/data/jobs_train/*.jsonl (the default; format in enrich/data/README.md)"
            )
            % {"path": missing[0]}
        )
    rows = read_rows(files)
    cfg = TaggerConfig(
        seed=seed,
        epochs=epochs,
        augment=augment,
        threads=threads,
        files=[f.name for f in files],
        decision=decision,
        precision="bf16" if bf16 else "fp32",
    )
    meta = train_tagger(rows, out, cfg, progress=console.print)
    console.print(
        _("Tagger written to %(path)s (%(sentences)s sentences, %(steps)s steps).")
        % {"path": out, "sentences": meta["sentences"], "steps": meta["steps"]},
        highlight=False,
    )


def _require_sentiment_dir(sentiment: Path) -> None:
    if not (sentiment / "deft2017_fr").is_dir() or not (sentiment / "semeval2017_4a_en").is_dir():
        from sentiment.data import DATA_HINT

        raise DataNotFoundError(
            _(
                "%(path)s has no deft2017_fr/ and semeval2017_4a_en/ (their tweets are the "
                "ordinary posts to stop): %(hint)s"
            )
            % {"path": sentiment, "hint": _(DATA_HINT)}
        )


@jobs_app.command("train-gate")
def train_gate_cmd(
    sentiment: Path = typer.Option(
        ..., "--sentiment", help="Folder holding deft2017_fr/ and semeval2017_4a_en/."
    ),
    out: Path | None = typer.Option(None, "--out", help="Gate file (default: the shipped one)."),
    cv: bool = typer.Option(False, "--cv", help="Cross-validate by domain first."),
) -> None:
    """Retrain the cheap gate that stops ordinary posts before spaCy and the tagger."""
    from enrich.jobs_gate_train import main

    _require_sentiment_dir(sentiment)
    main(
        ["--sentiment", str(sentiment)]
        + (["--out", str(out)] if out else [])
        + (["--cv"] if cv else [])
    )


@jobs_app.command("train-change-head")
def train_change_head_cmd(
    sentiment: Path = typer.Option(
        ..., "--sentiment", help="Folder holding deft2017_fr/ and semeval2017_4a_en/."
    ),
    out: Path | None = typer.Option(None, "--out", help="Head folder (default: the shipped one)."),
    cache: Path | None = typer.Option(None, "--cache", help="npz of embeddings, reused."),
    dev: bool = typer.Option(False, "--dev", help="Only count changes on the dev tweets."),
) -> None:
    """Retrain the change/no-change head that stops trigger sentences with no job change."""
    from enrich.jobs_change_head_train import main

    _require_sentiment_dir(sentiment)
    main(
        ["--sentiment", str(sentiment)]
        + (["--out", str(out)] if out else [])
        + (["--cache", str(cache)] if cache else [])
        + (["--dev"] if dev else [])
    )


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="job-tagger")
