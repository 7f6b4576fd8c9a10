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
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir
from sqlmodel import Session, select

from store.db import insert_ignore
from store.models import Suppression

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
    value = unicodedata.normalize("NFKD", value.strip())
    value = "".join(c for c in value if not unicodedata.combining(c)).casefold()
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
