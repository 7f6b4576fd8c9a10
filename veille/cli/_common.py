"""What every command group shares: consoles, the loaded settings, the DB URL, the language.

What a command prints for people goes through the one catalogue
(:mod:`veille.i18n`), in the language of the ``locale`` setting: the root
callback calls :meth:`_State.choose_locale` once per invocation.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from veille.config import DEFAULT_CONFIG_PATH, Settings, load_settings
from veille.errors import VeilleError
from veille.i18n import DEFAULT_LOCALE, set_locale

console = Console()
err_console = Console(stderr=True)


def styled(style: str, text: object) -> str:
    """``text`` in a rich ``style``, shown as it is (a catalogue message may hold brackets).

    Messages are wrapped here rather than in an f-string: Babel does not read
    ``_()`` calls inside f-strings, so a message there would escape the catalogue check.
    """
    return f"[{style}]{escape(str(text))}[/]"


def titled_table(title: str, *columns: str, no_wrap: tuple[str, ...] = ()) -> Table:
    """A table with its title and column headers (catalogue strings); the ``no_wrap`` columns
    read as one phrase each and are never broken."""
    table = Table(title=title)
    for col in columns:
        table.add_column(col, no_wrap=col in no_wrap)
    return table


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else Text.from_markup(str(cell)).plain


def _fits(table: Table) -> bool:
    """Whether every column can show its longest word (its whole cells when ``no_wrap``)
    side by side, borders included: rich would crop them otherwise ("So…")."""
    needed = 1
    for column in table.columns:
        cells = [_plain(c) for c in (column.header, *column.cells)]
        pieces = cells if column.no_wrap else [w for c in cells for w in c.split()]
        needed += max((len(p) for p in pieces), default=0) + 3
    return needed <= console.width


def print_table(table: Table) -> None:
    """``table`` where the terminal is wide enough for it, else one block per row.

    Why: on an 80-column terminal the eight columns of ``veille sources status`` were cut to
    "So…", "Ty…", "De…". When the table's narrowest layout is wider than the terminal, each
    row prints as "header  value" lines under the title instead, every word kept.
    """
    if _fits(table) or not table.columns:
        console.print(table)
        return
    if table.title:
        console.print(Text(str(table.title), style="bold"))
    for row in zip(*(list(column.cells) for column in table.columns), strict=True):
        block = Table.grid(padding=(0, 2))
        block.add_column(style="bold", no_wrap=True)
        block.add_column(overflow="fold")
        for column, cell in zip(table.columns, row, strict=True):
            block.add_row(column.header, cell)
        console.print(block)
        console.print()


def log_progress() -> None:
    """Let a long-lived service (``veille schedule``, ``veille serve``) log its INFO lines.

    One-shot commands print their own outcome and keep the log at WARNING; a service's log
    is where its operator reads what ran and when. ``--verbose`` (DEBUG) is left as it is.
    """
    root = logging.getLogger()
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)


@dataclass
class _State:
    config_path: Path | None = None
    _settings: Settings | None = None

    def reset(self) -> None:
        """Forget settings loaded by a previous invocation in the same process."""
        self._settings = None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def choose_locale(self) -> None:
        """The language of this invocation: the configuration's ``locale``, else French.

        Loading the settings sets the locale (:func:`veille.config.load_settings`),
        so a command prints in the language the web UI, e-mails and reports use.
        Commands that work without a veille.toml (``tag``, ``match``) read French;
        a configuration that does not load leaves French too, and the command that
        needs it says why.
        """
        set_locale(DEFAULT_LOCALE)
        if not self.config_file().exists():
            return
        try:
            self.settings()
        except VeilleError:
            set_locale(DEFAULT_LOCALE)

    def config_file(self) -> Path:
        return self.config_path or Path(os.environ.get("VEILLE_CONFIG", DEFAULT_CONFIG_PATH))


state = _State()


def settings() -> Settings:
    """The validated settings (loaded once per command)."""
    return state.settings()


def db_url() -> str:
    return settings().database_url


def ready_db_url() -> str:
    """The database URL, its schema created or migrated first (commands that write)."""
    from store.db import ensure_schema

    url = db_url()
    ensure_schema(url)
    return url
