"""``veille job-tagger train``: retrain the job-change tagger from labelled sentences."""

from __future__ import annotations

from pathlib import Path

import typer

from veille.cli._common import console
from veille.errors import DataNotFoundError

jobs_app = typer.Typer(help="Job-change extraction model.", no_args_is_help=True)

#: The benchmark's sentences: only its dev splits are read for training.
_EVAL_FILE = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "jobs_eval.jsonl"


def default_training_files() -> list[Path]:
    """Shipped training sentences, plus the benchmark's dev splits when the repo has them."""
    from enrich.job_tagger import TRAIN_DIR

    files = sorted(TRAIN_DIR.glob("*.jsonl"))
    if _EVAL_FILE.is_file():
        files.append(_EVAL_FILE)
    return files


@jobs_app.command("train")
def train_cmd(
    data: list[Path] = typer.Option(
        [],
        "--data",
        help="JSONL files of labelled sentences (default: enrich/data/jobs_train/ + dev splits).",
    ),
    out: Path = typer.Option(..., "--out", help="Folder for adapter.safetensors + config."),
    epochs: int = typer.Option(6, min=1),
    seed: int = typer.Option(13, help="Random seed (training is reproducible)."),
    augment: int = typer.Option(2, min=0, help="Entity-swapped copies of each positive."),
    threads: int = typer.Option(0, help="CPU threads (0 = all cores)."),
) -> None:
    """Train the token tagger; copy the result over enrich/job_tagger_head/ to ship it."""
    from enrich.job_tagger import TaggerConfig, read_rows, train_tagger

    files = list(data) or default_training_files()
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise DataNotFoundError(
            f"{missing[0]} is not a file: --data takes JSON Lines of labelled sentences like "
            "enrich/data/jobs_train/*.jsonl (the default; format in enrich/data/README.md)"
        )
    rows = read_rows(files)
    cfg = TaggerConfig(
        seed=seed, epochs=epochs, augment=augment, threads=threads, files=[f.name for f in files]
    )
    meta = train_tagger(rows, out, cfg, progress=console.print)
    console.print(f"tagger written to {out} ({meta['sentences']} sentences, {meta['steps']} steps)")


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="job-tagger")
