"""The one test of "may this untrusted URL become a link?", for web pages and reports alike."""

from __future__ import annotations

from urllib.parse import urlsplit


def http_url(value: object) -> str:
    """``value`` if it is an absolute http(s) URL, else ``""``.

    Never a ``javascript:``/``data:`` URL, never a relative one; a value that
    :func:`urllib.parse.urlsplit` cannot even parse (``http://[::1``) is
    refused instead of raising, so one bad URL in scraped data cannot break
    a page or a report.
    """
    text = str(value or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if any(c in text for c in "\x00\r\n\t"):
        return ""
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else ""
