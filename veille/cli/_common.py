"""What every command group shares: consoles, the loaded settings, the DB URL, the language.

What a command prints for people goes through the one catalogue
(:mod:`veille.i18n`), in the language of the ``locale`` setting: the root
callback calls :meth:`_State.choose_locale` once per invocation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

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
