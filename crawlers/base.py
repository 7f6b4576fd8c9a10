"""The one small interface every source implements.

A source lists its :class:`Target` s (feeds, hashtag streams, search terms,
profile pages...) and, for one target and that target's saved cursor, yields
:class:`Batch` es of raw platform items (or records it already built) with
the cursor to resume from. Everything that is not specific to a platform —
retries, backoff, rate limits, budgets, per-target cursors and health, item
quarantine, text cleaning, opt-out filtering, idempotent storage — lives once
in the runner, never in a source. A target that fails is reported on its own
and never stops the other targets; an item that cannot be read is
quarantined and never costs the rest of its batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable
from urllib.parse import urlsplit

from store.models import Mention, ProfileSnapshot
from veille.config import InstitutionSettings, Settings, SourceSettings

#: Turns one raw platform item into a record; ``None`` = nothing to store (skipped).
Convert = Callable[[Any], Mention | ProfileSnapshot | None]


def host_group(url: str) -> str:
    """The rate-limit and reachability group of a URL: its ``host:port``."""
    try:
        return urlsplit(url).netloc.lower() or url
    except ValueError:
        return url


@dataclass(frozen=True)
class Target:
    """One thing a source asks for, with its own cursor and health.

    ``name`` is its identity in the cursor table and in health reports
    (``tag:https://mastodon.social#hoot``, a feed URL, a profile page URL).
    """

    name: str
    #: Items of a followed channel (a hashtag the source follows) belong to the
    #: source's institution even when they do not repeat its name.
    followed: bool = False
    #: The API host (``host:port``): a long 429 defers every target of the group, and a
    #: host that does not answer at all is not asked again for the others this run.
    group: str = ""


@dataclass
class Batch:
    """One page of results and the target's cursor to save once it is stored.

    The runner commits the records, the quarantined items and the cursor in one
    transaction, so a crash between batches resumes exactly after the last
    stored batch.
    """

    #: Raw platform items; the runner turns each into a record with ``convert``,
    #: quarantining the ones that fail (a ``null`` post, a missing field...).
    items: list[Any] = field(default_factory=list)
    convert: Convert | None = None
    #: Records the source built itself (web pages, profile snapshots).
    mentions: list[Mention] = field(default_factory=list)
    snapshots: list[ProfileSnapshot] = field(default_factory=list)
    #: The cursor of this batch's target after it.
    cursor: dict[str, Any] = field(default_factory=dict)
    #: Source-specific counters for the run log (pages, skipped, ...).
    counts: dict[str, int] = field(default_factory=dict)
    #: A problem with the target that did not stop it (a malformed feed whose
    #: entries were recovered): the target is reported ``degraded``, not ``ok``.
    warning: str = ""


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

    def targets(self) -> list[Target]:
        """What to ask for, in order."""
        ...

    def fetch(self, target: Target, cursor: dict[str, Any]) -> Iterator[Batch]:
        """Yield batches of ``target`` newer than ``cursor``, each with the cursor after it."""
        ...

    def close(self) -> None:
        """Release connections (called once, after the last target)."""
        ...
