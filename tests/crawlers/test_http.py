"""The polite HTTP pieces: canonical URLs, Retry-After, token bucket, SSRF guard."""

from __future__ import annotations

import email.utils
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawlers.http import AddressPolicy, Refused, TokenBucket, check_url, retry_after_seconds
from crawlers.normalise import canonical_url, content_hash, html_to_text, snowflake_time

_seg = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~%", min_size=1, max_size=8)
_params = st.lists(
    st.tuples(st.sampled_from(["id", "page", "q", "utm_source", "utm_medium", "fbclid"]), _seg),
    max_size=4,
)


@st.composite
def urls(draw):
    host = draw(st.sampled_from(["Example.ORG", "www.example.org", "univ-exemple.fr"]))
    path = "/".join(draw(st.lists(_seg, max_size=3)))
    query = "&".join(f"{k}={v}" for k, v in draw(_params))
    slash = draw(st.sampled_from(["", "/"]))
    frag = draw(st.sampled_from(["", "#top", "#x=1"]))
    return f"https://{host}/{path}{slash}" + (f"?{query}" if query else "") + frag


@settings(suppress_health_check=[HealthCheck.too_slow])  # the shared CI machine may be busy
@given(urls())
def test_canonical_url_is_idempotent_and_clean(url):
    c = canonical_url(url)
    assert canonical_url(c) == c
    assert "#" not in c and "utm_" not in c and "fbclid" not in c
    assert not c.endswith("/")
    host = urlsplit(c).netloc  # (not split("/"): "https://h?q" has no path)
    assert host == host.lower() and not host.startswith("www.")


@given(urls(), st.sampled_from(["utm_campaign=x", "utm_source=rss&utm_medium=feed"]))
def test_tracking_parameters_do_not_change_identity(url, tracking):
    sep = "&" if "?" in url.split("#")[0] else "?"
    base, _, frag = url.partition("#")
    assert canonical_url(f"{base}{sep}{tracking}" + (f"#{frag}" if frag else "")) == canonical_url(
        url
    )


def test_google_alerts_links_are_unwrapped():
    wrapped = "https://www.google.com/url?rct=j&sa=t&url=https://news.example.org/a%3Futm_source%3Dx&ct=ga"
    assert canonical_url(wrapped) == "https://news.example.org/a"


def test_content_hash_ignores_rt_prefix_links_accents_case():
    a = content_hash("RT @bob: L'Université Exemple recrute ! https://t.co/abc")
    b = content_hash("l'universite exemple RECRUTE https://t.co/zzz")
    assert a == b and a
    assert content_hash("") == ""


def test_html_to_text_never_keeps_code_styles_or_office_xml():
    """Feed summaries pasted from an office suite carry styles and XML islands, not text."""
    fragment = (
        "<p>Prenez rendez-vous</p><xml><w:WordDocument><w:View>Normal</w:View>"
        "<w:LidThemeAsian>X-NONE</w:LidThemeAsian></w:WordDocument></xml>"
        "<style>/* Style Definitions */ table.MsoNormalTable{mso-style-name:x}</style>"
        "<script>alert(1)</script><noscript>js</noscript>au bureau <b>des stages</b>"
    )
    assert html_to_text(fragment) == "Prenez rendez-vous au bureau des stages"


def test_html_to_text_drops_code_and_styles_when_lxml_cannot_parse(monkeypatch):
    """The regex fallback, for markup the parser refuses, drops the same elements."""
    from lxml import html as lxml_html

    def refuse(_markup: str) -> None:
        raise lxml_html.etree.ParserError("Document is empty")

    monkeypatch.setattr("crawlers.normalise.lxml_html.fromstring", refuse)
    fragment = "<p>Salle&nbsp;B</p><STYLE>p{color:red}</STYLE><script>x()</script> ouverte"
    assert html_to_text(fragment) == "Salle B ouverte"


def test_the_vendored_university_feed_reads_as_plain_french():
    """Its items, as the crawler stores them, carry none of the Word markup of the raw feed."""
    import feedparser

    feed = Path(__file__).parents[1] / "fixtures" / "rss" / "unm-backend_univ-paris10_001.rss"
    texts = [html_to_text(e.get("summary", "")) for e in feedparser.parse(feed).entries]
    assert "X-NONE" in feed.read_text(encoding="utf-8")  # the raw feed does carry it
    assert texts and all(t for t in texts)
    assert not any(m in t for t in texts for m in ("X-NONE", "mso-", "Style Definitions", "<"))


def test_snowflake_time_of_a_recorded_tweet():
    assert snowflake_time("1578516068309794817").isoformat().startswith("2022-10-07T22:42")


def test_retry_after_forms():
    assert retry_after_seconds({"retry-after": "7"}, now=0) == 7
    assert retry_after_seconds({"x-rate-limit-reset": "1000"}, now=990) == 10
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_seconds({"Retry-After": date}, now=1_000_000) == pytest.approx(30, abs=1)
    assert retry_after_seconds({}, now=0) is None


def test_token_bucket_spaces_requests():
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    bucket = TokenBucket(2.0, capacity=1, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        bucket.acquire()
    assert sum(slept) == pytest.approx(2.0)  # 4 waits of 0.5 s after the first token


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://localhost:8080/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "file:///etc/passwd",
        "gopher://example.org/",
    ],
)
def test_ssrf_guard_refuses_internal_addresses(url):
    with pytest.raises(Refused):
        check_url(url, AddressPolicy())


def test_ssrf_guard_allows_only_listed_private_hosts():
    policy = AddressPolicy(allowed_hosts=frozenset({("127.0.0.1", 1234)}))
    assert check_url("http://127.0.0.1:1234/feed", policy) == "127.0.0.1"
    for other in ("http://127.0.0.1:1235/", "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(Refused, match="allow_private_hosts"):
            check_url(other, policy)
    with pytest.raises(Refused):
        check_url("file:///etc/passwd", AddressPolicy(allow_all_private=True))
    # The deprecated global switch still opens everything private, not multicast.
    legacy = AddressPolicy(allow_all_private=True)
    assert check_url("http://10.0.0.8:9/", legacy) == "10.0.0.8"
    with pytest.raises(Refused):
        check_url("http://224.0.0.1/", legacy)


def test_ssrf_guard_keeps_the_checked_address_for_a_bounded_time(monkeypatch):
    from crawlers import http

    http._PINNED.clear()
    policy = AddressPolicy()
    check_url("https://93.184.215.14/page", policy)  # a literal: nothing cached
    assert not http._PINNED
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])
    monkeypatch.setattr(http, "load_resolver", lambda _path: lambda _h, _p: next(answers))
    assert check_url("https://news.example.org/a", policy) == "93.184.215.14"
    # Within the TTL the same checked address is used (no second resolution)...
    assert check_url("https://news.example.org/b", policy) == "93.184.215.14"
    # ...and once it expires, the new answer is checked again and refused.
    short = AddressPolicy(cache_seconds=0)
    with pytest.raises(Refused):
        check_url("https://news.example.org/c", short)
    assert ("", "news.example.org", 443) not in http._PINNED
