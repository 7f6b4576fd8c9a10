"""The door every crawled item goes through before storage, written once for all sources.

Platforms send what they send: a ``null`` in a list of posts, a link like
``http://[x``, a NUL character in a feed item, a follower count of 10^20, a
200 whose body is an error. Here, per item and never per batch:

- a raw item is turned into a record by its source's converter; an item
  that cannot be (``null``, not an object, a missing field) is quarantined
  (:mod:`store.rejected`) with its reason and a short cleaned excerpt;
- text is cleaned: control characters (NUL included) removed, line ends
  normalised, sizes capped, numbers clamped to their columns;
- an invalid URL is kept as text in the provenance (``url_text``) and never
  used as a key or for grouping; an over-long platform id is hashed;
- storage falls back to one row per savepoint when the database refuses a
  batch, so a row it refuses is quarantined and the others are stored.

What was repaired is listed in the record's ``provenance["repairs"]``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError, StatementError
from sqlmodel import Session

from crawlers.base import Batch
from crawlers.normalise import clean_json, clean_text, has_control_characters, valid_http_url
from store import mentions as mention_store
from store.mentions import StoreResult
from store.models import Mention, ProfileSnapshot
from store.rejected import Rejection

#: Largest values the integer columns take on both databases (PostgreSQL int4).
_INT_MAX = 2**31 - 1
#: A raw payload larger than this (JSON characters) keeps only its smaller fields.
RAW_LIMIT = 100_000
EXCERPT_LIMIT = 1000
DETAIL_LIMIT = 300


@dataclass(frozen=True)
class Limits:
    """Size caps (characters) of what is stored; ``options.max_text_chars`` sets ``text``."""

    text: int = 100_000
    title: int = 2_000
    name: int = 512
    url: int = 4_096
    hashtags: int = 100


class Unusable(Exception):
    """An item that cannot become a record; its message is the quarantine detail."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def excerpt(item: Any) -> str:
    """A short, cleaned, readable form of a raw item for the quarantine."""
    if isinstance(item, str):
        text = item
    else:
        try:
            text = json.dumps(item, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(item)
    return clean_text(text, EXCERPT_LIMIT)


def detail_of(exc: BaseException) -> str:
    """One line about a failure, never the item's content (a database error's first line)."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        return clean_text(f"{type(exc.orig).__name__}: {first}", DETAIL_LIMIT)
    if isinstance(exc, Unusable):
        return clean_text(str(exc), DETAIL_LIMIT)
    return clean_text(f"{type(exc).__name__}: {exc}", DETAIL_LIMIT)


def convert_items(batch: Batch, target: str) -> tuple[list[Any], list[Rejection]]:
    """Records of the batch's raw items; the items that fail are quarantined, not lost."""
    records: list[Any] = []
    rejected: list[Rejection] = []
    for item in batch.items:
        try:
            if item is None:
                raise Unusable("null_item", "empty item (null) in the page")
            if not isinstance(item, dict):
                raise Unusable("not_an_object", f"item is a {type(item).__name__}, not an object")
            if batch.convert is None:
                raise Unusable("unreadable", "no converter for raw items")
            record = batch.convert(item)
        except Unusable as exc:
            rejected.append(Rejection(target, exc.reason, detail_of(exc), excerpt(item)))
            continue
        except Exception as exc:  # any bug or surprise in one item stays with that item
            rejected.append(Rejection(target, "unreadable", detail_of(exc), excerpt(item)))
            continue
        if record is not None:
            records.append(record)
    return records, rejected


def _clamp(value: Any) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return max(-_INT_MAX, min(_INT_MAX, number))


def _capped_raw(raw: Any) -> dict[str, Any]:
    cleaned = clean_json(raw if isinstance(raw, dict) else {"value": raw})
    assert isinstance(cleaned, dict)
    try:
        size = len(json.dumps(cleaned, ensure_ascii=False, default=str))
    except (TypeError, ValueError):
        return {"unserialisable": True}
    if size <= RAW_LIMIT:
        return cleaned
    kept: dict[str, Any] = {"_truncated": True}
    total = 0
    sizes = sorted(
        (len(json.dumps(v, ensure_ascii=False, default=str)), k) for k, v in cleaned.items()
    )
    for n, k in sizes:
        if total + n > RAW_LIMIT:
            break
        kept[k] = cleaned[k]
        total += n
    return kept


def _text(value: Any, limit: int, repairs: set[str]) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if has_control_characters(text):
        repairs.add("control_characters")
    cleaned = clean_text(text, limit)
    if len(text) > limit:
        repairs.add("truncated")
    return cleaned


def clean_mention(m: Mention, limits: Limits) -> Mention:
    """Clean a mention in place (see the module doc); :class:`Unusable` without an id."""
    repairs: set[str] = set()
    pid = _text(m.platform_id, limits.url, repairs).strip()
    if not pid:
        raise Unusable("unreadable", "the item has no identifier")
    if len(pid) > 255:
        pid = "sha256:" + hashlib.sha256(pid.encode()).hexdigest()
    m.platform_id = pid
    m.platform = clean_text(m.platform, 32)
    m.text = _text(m.text, limits.text, repairs)
    m.title = _text(m.title, limits.title, repairs)
    m.author_id = _text(m.author_id, limits.name, repairs)
    m.author_handle = _text(m.author_handle, limits.name, repairs)
    m.author_name = _text(m.author_name, limits.name, repairs)
    lang = clean_text(m.lang or "", 16).strip()[:8]
    m.lang = lang or None
    provenance = clean_json(m.provenance or {})
    m.provenance = provenance if isinstance(provenance, dict) else {}
    url = _text(m.url, limits.url, repairs).strip()
    if url and not valid_http_url(url):
        m.provenance["url_text"] = url
        repairs.add("invalid_url")
        url = ""
    m.url = url
    m.author_followers = _clamp(m.author_followers)
    m.reach = _clamp(m.reach) or 0
    m.engagement = {
        clean_text(k, 64): v
        for k, v in ((k, _clamp(v)) for k, v in (m.engagement or {}).items())
        if v is not None
    }
    m.hashtags = [
        tag for tag in (clean_text(t, 100).lstrip("#").strip() for t in (m.hashtags or [])) if tag
    ][: limits.hashtags]
    m.raw = _capped_raw(m.raw)
    if repairs:
        m.provenance["repairs"] = sorted(repairs)
    return m


def clean_snapshot(s: ProfileSnapshot, limits: Limits) -> ProfileSnapshot:
    """The same cleaning for a profile snapshot (person fields, URL, raw)."""
    person = clean_json(s.person or {}, limit=limits.title)
    s.person = person if isinstance(person, dict) else {}
    s.profile_key = clean_text(s.profile_key, 512)
    if not s.profile_key:
        raise Unusable("unreadable", "the profile has no key")
    url = clean_text(s.url, limits.url).strip()
    s.url = url if valid_http_url(url) else ""
    s.raw = _capped_raw(s.raw)
    return s


def _mention_excerpt(m: Mention) -> str:
    return excerpt(
        {"platform_id": m.platform_id, "url": m.url, "title": m.title, "text": m.text[:400]}
    )


def store_mentions_isolated(
    session: Session, prepared: Sequence[tuple[Mention, Sequence[int]]], target: str
) -> tuple[StoreResult, list[Rejection]]:
    """Store a batch; if the database refuses it, store row by row and quarantine the refused.

    Savepoints keep the good rows in the caller's transaction (with the
    cursor), so the batch's unit of resumption is unchanged.
    """
    try:
        with session.begin_nested():
            return mention_store.store_mentions(session, prepared), []
    except (DBAPIError, StatementError):
        pass
    total = StoreResult()
    refused: list[Rejection] = []
    for pair in prepared:
        try:
            with session.begin_nested():
                one = mention_store.store_mentions(session, [pair])
        except (DBAPIError, StatementError) as exc:
            refused.append(
                Rejection(target, "refused_by_database", detail_of(exc), _mention_excerpt(pair[0]))
            )
            continue
        total.inserted += one.inserted
        total.grouped += one.grouped
    return total, refused


def store_snapshots_isolated(
    session: Session, snapshots: Sequence[ProfileSnapshot], target: str
) -> tuple[int, list[Rejection]]:
    """:func:`store.mentions.store_snapshots` with the same per-row fallback."""
    if not snapshots:
        return 0, []
    try:
        with session.begin_nested():
            return mention_store.store_snapshots(session, snapshots), []
    except (DBAPIError, StatementError):
        pass
    stored = 0
    refused: list[Rejection] = []
    for snap in snapshots:
        try:
            with session.begin_nested():
                stored += mention_store.store_snapshots(session, [snap])
        except (DBAPIError, StatementError) as exc:
            refused.append(
                Rejection(
                    target,
                    "refused_by_database",
                    detail_of(exc),
                    excerpt({"profile_key": snap.profile_key, "url": snap.url}),
                )
            )
    return stored, refused
