"""Errors a user can meet, each with a message that says what to do.

The CLI prints just the message of a :class:`VeilleError` and exits with its
code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from veille.i18n import _


class VeilleError(Exception):
    """Base class: an expected failure with an actionable message.

    ``fr`` is the same message for the web UI's French-reading users, where
    one was written. ``translated`` marks a class whose every message is raised
    through the catalogue (``_()``, in the interface's language): the web shows
    those as they are (:func:`web.messages.error_message`;
    ``tests/web/test_error_messages.py`` checks their raise sites).
    """

    exit_code = 1
    fr: str | None = None
    translated: bool = False


class ConfigError(VeilleError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class OptionError(VeilleError):
    """A command's option has a value it cannot take; the message gives the accepted form.

    Why not click's ``BadParameter``: click prefixes its own English words ("Invalid
    value:"), and users read the CLI in their language.
    """

    exit_code = 2
    translated = True


class ImportFileError(VeilleError):
    """An input file (CSV, JSONL) is malformed; nothing was written."""

    exit_code = 3

    def __init__(
        self, message: str, *, line: int | None = None, path: object | None = None
    ) -> None:
        self.line = line
        # the location reads in the active language, like the message raised with it
        where = _("line %(line)s") % {"line": line} if line is not None else ""
        if path is not None:
            where = f"{path}, {where}" if where else str(path)
        super().__init__(
            _("%(where)s: %(message)s") % {"where": where, "message": message} if where else message
        )


class DataNotFoundError(ImportFileError):
    """Data that veille does not ship (training corpora) is not where the command looks.

    The message says where to get it: the repository carries its test and benchmark data,
    not the training corpora.
    """


class ModelUnavailableError(VeilleError):
    """A model cannot be loaded; the message names the command that fixes it."""

    exit_code = 4


class StageNotDeliveredError(VeilleError):
    """A pipeline stage is declared but its implementation is not installed."""

    exit_code = 5


class SourceError(VeilleError):
    """A crawl source failed for a reason other than a transient fault."""

    exit_code = 6
