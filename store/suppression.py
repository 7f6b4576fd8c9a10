"""Opt-outs and erasures: who must never be collected or stored again.

Only keyed hashes of the identifiers are kept (handle, email, name, profile
URL), so the list itself discloses nobody. Crawlers build one
:class:`OptOutFilter` per run and drop matching records before anything is
stored; the same keyed hash pseudonymises authors in reports.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlmodel import Session, select

from store.db import insert_ignore
from store.models import Mention, ProfileSnapshot, Suppression
from veille.query import strip_accents

PSEUDONYM_KEY_ENV = "VEILLE_PSEUDONYM_KEY"
KINDS = ("handle", "email", "name", "url", "alumnus")


def pseudonym_key(key_file: Path | None = None) -> bytes:
    """The install's secret key for keyed hashes.

    ``VEILLE_PSEUDONYM_KEY`` wins (set it on every host sharing a PostgreSQL
    database); otherwise a random key is created once in the user data dir.
    """
    env = os.environ.get(PSEUDONYM_KEY_ENV, "").strip()
    if env:
        return env.encode()
    path = key_file or Path(user_data_dir("veille")) / "pseudonym.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def normalise(kind: str, value: str) -> str:
    """Canonical form so that ``@Jean_Dupont`` and ``jean_dupont`` collide."""
    value = strip_accents(value.strip())
    if kind == "handle":
        value = value.lstrip("@")
    elif kind == "name":
        value = " ".join(value.replace("-", " ").split())
    elif kind == "url":
        value = value.rstrip("/").removeprefix("https://").removeprefix("http://")
        value = value.removeprefix("www.")
    return value


def keyed_hash(kind: str, value: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalised value; stable per install, not reversible."""
    msg = f"{kind}:{normalise(kind, value)}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def add(session: Session, kind: str, values: Iterable[str], key: bytes, reason: str = "") -> int:
    """Record opt-outs; returns how many were new."""
    if kind not in KINDS:
        raise ValueError(f"unknown suppression kind {kind!r}; expected one of {KINDS}")
    rows = [
        {"kind": kind, "value_hash": keyed_hash(kind, v, key), "reason": reason}
        for v in values
        if v and v.strip()
    ]
    return insert_ignore(session, Suppression, rows, ["kind", "value_hash"])


@dataclass(frozen=True)
class OptOutFilter:
    """An in-memory snapshot of the suppression list for one crawl run."""

    key: bytes
    hashes: frozenset[tuple[str, str]]

    @classmethod
    def load(cls, session: Session, key: bytes) -> OptOutFilter:
        rows = session.exec(select(Suppression.kind, Suppression.value_hash)).all()
        return cls(key=key, hashes=frozenset((k, h) for k, h in rows))

    def blocks(
        self,
        *,
        handle: str = "",
        email: str = "",
        name: str = "",
        url: str = "",
    ) -> bool:
        """True if any given identifier is on the list."""
        for kind, value in (("handle", handle), ("email", email), ("name", name), ("url", url)):
            if value and (kind, keyed_hash(kind, value, self.key)) in self.hashes:
                return True
        return False

    def blocks_mention(self, mention: Mention) -> bool:
        """True if the mention's author is on the list (by handle or display name)."""
        return self.blocks(handle=mention.author_handle, name=mention.author_name)

    def blocks_snapshot(self, snapshot: ProfileSnapshot) -> bool:
        """True if the profile's URL, key, name, emails or linked URLs are on the list."""
        person = snapshot.person or {}
        given = str(person.get("given_name") or "")
        family = str(person.get("family_name") or "")
        names = [str(person.get("name") or ""), f"{given} {family}".strip()]
        emails = _strings(person.get("email")) + _strings(person.get("emails"))
        urls = [snapshot.url, snapshot.profile_key, *_strings(person.get("same_as"))]
        return (
            any(self.blocks(name=n) for n in names if n)
            or any(self.blocks(email=e) for e in emails)
            or any(self.blocks(url=u) for u in urls if u)
        )

    def blocks_alumnus_id(self, alumnus_id: str) -> bool:
        """True for an alumnus who was erased or opted out (e.g. on re-import)."""
        return ("alumnus", keyed_hash("alumnus", alumnus_id, self.key)) in self.hashes


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return []


# ---------------------------------------------------------------------------
# Whole-person helpers: what identifies one alumnus, and finding it in text
# ---------------------------------------------------------------------------

#: What replaces a scrubbed name, email or handle in text kept after an erasure.
REDACTED = "[effacé]"


def person_identifiers(
    *,
    first_name: str = "",
    last_name: str = "",
    birth_name: str = "",
    emails: Iterable[str] = (),
    handles: Iterable[str] = (),
    urls: Iterable[str] = (),
) -> dict[str, list[str]]:
    """Every identifier of a person, by suppression kind.

    Names are listed in both orders ("Hélène Durand", "Durand Hélène") and
    with the birth name, because third-party sources write either.
    """
    names: list[str] = []
    for family in (last_name, birth_name):
        if first_name.strip() and family.strip():
            names += [f"{first_name} {family}", f"{family} {first_name}"]
    return {
        "name": _unique(names),
        "email": _unique(e for e in emails if e.strip()),
        "handle": _unique(h.strip().lstrip("@") for h in handles if h.strip().lstrip("@")),
        "url": _unique(u for u in urls if u.strip()),
    }


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        seen.setdefault(v.strip(), None)
    return list(seen)


def add_identifiers(
    session: Session, identifiers: dict[str, list[str]], key: bytes, reason: str = ""
) -> int:
    """Suppress every identifier of a person; returns how many were new."""
    return sum(add(session, kind, values, key, reason) for kind, values in identifiers.items())


def counts_by_kind(session: Session) -> dict[str, int]:
    """How many suppression entries of each kind (the list itself is only hashes)."""
    from sqlalchemy import func

    rows = session.exec(
        select(Suppression.kind, func.count()).group_by(Suppression.kind).order_by(Suppression.kind)
    ).all()
    return {kind: int(n) for kind, n in rows}


def is_suppressed(session: Session, kind: str, value: str, key: bytes) -> bool:
    """True when ``value`` of ``kind`` is on the list (e.g. an erased alumnus id)."""
    h = keyed_hash(kind, value, key)
    row = session.exec(
        select(Suppression.id).where(Suppression.kind == kind, Suppression.value_hash == h)
    ).first()
    return row is not None


#: Case- and accent-folded text (``"HÉLÈNE"`` -> ``"helene"``), for comparisons.
fold = strip_accents


def identifier_pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    """One regex over *folded* text matching any identifier.

    Spaces and hyphens inside a name match any run of spaces or hyphens, so
    "Durand-Petit" finds "durand petit". ``None`` when there is nothing to find.
    """
    parts: list[str] = []
    for value in values:
        tokens = [t for t in re.split(r"[\s\-]+", fold(value).strip().lstrip("@")) if t]
        if tokens:
            parts.append(r"[\s\-]+".join(re.escape(t) for t in tokens))
    if not parts:
        return None
    parts.sort(key=len, reverse=True)
    return re.compile("|".join(parts))


def scrub_text(text: str, pattern: re.Pattern[str] | None) -> str:
    """Replace every accent/case-insensitive match of ``pattern`` with :data:`REDACTED`.

    Matching runs on the folded text; a per-character map brings each match
    back to its span in the original, so the rest of the text is unchanged.
    """
    if pattern is None or not text:
        return text
    folded: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        f = strip_accents(c)
        folded.append(f)
        origin.extend([i] * len(f))
    flat = "".join(folded)
    spans = [
        (origin[m.start()], origin[m.end() - 1] + 1) for m in pattern.finditer(flat) if m.end()
    ]
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end in spans:
        if start < last:
            start = last
        out.append(text[last:start])
        out.append(REDACTED)
        last = end
    out.append(text[last:])
    return "".join(out)


def scrub_json(value: Any, pattern: re.Pattern[str] | None) -> Any:
    """:func:`scrub_text` applied to every string (keys included) of a JSON value."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return scrub_text(value, pattern)
    if isinstance(value, list):
        return [scrub_json(v, pattern) for v in value]
    if isinstance(value, dict):
        return {scrub_text(str(k), pattern): scrub_json(v, pattern) for k, v in value.items()}
    return value
