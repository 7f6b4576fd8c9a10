"""One URL guard for web pages and reports: never a script, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.render import environment
from reports.render import safe_url as report_url
from veille.urls import http_url
from web.render import safe_url as page_url


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("  http://example.org  ", "http://example.org"),
        ("HTTPS://EXAMPLE.ORG", "HTTPS://EXAMPLE.ORG"),
        ("javascript:alert(1)", ""),
        ("data:text/html,<script>", ""),
        ("//example.org/x", ""),
        ("/relative", ""),
        ("http://[::1", ""),  # urlsplit raises ValueError: a bad URL must not break a report
        ("http://exa\nmple.org", ""),
        (None, ""),
    ],
)
def test_http_url(value: object, expected: str) -> None:
    assert http_url(value) == expected
    assert page_url(value) == expected
    assert report_url(value) == (expected or "#")


def test_reports_and_pages_share_the_implementation() -> None:
    assert page_url is http_url
    assert environment().filters["url"]("http://[::1") == "#"


@given(st.text())
def test_never_raises(value: str) -> None:
    out = http_url(value)
    assert out == "" or out.lower().startswith(("http://", "https://"))
