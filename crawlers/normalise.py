"""What makes two records the same story: canonical URLs and content hashes.

Used by every source (so platform ids built from URLs agree) and by the
runner (so reposts, retweets and syndicated copies are grouped under the
first copy instead of being counted twice).
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import html as lxml_html
from w3lib.url import canonicalize_url

from veille.query import fold

#: Query parameters that only track campaigns or clicks.
_TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_hsenc|_hsmi"
    r"|ref_src|ref_url|xtor|at_medium|at_campaign|s_cid|cmpid|ocid|spm)$",
    re.IGNORECASE,
)
_URL_RE = re.compile(r"https?://\S+")
_RT_PREFIX = re.compile(r"^\s*RT\s+@\w+:\s*", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
#: Elements whose content is never read as text: code, styles and the XML islands that
#: office suites paste into CMS pages (``<xml><w:WordDocument>…``, ``<style>/* Style
#: Definitions */…``). Kept, they would reach the UI and the extractors as words.
NON_TEXT_ELEMENTS = ("script", "style", "noscript", "template", "xml")
_NON_TEXT_XPATH = "|".join(f"//{name}" for name in NON_TEXT_ELEMENTS)
_TAG_RE = re.compile(r"<[^>]+>")
_NON_TEXT_RE = re.compile(
    rf"<({'|'.join(NON_TEXT_ELEMENTS)})\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE
)
_NON_WORD = re.compile(r"[^\w\s]")


#: C0/C1 control characters (but tab and newline), DEL and lone UTF-16 surrogates:
#: PostgreSQL refuses NUL in text and JSON, and none of them is ever meant to be read.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CR = re.compile(r"\r\n?")


def clean_text(value: object, limit: int | None = None) -> str:
    """Untrusted text made safe to store: no control characters, ``\n`` line ends, capped,
    accents composed (Unicode NFC).

    ``limit`` counts characters; a cut text ends with ``…``. Why NFC: some feeds send
    decomposed accents ("cre\u0301ation"); stored as they came, the report's themes read
    "cre ation" and "sistance", and every rule written with "é" missed them.
    """
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if "\r" in text:
        text = _CR.sub("\n", text)
    text = _CONTROL.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


def has_control_characters(text: str) -> bool:
    """True when :func:`clean_text` would remove characters from ``text``."""
    return bool(_CONTROL.search(text))


def clean_json(value: object, *, limit: int = 20000, depth: int = 0) -> object:
    """:func:`clean_text` on every string (keys too) of a JSON-like value; deep nesting cut."""
    if isinstance(value, str):
        return clean_text(value, limit)
    if depth > 30:
        return None
    if isinstance(value, dict):
        return {
            clean_text(k, 200): clean_json(v, limit=limit, depth=depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [clean_json(v, limit=limit, depth=depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return clean_text(value, limit)


def valid_http_url(url: str) -> bool:
    """True for an absolute http(s) URL that parses (host, port); ``http://[x`` does not."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url.strip()


def unwrap_redirect(url: str) -> str:
    """Google Alerts and News wrap links as ``google.com/url?...&url=REAL``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.netloc.endswith("google.com") and parts.path == "/url":
        for key, value in parse_qsl(parts.query):
            if key in ("url", "q") and value.startswith(("http://", "https://")):
                return value
    return url


@lru_cache(maxsize=8192)
def canonical_url(url: str) -> str:
    """Stable form of a URL: lower-case host, no tracking params, fragment or trailing slash.

    Idempotent: ``canonical_url(canonical_url(u)) == canonical_url(u)``. A link
    that is not a valid http(s) URL (``http://[x``) gives ``""``: it is kept as
    text by the caller, never used as a key. Never raises.
    """
    url = unwrap_redirect(url.strip())
    if not url or not valid_http_url(url):
        return ""
    parts = urlsplit(url)
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING.match(k)
        ]
    )
    host = (parts.hostname or "").lower().removeprefix("www.")
    netloc = host
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80)
        or (parts.scheme == "https" and parts.port == 443)
    ):
        netloc = f"{host}:{parts.port}"
    path = parts.path.rstrip("/")
    url = urlunsplit((parts.scheme.lower(), netloc, path, query, ""))
    url = canonicalize_url(url, keep_fragments=False)
    # canonicalize_url may add "/" for an empty path; keep the no-trailing-slash rule.
    scheme, netloc, path, query, _ = urlsplit(url)
    return urlunsplit((scheme, netloc, path.rstrip("/"), query, ""))


def normalised_text(text: str) -> str:
    """Text as compared for duplicates: no RT prefix, links, accents, case or punctuation."""
    text = _RT_PREFIX.sub("", text)
    text = _URL_RE.sub(" ", text)
    text = _NON_WORD.sub(" ", fold(text))
    return _SPACE.sub(" ", text).strip()


def content_hash(text: str, title: str = "") -> str:
    """SHA-256 of the normalised title + text; empty when there is nothing to compare."""
    return hash_normalised(normalised_text(f"{title} {text}"))


def hash_normalised(norm: str) -> str:
    """The content hash of already-normalised text (words joined by single spaces)."""
    if len(norm) < 8:
        return ""
    return hashlib.sha256(norm.encode()).hexdigest()


def needs_cleaning(text: str) -> bool:
    """True when :func:`normalised_text` removes more than case, accents and punctuation."""
    return bool(_URL_RE.search(text) or _RT_PREFIX.match(text))


def strip_tags(fragment: str) -> str:
    """The markup's tags replaced by spaces (regex, no parser); their text content stays.

    For readers that work on the markup itself, and for HTML that lxml cannot parse.
    """
    return _TAG_RE.sub(" ", fragment)


def strip_non_text(fragment: str) -> str:
    """The HTML fragment without the elements of :data:`NON_TEXT_ELEMENTS` (regex, no parser).

    For readers that work on the markup itself, such as the appointment feeds' line splitter.
    """
    return _NON_TEXT_RE.sub(" ", fragment)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (Mastodon content, feed summaries).

    Control characters go first: lxml would turn a NUL into U+FFFD.
    """
    fragment = clean_text(fragment)
    if not fragment or "<" not in fragment:
        return html.unescape(fragment or "").strip()
    try:
        doc = lxml_html.fromstring(f"<div>{fragment}</div>")
    except (ValueError, lxml_html.etree.ParserError):
        text = strip_tags(strip_non_text(fragment))
        return _SPACE.sub(" ", html.unescape(text)).strip()
    # text_content() would keep the content of these elements.
    for el in doc.xpath(_NON_TEXT_XPATH):
        el.drop_tree()
    for br in doc.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for p in doc.iter("p"):
        p.tail = "\n" + (p.tail or "")
    return _SPACE.sub(" ", doc.text_content()).strip()


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 (with ``Z``) to an aware UTC datetime; None when absent or invalid."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


#: X/Twitter snowflake epoch (ms): ids encode their creation time.
_TWITTER_EPOCH_MS = 1288834974657


def snowflake_time(tweet_id: str) -> datetime:
    """Creation time of a tweet from its id (used when ``created_at`` was not requested)."""
    ms = (int(tweet_id) >> 22) + _TWITTER_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
