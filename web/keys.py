"""One secret per purpose, derived from ``VEILLE_SECRET_KEY``.

Whoever checks our webhooks (a CRM) must hold the webhook secret; it must
not be able to forge an admin session or an alumnus's confirmation link
with it. So nothing is ever signed with ``VEILLE_SECRET_KEY`` itself: each
purpose gets its own key, derived with HKDF-SHA256 (RFC 5869, from the
``cryptography`` package) and a purpose label. HKDF outputs for different
labels are independent, and none reveals the master key, so holding one
says nothing about the others.

* ``session``: signs the session cookie's random id;
* ``csrf``: makes the anonymous visitor's CSRF token from its random seed;
* ``links``: signs self-confirmation links;
* ``webhooks``: the secret the receiver checks ``X-Veille-Signature``
  with. It is shown to admins and *rotatable*: its label also carries the
  generation and random salt stored in ``secret_rotation``
  (:mod:`store.secret_rotation`), so a rotation changes it alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from functools import cached_property

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from store.db import session_scope
from store.secret_rotation import Generation, current, rotate

PURPOSES = ("session", "csrf", "links", "webhooks")
#: HKDF salt: fixed and public (it separates veille's keys from any other use of the master).
_SALT = b"veille/key-derivation/v1"
WEBHOOK_SECRET_PREFIX = "vwh_"  # noqa: S105 (a prefix, not a secret)


def derive_key(master: str, purpose: str, context: str = "") -> bytes:
    """32 bytes for ``purpose`` (and ``context``, e.g. a rotation generation)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    info = f"veille/{purpose}/{context}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(master.encode())


def sign(key: bytes, message: str) -> str:
    """URL-safe HMAC-SHA256 of ``message`` (no padding)."""
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verify(key: bytes, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(key, message), signature)


@dataclass(frozen=True)
class KeyRing:
    """The derived keys of one installation (built once by :func:`web.app.create_app`)."""

    master: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.master:
            raise ValueError("the master secret key is empty")

    @cached_property
    def session(self) -> bytes:
        return derive_key(self.master, "session")

    @cached_property
    def csrf(self) -> bytes:
        return derive_key(self.master, "csrf")

    @cached_property
    def links(self) -> bytes:
        return derive_key(self.master, "links")

    def webhook_secret(self, generation: Generation) -> str:
        """The webhook secret of ``generation``, as shown to admins and used as HMAC key."""
        raw = derive_key(self.master, "webhooks", generation.label)
        return WEBHOOK_SECRET_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def current_webhook_secret(db_url: str, ring: KeyRing) -> tuple[Generation, str]:
    """The generation in force (read from the database, so every worker agrees) and its secret."""
    with session_scope(db_url) as session:
        generation = current(session, "webhooks")
    return generation, ring.webhook_secret(generation)


def rotate_webhook_secret(db_url: str, ring: KeyRing, *, actor: str) -> tuple[Generation, str]:
    """Start a new webhook secret; the old one stops verifying at once."""
    with session_scope(db_url) as session:
        generation = rotate(session, "webhooks", actor=actor)
    return generation, ring.webhook_secret(generation)
