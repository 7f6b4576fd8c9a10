"""What every command group shares: consoles, the loaded settings, the DB URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from veille.config import DEFAULT_CONFIG_PATH, Settings, load_settings

console = Console()
err_console = Console(stderr=True)


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
