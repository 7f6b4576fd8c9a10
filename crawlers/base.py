"""The one small interface every source implements.

A source turns its settings and its saved cursor into normalised records
(:class:`store.models.Mention` or :class:`store.models.ProfileSnapshot`, not yet
persisted) and a new cursor, one :class:`Batch` at a time. Everything that is
not specific to a platform — retries, backoff, rate limits, budgets, cursor
persistence, opt-out filtering, idempotent storage, health — lives once in
the runner, never in a source.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from store.models import Mention, ProfileSnapshot
from veille.config import InstitutionSettings, Settings, SourceSettings


@dataclass
class Batch:
    """One page of results and the cursor to save once it is stored.

    The runner commits the records and the cursor in one transaction, so a
    crash between batches resumes exactly after the last stored batch.
    """

    mentions: list[Mention] = field(default_factory=list)
    snapshots: list[ProfileSnapshot] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    #: Source-specific counters for the run log (pages, skipped, ...).
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class CrawlContext:
    """What a source may use: settings and the institution it listens for."""

    settings: Settings
    source: SourceSettings
    institution: InstitutionSettings


@runtime_checkable
class Source(Protocol):
    """A platform adapter: only what is specific to that platform."""

    kind: ClassVar[str]

    def __init__(self, ctx: CrawlContext) -> None: ...

    def validate(self) -> None:
        """Raise :class:`veille.errors.ConfigError` if the settings cannot work."""
        ...

    def fetch(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        """Yield batches newer than ``cursor``, each with the cursor to resume from."""
        ...
