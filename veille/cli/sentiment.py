"""``veille sentiment``: train, evaluate and export corrections."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from veille.cli._common import console, print_table
from veille.cli._sentiment_common import sentiment_settings
from veille.errors import OptionError
from veille.i18n import gettext as _
from veille.i18n import ngettext

T = TypeVar("T")

sentiment_app = typer.Typer(help="Sentiment model: train, evaluate.", no_args_is_help=True)


@sentiment_app.command("train")
def train_cmd(
    data: Path | None = typer.Option(
        None, "--data", help="UMSAB-style folder: <language>/{train,val}_*.txt (not shipped)."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for adapter.safetensors + config."),
    seed: int = typer.Option(13, help="Random seed (training is reproducible)."),
    epochs: float = typer.Option(3.0, help="Epochs the LR schedule spans."),
    max_steps: int = typer.Option(0, help="Stop after this many steps (0 = whole schedule)."),
    lr: float = typer.Option(5e-4, help="Peak learning rate (AdamW, linear schedule)."),
    batch_size: int = typer.Option(32),
    rank: int = typer.Option(16, help="LoRA rank."),
    freeze_below: int = typer.Option(
        0, help="Layers below this stay frozen and cached (0 = LoRA on all 12 layers)."
    ),
    max_length: int = typer.Option(96, help="Token limit per text."),
    languages: str = typer.Option(
        "french,english", help="Comma-separated language folders ('' = all)."
    ),
    select: str = typer.Option("french,english", help="Validation languages used to select."),
    other_cap: int = typer.Option(
        0,
        help="At most this many train examples per language outside --select (seeded sample; "
        "0 = all), e.g. with --languages '' to add the six other UMSAB languages lightly.",
    ),
    floors: str = typer.Option(
        "french=0.74,english=0.73",
        help="Macro-F1 floors (lang=F1,...): keep the checkpoint whose weakest language is "
        "furthest above its floor ('' = best mean). Defaults: issue #24's validation targets.",
    ),
    threads: int = typer.Option(0, help="CPU threads (0 = all cores)."),
    extra: list[Path] = typer.Option(
        [],
        "--extra",
        help="More training data (repeatable): a folder of train_{text,labels}.txt, e.g. "
        "semeval2017_4a_en/ or deft2017_fr/. Training only; selection reads --data's val.",
    ),
    extra_cap: int = typer.Option(
        3000, help="At most this many examples per --extra folder (seeded sample; 0 = all)."
    ),
    extra_caps: str = typer.Option(
        "",
        help="Per-folder caps that override --extra-cap (name=N,...), e.g. "
        "'semeval2017_4a_en=0,deft2017_fr=1000' (0 = all).",
    ),
    evals_per_epoch: int = typer.Option(3, help="Validation passes per epoch."),
    keep_checkpoints: bool = typer.Option(
        False, help="Also write each evaluated checkpoint to OUT/checkpoints/step-N."
    ),
    device: str = typer.Option("auto", help="auto (the GPU when torch sees one), cpu or cuda."),
    weights_dtype: str = typer.Option(
        "float32",
        help="Storage of the adapter file: float32, or float16 (half the size; a rank-32 "
        "adapter needs it to stay under 10 MB). The loader merges in float32 either way.",
    ),
) -> None:
    """Fine-tune e5-small with LoRA and write a committed-size adapter.

    The defaults, with ``--extra`` the SemEval-2017 English pool, reproduce the committed
    default model (seed 13) on a CPU of the same kind (float kernels differ between CPUs).
    """
    from sentiment.data import require_split
    from sentiment.device import configure_threads
    from sentiment.model import ensure_base
    from sentiment.train import WEIGHTS_DTYPES, TrainConfig, train

    if weights_dtype not in WEIGHTS_DTYPES:
        raise OptionError(
            _("--weights-dtype takes one of %(choices)s, not %(value)s")
            % {"choices": ", ".join(WEIGHTS_DTYPES), "value": repr(weights_dtype)}
        )
    chosen = [x for x in languages.split(",") if x]
    data = require_split(require_split(data, "train", chosen or None), "val", chosen or None)
    for folder in extra:
        require_split(folder, "train")
    cfg = TrainConfig(
        seed=seed,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        max_steps=max_steps,
        rank=rank,
        alpha=2.0 * rank,
        freeze_below=freeze_below,
        max_length=max_length,
        languages=chosen,
        select_languages=[x for x in select.split(",") if x],
        max_train_other_languages=other_cap,
        floors=_parse_floors(floors),
        threads=configure_threads(threads),
        extra_train=[str(p) for p in extra],
        max_train_extra=extra_cap,
        extra_caps=_parse_caps(extra_caps),
        evals_per_epoch=evals_per_epoch,
        keep_checkpoints=keep_checkpoints,
        device=device,
        weights_dtype=weights_dtype,
    )
    base = ensure_base()
    result = train(data, out, base, cfg, progress=console.print)
    console.print(
        _("Adapter written to %(path)s: best %(scores)s")
        % {"path": out, "scores": json.dumps(result["best"]["scores"])},
        highlight=False,
        markup=False,
    )
    console.print(
        _("To use it as the default model, copy it over %(folder)s and run %(command)s.")
        % {"folder": "sentiment/default_head/", "command": "`veille models install --force`"},
        highlight=False,
        markup=False,
    )


def _parse_pairs(text: str, cast: Callable[[str], T], form: str, example: str) -> dict[str, T]:
    """``name=value,...`` -> dict; a malformed item names itself and the expected form."""
    pairs: dict[str, T] = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            pairs[name.strip()] = cast(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise OptionError(
                _("%(item)s: expected %(form)s, for example %(example)s")
                % {"item": repr(item), "form": form, "example": example}
            )
    return pairs


def _parse_floors(text: str) -> dict[str, float]:
    return _parse_pairs(text, float, "language=F1", "french=0.72")


def _parse_caps(text: str) -> dict[str, int]:
    return _parse_pairs(text, int, "folder=N", "deft2017_fr=1000")


@sentiment_app.command("eval")
def eval_cmd(
    data: Path | None = typer.Option(
        None, "--data", help="UMSAB-style folder (or one language folder); not shipped."
    ),
    split: str = typer.Option("val", help="Split to score: val, test, train."),
    model_path: str = typer.Option("", help="Local Hugging Face folder (default: veille.toml)."),
    backend: str = typer.Option("", help="auto | torch | onnx."),
    languages: str = typer.Option("", help="Comma-separated language folders (default: all)."),
) -> None:
    """Macro-F1 per language of the configured model on a labelled split."""
    from sentiment.data import load_umsab, require_split
    from sentiment.tagger import get_classifier
    from sentiment.train import macro_f1

    chosen = [x for x in languages.split(",") if x] or None
    data = require_split(data, split, chosen)
    sent, _thresholds = sentiment_settings()
    updates: dict[str, str] = {}
    if model_path:
        updates["model_path"] = model_path
    if backend:
        updates["backend"] = backend
    clf = get_classifier(sent.model_copy(update=updates))
    sets = load_umsab(data, split, chosen)
    table = Table(
        title=escape(
            _("%(model)s (%(backend)s) on %(split)s")
            % {"model": clf.name, "backend": clf.backend, "split": split}
        )
    )
    table.add_column(_("Language"))
    table.add_column(_("Texts"), justify="right")
    table.add_column("macro-F1", justify="right")
    scores: dict[str, float] = {}
    for lang, examples in sorted(sets.items()):
        probs = clf.predict_proba([e.text for e in examples])
        scores[lang] = macro_f1([e.label for e in examples], probs.argmax(1).tolist())
        table.add_row(lang, str(len(examples)), f"{scores[lang]:.4f}")
    print_table(table)
    typer.echo(json.dumps({"split": split, "model": clf.name, "macro_f1": scores}))


_DATA_OPT = typer.Option(
    None, "--data", help="UMSAB-style folder whose val splits are scored (not shipped)."
)
_HEAD_OPT = typer.Option(
    None, "--head", help="Adapter folder (default: the committed sentiment/default_head)."
)
_LANG_OPT = typer.Option("french,english", help="Comma-separated language folders.")
_EXTRA_OPT = typer.Option(
    [],
    "--extra",
    help="More labelled sets (repeatable): FOLDER/NAME_text.txt + NAME_labels.txt, given "
    "as FOLDER/NAME, e.g. shared/data/sentiment/tweeteval_val.",
)
_WRITE_OPT = typer.Option(
    False, "--write", help="Record the verdict and figures in the adapter's config."
)


def _path_check_command(backend: str, doc: str) -> Any:
    """One ``validate-*`` command: the options are the same, only the checked path differs."""

    def command(
        data: Path | None = _DATA_OPT,
        head: Path | None = _HEAD_OPT,
        languages: str = _LANG_OPT,
        extra: list[Path] = _EXTRA_OPT,
        write: bool = _WRITE_OPT,
    ) -> None:
        _validate_path(backend, data, head, languages, extra, write)

    command.__doc__ = doc
    return command


sentiment_app.command("validate-int8")(
    _path_check_command(
        "onnx-int8",
        """Compare the int8 and float32 ONNX exports of an adapter on validation sets.

    int8 becomes a CPU default (``backend = "auto"``) only when it loses at most
    half a macro-F1 point to float32 on every set; ``--write`` records that verdict.
    """,
    )
)
sentiment_app.command("validate-bf16")(
    _path_check_command(
        "torch-bf16",
        """Compare bfloat16 and float32 torch inference of an adapter on validation sets.

    bfloat16 becomes the CPU default on CPUs with AMX (``backend = "auto"``) only
    when it loses at most half a macro-F1 point to float32 on every set; ``--write``
    records that verdict.
    """,
    )
)


def _validate_path(
    backend: str,
    data: Path | None,
    head: Path | None,
    languages: str,
    extra: list[Path],
    write: bool,
) -> None:
    """Score ``backend`` against float32, print the table, optionally record the verdict."""
    from sentiment.data import load_umsab, read_split, require_split
    from sentiment.model import DEFAULT_HEAD_DIR, install_default_model
    from sentiment.path_check import TOLERANCE, check_path, record

    chosen = [x for x in languages.split(",") if x] or None
    data = require_split(data, "val", chosen)
    sets = dict(load_umsab(data, "val", chosen))
    for item in extra:
        sets[item.name] = read_split(item.parent, item.name)
    head_dir = head or DEFAULT_HEAD_DIR
    folder = install_default_model(head_dir=head_dir)
    check = check_path(folder, sets, backend)
    table = Table(
        title=escape(
            _("%(path)s against float32 (%(backend)s), %(folder)s")
            % {"path": check.short, "backend": backend, "folder": folder.name}
        )
    )
    table.add_column(_("Set"), justify="left")
    for col in (_("Texts"), "float32", check.short, _("Difference"), _("Agreement")):
        table.add_column(col, justify="right")
    for name, items in sets.items():
        diff = check.reduced[name] - check.float32[name]
        table.add_row(
            name,
            str(len(items)),
            f"{check.float32[name]:.4f}",
            f"{check.reduced[name]:.4f}",
            f"{diff:+.4f}",
            f"{check.agreement[name]:.3f}",
        )
    print_table(table)
    verdict = (
        _("validated")
        if check.validated
        else _("NOT validated (loses more than %(tolerance)s)") % {"tolerance": TOLERANCE}
    )
    console.print(
        _("%(key)s: %(value)s") % {"key": check.short, "value": verdict},
        highlight=False,
        markup=False,
    )
    if write:
        record(head_dir, check)
        console.print(
            _("Recorded in %(path)s.") % {"path": head_dir / "adapter_config.json"},
            highlight=False,
            markup=False,
        )
    typer.echo(json.dumps({"validated": check.validated, **check.as_config()}))


@sentiment_app.command("export-labels")
def export_labels(
    out: Path = typer.Option(..., "--out", help="Folder to write <lang>/train_{text,labels}.txt"),
) -> None:
    """Write the corrections made in the UI in UMSAB format (for eval and retraining)."""
    from sentiment.data import LABELS
    from store.db import session_scope
    from store.labels import labelled_examples
    from veille.cli._common import db_url

    latest: dict[object, tuple[str, str, str]] = {}
    with session_scope(db_url()) as session:
        for ex in labelled_examples(session):
            key = ex.mention_id if ex.mention_id is not None else ("text", ex.text)
            latest[key] = (ex.lang or "unknown", ex.text, ex.label)
    by_lang: dict[str, list[tuple[str, str]]] = {}
    for lang, text, label in latest.values():
        by_lang.setdefault(lang, []).append((text, label))
    for lang, rows in by_lang.items():
        folder = out / lang
        folder.mkdir(parents=True, exist_ok=True)
        texts = [" ".join(t.split()) for t, _label in rows]
        labels = [str(LABELS.index(lbl)) for _text, lbl in rows]
        (folder / "train_text.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
        (folder / "train_labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    console.print(
        ngettext(
            "Exported %(n)s correction to %(path)s",
            "Exported %(n)s corrections to %(path)s",
            len(latest),
        )
        % {"n": len(latest), "path": out},
        highlight=False,
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(sentiment_app, name="sentiment")
