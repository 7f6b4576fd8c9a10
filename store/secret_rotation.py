"""Which generation of a rotatable derived secret is current (today: the webhook secret).

The secret itself is never stored: it is derived from ``VEILLE_SECRET_KEY``
with the purpose, the generation and a random salt kept here (see
:mod:`web.keys`). Rotating writes a new generation and salt; every web
worker reads the row, so they all sign with the new secret at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from store.models import SecretRotation
from store.types import utcnow

ROTATABLE = ("webhooks",)


@dataclass(frozen=True)
class Generation:
    """The current generation of one purpose's secret (0 = never rotated)."""

    purpose: str
    generation: int
    salt: str
    rotated_at: datetime | None
    rotated_by: str

    @property
    def label(self) -> str:
        """What key derivation mixes in: generation and salt."""
        return f"{self.generation}:{self.salt}"


def current(session: Session, purpose: str) -> Generation:
    if purpose not in ROTATABLE:
        raise ValueError(f"{purpose!r} is not a rotatable secret")
    row = session.get(SecretRotation, purpose)
    if row is None:
        return Generation(purpose, 0, "", None, "")
    return Generation(purpose, row.generation, row.salt, row.rotated_at, row.rotated_by)


def rotate(session: Session, purpose: str, *, actor: str) -> Generation:
    """Start a new generation with a fresh random salt; the previous secret stops working."""
    if purpose not in ROTATABLE:
        raise ValueError(f"{purpose!r} is not a rotatable secret")
    row = session.get(SecretRotation, purpose, with_for_update=True)
    now = utcnow()
    if row is None:
        row = SecretRotation(purpose=purpose, generation=0)
    row.generation += 1
    row.salt = secrets.token_hex(16)
    row.rotated_at = now
    row.rotated_by = actor[:150]
    session.add(row)
    session.flush()
    return Generation(purpose, row.generation, row.salt, row.rotated_at, row.rotated_by)
