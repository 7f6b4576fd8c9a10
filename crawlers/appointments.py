"""Appointment feeds ("nominations") -> one ProfileSnapshot per announced move.

Targets are RSS/Atom feed URLs (ministries' appointment pages, trade press
"carnet" feeds, a university's own news). Each item's title and summary go
through the job-change extractor (:mod:`enrich.jobs`); every change that
names a person becomes a snapshot keyed by that person's name, so a later
announcement about the same person diffs against the earlier one.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin

import httpx

from crawlers.base import Batch, CrawlContext
from crawlers.profile_common import make_snapshot, normalise_person
from store.models import ProfileSnapshot
from veille.errors import ConfigError

log = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]+>")


def entry_text(entry: Any) -> str:
    """Title and summary of a feed entry as plain text."""
    parts = [entry.get("title") or "", entry.get("summary") or ""]
    text = " ".join(html.unescape(_TAG.sub(" ", p)) for p in parts if p)
    text = " ".join(text.split())
    # a title without final punctuation would glue onto the summary's first sentence
    title = " ".join(html.unescape(_TAG.sub(" ", entry.get("title") or "")).split())
    if title and not title.endswith((".", "!", "?")) and len(text) > len(title):
        text = title + ". " + text[len(title) :].lstrip()
    return text


def entry_published(entry: Any) -> datetime | None:
    st = entry.get("published_parsed") or entry.get("updated_parsed")
    if not st:
        return None
    year, month, day, hour, minute, second = st[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    if len(parts) < 2:
        return "", name
    return parts[0], " ".join(parts[1:])


def feed_snapshots(feed_url: str, content: bytes | str) -> list[ProfileSnapshot]:
    """Snapshots for every person-naming job change in one feed document."""
    import feedparser

    from enrich.jobs import METHOD as JOBS_METHOD
    from enrich.jobs import extract_job_changes

    parsed = feedparser.parse(content)
    entries = list(parsed.entries)
    texts = [entry_text(e) for e in entries]
    found = extract_job_changes(texts, published=[entry_published(e) for e in entries])
    snaps: list[ProfileSnapshot] = []
    for entry, changes in zip(entries, found, strict=True):
        link = entry.get("link") or feed_url
        for jc in changes:
            if not jc.person:
                continue
            given, family = split_name(jc.person)
            person = normalise_person(
                name=jc.person,
                given_name=given,
                family_name=family,
                job_title=jc.title,
                employer=jc.organization,
                start_date=jc.start_date,
            )
            snaps.append(
                make_snapshot(
                    profile_key=f"appointments:{' '.join(jc.person.casefold().split())}",
                    source_kind="appointments",
                    person=person,
                    url=link,
                    method=f"appointment_feed/{JOBS_METHOD}",
                    raw={
                        "feed": feed_url,
                        "entry_id": entry.get("id") or link,
                        "sentence": jc.sentence,
                        "rule": jc.rule,
                        "published": (entry_published(entry) or datetime.now(UTC)).isoformat(),
                    },
                    fetched_at=None,
                )
            )
    return snaps


class AppointmentFeedSource:
    """Reads appointment feeds and turns each announced move into a snapshot."""

    kind: ClassVar[str] = "appointments"

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx
        self.settings = ctx.source

    def feeds(self) -> list[str]:
        base = self.settings.base_url
        return [urljoin(base.rstrip("/") + "/", t) if base else t for t in self.settings.targets]

    def validate(self) -> None:
        if not self.settings.targets:
            raise ConfigError(f"source {self.settings.name!r}: list the feed URLs in `targets`")

    def fetch(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        """One batch per feed; the cursor is the next feed index, back to 0 after the last."""
        from crawlers.profiles import check_public_host

        feeds = self.feeds()
        start = int(cursor.get("position", 0)) if cursor else 0
        if start >= len(feeds):
            start = 0
        with httpx.Client(headers={"User-Agent": "veille/0.1"}, timeout=30.0) as client:
            for i in range(start, len(feeds)):
                url = feeds[i]
                check_public_host(url, self.ctx.settings.allow_private_addresses)
                resp = client.get(url, follow_redirects=True)
                resp.raise_for_status()
                snaps = feed_snapshots(str(resp.url), resp.content)
                yield Batch(
                    snapshots=snaps,
                    cursor={"position": i + 1 if i + 1 < len(feeds) else 0},
                    counts={"feeds": 1, "appointments": len(snaps)},
                )
