"""Signed, expiring links that let an alumnus answer a suggestion without an account.

The token is an itsdangerous ``URLSafeTimedSerializer`` payload holding only
the suggestion id, signed with the ``links`` key derived from the web secret
key (:mod:`web.keys`: the webhook or session keys cannot sign one) and a
purpose salt; its age is checked when it is opened (30 days unless
configured otherwise).
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from veille.config import Settings
from veille.errors import ConfigError, VeilleError
from veille.i18n import gettext as _
from web.keys import derive_key

SALT = "veille.self-confirmation"
DEFAULT_MAX_AGE_DAYS = 30


class LinkError(VeilleError):
    """A self-confirmation link is invalid or expired."""

    translated = True


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    """Signs with the ``links`` key derived from ``secret_key`` (the master key)."""
    return URLSafeTimedSerializer(derive_key(secret_key, "links"), salt=SALT)


def make_token(secret_key: str, suggestion_id: int) -> str:
    return _serializer(secret_key).dumps({"s": int(suggestion_id)})


def read_token(secret_key: str, token: str, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> int:
    """The suggestion id in ``token``; :class:`LinkError` if forged or too old."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age_days * 86400)
    except SignatureExpired as exc:
        raise LinkError(_("This link has expired: ask the alumni office for a new one.")) from exc
    except BadSignature as exc:
        raise LinkError(_("This link is not valid.")) from exc
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise LinkError(_("This link is not valid."))
    return int(data["s"])


def self_confirmation_link(
    settings: Settings, suggestion_id: int, *, secret_key: str | None = None
) -> str:
    """The absolute URL an alumnus opens to confirm, correct or opt out.

    Uses ``VEILLE_SECRET_KEY`` (the same key ``veille serve`` signs with);
    ``secret_key`` overrides it (the UI passes its own key, e.g. in --dev).
    """
    key = secret_key or settings.secret("web_secret_key")
    if not key:
        raise ConfigError(_("set VEILLE_SECRET_KEY to sign self-confirmation links"))
    base = settings.web.base_url.rstrip("/")
    return f"{base}/confirm/{make_token(key, suggestion_id)}"
