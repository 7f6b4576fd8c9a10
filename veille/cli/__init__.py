"""The ``veille`` command: a thin door over the same functions the UI uses.

Each module of this package registers one command group through a
``register(app)`` function; modules are discovered, so a new capability adds
its own file and touches nothing else. Expected failures
(:class:`~veille.errors.VeilleError`) become one clear line and their exit
code, in the real command and under test runners alike.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from veille.cli._common import console, err_console, state
from veille.errors import VeilleError


class _VeilleGroup(TyperGroup):
    """Turns expected errors into one line and an exit code, for every command."""

    # ctx is typer's vendored click Context, which typer does not export.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except VeilleError as exc:
            # soft_wrap: one line whatever the terminal width, paths never broken.
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            ctx.exit(exc.exit_code)


app = typer.Typer(
    name="veille",
    cls=_VeilleGroup,
    help="Social-media listening and alumni enrichment for higher education.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


#: Libraries whose INFO messages are progress chatter, shown only with --verbose.
_NOISY_LOGGERS = ("weasyprint", "fontTools", "scrapy", "httpx", "urllib3", "apscheduler.executors")


@app.callback()
def _root(
    config: Path | None = typer.Option(
        None, "--config", "-c", envvar="VEILLE_CONFIG", help="Path to veille.toml."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
) -> None:
    state.config_path = config
    state.reset()
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        for noisy in _NOISY_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.WARNING)


def _register_commands() -> None:
    package = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(package)]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(app)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "console", "main"]
