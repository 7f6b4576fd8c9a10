"""``veille tag sentiment``: the batch contract (JSON Lines in, JSON Lines out).

Each input line ``{"id": ..., "text": ...}`` gets ``"lang"`` and
``"sentiment": {"label", "score", "uncertain"}``; every other key is
kept as is. Lines are processed in chunks, so files of any size stream.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import typer

from veille.cli._common import err_console
from veille.cli._sentiment_common import sentiment_settings
from veille.cli._tag import get_tag_app, read_jsonl
from veille.i18n import ngettext

CHUNK = 1024


def tag_sentiment(
    input: Path = typer.Option(..., "--input", "-i", help="JSON Lines file ('-' = stdin)."),
    output: Path = typer.Option(..., "--output", "-o", help="JSON Lines file ('-' = stdout)."),
    model_path: str = typer.Option("", help="Local Hugging Face folder (overrides veille.toml)."),
    batch_size: int = typer.Option(0, help="Texts per forward pass (0 = from veille.toml)."),
    backend: str = typer.Option("", help="auto | torch | onnx (default from veille.toml)."),
) -> None:
    """Add language and sentiment to every line of a JSON Lines file."""
    from sentiment.tagger import get_classifier, tag_texts

    sent, thresholds = sentiment_settings()
    updates: dict[str, Any] = {}
    if model_path:
        updates["model_path"] = model_path
    if batch_size:
        updates["batch_size"] = batch_size
    if backend:
        updates["backend"] = backend
    sent = sent.model_copy(update=updates)
    classifier = get_classifier(sent)
    src: BinaryIO = sys.stdin.buffer if str(input) == "-" else input.open("rb")
    dst: TextIO = sys.stdout if str(output) == "-" else _open_out(output)
    n = 0
    try:
        chunk: list[dict[str, Any]] = []
        for obj in read_jsonl(src):
            chunk.append(obj)
            if len(chunk) >= CHUNK:
                n += _flush(chunk, dst, classifier, thresholds.sentiment_uncertain_below, tag_texts)
                chunk = []
        n += _flush(chunk, dst, classifier, thresholds.sentiment_uncertain_below, tag_texts)
    finally:
        if src is not sys.stdin.buffer:
            src.close()
        if dst is not sys.stdout:
            dst.close()
    err_console.print(
        ngettext(
            "%(n)s line tagged with %(model)s (%(backend)s)",
            "%(n)s lines tagged with %(model)s (%(backend)s)",
            n,
        )
        % {"n": n, "model": classifier.name, "backend": classifier.backend},
        highlight=False,
        markup=False,
    )


def _open_out(path: Path) -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="utf-8")


def _flush(
    chunk: list[dict[str, Any]], dst: TextIO, classifier: Any, threshold: float, tag_texts: Any
) -> int:
    if not chunk:
        return 0
    texts = [str(obj.get("text") or "") for obj in chunk]
    results = tag_texts(texts, classifier=classifier, uncertain_below=threshold)
    for obj, res in zip(chunk, results, strict=True):
        obj["lang"] = res.lang
        obj["sentiment"] = {**res.as_json(), "uncertain": res.uncertain}
        dst.write(json.dumps(obj, ensure_ascii=False) + "\n")
    dst.flush()
    return len(chunk)


def register(app: typer.Typer) -> None:
    tag_app = get_tag_app(app)
    tag_app.command("sentiment")(tag_sentiment)
