"""Each error shape the crawlers write reads as a French sentence from the catalogue.

The errors of crawlers/http.py are raised by the real code (status mapping, retry
policy, address guard, redirects, JSON); the others are the exact strings of their
raise sites (web.py, feeds.py, the API sources, runner.py), which need a scrapy child
process, a platform or a whole run to produce.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import requests

from crawlers.failure_reasons import REASONS, explain
from crawlers.http import (
    AddressPolicy,
    FetchError,
    PoliteClient,
    RetryPolicy,
    check_url,
    raise_for_status,
)
from veille.i18n import gettext, set_locale

URL = "https://www.univ-exemple.fr/actualites/feed"
#: A public address written as a literal: checked without any DNS, never contacted.
PUBLIC = "http://93.184.215.14/feed"


@pytest.fixture(autouse=True)
def french() -> None:
    set_locale("fr")


def no_such_name(host: str, port: int) -> list[str]:
    """A resolver (setting ``dns_resolver``) for which no name exists."""
    raise OSError(-2, "Name or service not known")


def _raised(call: Callable[[], Any]) -> str:
    with pytest.raises(FetchError) as info:
        call()
    return str(info.value)


class _Answer:
    def __init__(self, status: int, headers: dict[str, str] | None = None, body: bytes = b""):
        self.status_code, self.headers, self.content = status, headers or {}, body


def _retried(send: Callable[[], _Answer]) -> _Answer:
    return RetryPolicy(max_retries=1, sleep=lambda _s: None).run(send, url=URL)


def _fail(exc: Exception) -> Callable[[], _Answer]:
    def send() -> _Answer:
        raise exc

    return send


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> PoliteClient:
    client = PoliteClient(requests_per_second=0, retry=RetryPolicy(max_retries=0))
    client._client = httpx.Client(transport=httpx.MockTransport(handler))
    return client


def _redirect(location: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(302, headers={"location": location})


HTTP_SHAPES = [
    (lambda: raise_for_status(URL, 401), "La plateforme demande une identification (HTTP 401)"),
    (lambda: raise_for_status(URL, 403), "Le site refuse l'accès (HTTP 403)."),
    (lambda: raise_for_status(URL, 451), "indisponible pour des raisons légales (HTTP 451)"),
    (lambda: raise_for_status(URL, 404), "La page ou le compte n'existe plus (HTTP 404)."),
    (lambda: raise_for_status(URL, 410), "La page ou le compte n'existe plus (HTTP 410)."),
    (lambda: raise_for_status(URL, 400), "Le serveur a refusé la requête (HTTP 400)."),
    (lambda: raise_for_status(URL, 502), "Le serveur est en erreur (HTTP 502)"),
    (lambda: _retried(lambda: _Answer(503)), "Le serveur est en erreur (HTTP 503)"),
    (lambda: _retried(lambda: _Answer(403)), "Le site refuse l'accès (HTTP 403)."),
    (
        lambda: _retried(lambda: _Answer(200, body=b'<div class="g-recaptcha"></div>')),
        "Le site a répondu par une page de captcha",
    ),
    (
        lambda: _retried(lambda: _Answer(429, {"Retry-After": "120"})),
        "nouvel essai dans 120 s.",
    ),
    (
        lambda: _retried(lambda: _Answer(429, {"Retry-After": "0"})),
        "La plateforme a continué de limiter le nombre de requêtes",
    ),
    (lambda: _retried(_fail(httpx.ConnectTimeout("timed out"))), "n'a pas répondu à temps"),
    (lambda: _retried(_fail(httpx.ReadTimeout("The read operation timed out"))), "à temps"),
    (
        lambda: _retried(_fail(httpx.ConnectError("[Errno 111] Connection refused"))),
        "Le site est injoignable.",
    ),
    (
        lambda: _retried(_fail(httpx.ConnectError("All connection attempts failed"))),
        "Le site est injoignable.",
    ),
    (
        lambda: _retried(
            _fail(
                httpx.ConnectError(
                    "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                    "self-signed certificate (_ssl.c:1000)"
                )
            )
        ),
        "Le certificat de sécurité du site n'est pas valide.",
    ),
    (
        lambda: _retried(
            _fail(
                requests.ConnectionError(
                    "HTTPSConnectionPool(host='www.univ-exemple.fr', port=443): Max retries "
                    "exceeded with url: /feed (Caused by NewConnectionError('failed to connect "
                    "to www.univ-exemple.fr: [Errno 111] Connection refused'))"
                )
            )
        ),
        "Le site est injoignable.",
    ),
    (lambda: check_url("http://127.0.0.1:8080/feed"), "L'adresse mène à un réseau privé ou local"),
    (lambda: check_url("http://169.254.169.254/latest"), "réseau privé ou local"),
    (lambda: check_url("ftp://www.univ-exemple.fr/feed"), "n'est pas une adresse web valide"),
    (lambda: check_url("http:///feed"), "n'est pas une adresse web valide"),
    (
        lambda: check_url(
            "https://nowhere.univ-exemple.fr/",
            AddressPolicy(resolver_path="tests.crawlers.test_failure_reasons:no_such_name"),
        ),
        "Le nom du site est introuvable (DNS)",
    ),
    (
        lambda: _client(_redirect(PUBLIC)).get(PUBLIC),
        "L'adresse redirige en boucle (trop de redirections).",
    ),
    (  # httpx itself refuses the location (RemoteProtocolError), retried as no answer
        lambda: _client(_redirect("http://[::1")).get(PUBLIC),
        "Le site redirige vers une adresse invalide.",
    ),
    (
        lambda: PoliteClient.json_of(
            httpx.Response(200, content=b"<html>", request=httpx.Request("GET", URL))
        ),
        "La réponse de la plateforme est illisible (JSON invalide).",
    ),
    (
        lambda: PoliteClient.json_of(
            httpx.Response(
                200,
                content=b'{"error": "Search is temporarily unavailable (HTTP 404)"}',
                request=httpx.Request("GET", URL),
            ),
            expect="statuses",
        ),
        "La plateforme a répondu par un message d'erreur au lieu de résultats.",
    ),
]


@pytest.mark.parametrize(("call", "expected"), HTTP_SHAPES)
def test_errors_raised_by_the_http_layer(call: Callable[[], Any], expected: str) -> None:
    raw = _raised(call)
    reason = explain(raw)
    assert reason is not None and expected in reason, (raw, reason)


#: The exact strings of the raise sites that need a whole crawl to produce.
WRITTEN = [
    # crawlers/web.py
    (
        "robots.txt could not be read: the site counts as forbidden until it can (RFC 9309)",
        "Le fichier robots.txt du site n'a pas pu être lu : tant qu'il ne peut pas l'être, "
        "le site est considéré comme fermé à la collecte.",
    ),
    (
        "every page refused (blocked 3, robots None)",
        "Toutes les pages ont été refusées, par le site (403 ou captcha) ou par les règles "
        "de son fichier robots.txt.",
    ),
    (
        "every page refused (blocked None, robots 12)",
        "Toutes les pages ont été refusées, par le site (403 ou captcha) ou par les règles "
        "de son fichier robots.txt.",
    ),
    (
        "2 request(s) refused by the address guard",
        "L'adresse mène à un réseau privé ou local, que les collecteurs n'ont pas le droit "
        "de joindre.",
    ),
    (
        "4 page(s) answered 403 or a captcha; robots.txt unreachable on 1 site(s)",
        "Certaines pages ont refusé l'accès (403 ou captcha) ; les autres ont été collectées.",
    ),
    (
        "robots.txt unreachable on 2 site(s)",
        "Le fichier robots.txt de certains sites n'a pas pu être lu ; leurs pages ont été "
        "ignorées.",
    ),
    (
        "scrapy worker exited with 1: Traceback (most recent call last):\n  ...\n"
        "twisted.internet.error.TimeoutError: User timeout caused connection failure: HTTP 404",
        "Le collecteur web s'est arrêté de façon inattendue ; nouvel essai au prochain passage.",
    ),
    # crawlers/feeds.py (parse errors wrapped as f"{url}: {exc}"; the warning of a partial feed)
    (
        f"{URL}: not a feed (<unknown>:1:0: syntax error)",
        "L'adresse ne fournit pas de flux lisible (RSS, Atom ou JSON Feed).",
    ),
    (f"{URL}: not a feed (no entries)", "L'adresse ne fournit pas de flux lisible"),
    (
        f"{URL}: invalid JSON feed: Expecting value: line 1 column 2 (char 1)",
        "L'adresse ne fournit pas de flux lisible",
    ),
    (f"{URL}: JSON without feed items", "L'adresse ne fournit pas de flux lisible"),
    (
        f"{URL}: malformed feed (<unknown>:12:3: mismatched tag); kept 9 entries",
        "Le flux est en partie mal formé ; ses entrées lisibles ont été conservées.",
    ),
    # crawlers/reddit.py, mastodon.py, bluesky.py, twitter.py
    (
        "https://www.reddit.com/r/univ/new.json: unexpected answer (no listing)",
        "La réponse de la plateforme n'a pas la forme attendue.",
    ),
    (
        "https://mastodon.social/api/v1/timelines/tag/univ: "
        "unexpected answer (no list of statuses)",
        "La réponse de la plateforme n'a pas la forme attendue.",
    ),
    (
        "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts: "
        "unexpected answer (no list of posts)",
        "La réponse de la plateforme n'a pas la forme attendue.",
    ),
    ("X/Twitter: no account named @univexemple", "Aucun compte ne porte (plus) ce nom."),
    # crawlers/http.py, PoliteClient.get: a location httpx accepts but cannot join
    (
        f"{URL}: invalid redirect location (Invalid port: ':x')",
        "Le site redirige vers une adresse invalide.",
    ),
    # crawlers/runner.py
    (
        "not asked: 127.0.0.1:9 did not answer (http://127.0.0.1:9#hoot)",
        "Non interrogée lors de ce passage : une autre cible du même site n'a pas répondu.",
    ),
    (
        "deferred until 14:05:09 UTC (platform rate limit)",
        "Reportée : la plateforme limite le nombre de requêtes ; nouvel essai après 14:05 UTC.",
    ),
    # crawlers/runner.py: a skipped source's warning carries the date
    (
        "deferred until 2026-12-05 14:05:09 UTC (platform rate limit)",
        "nouvel essai après 14:05 UTC.",
    ),
    # crawlers/runner.py: a source's error names its failing targets (the crawl's note)
    (
        "https://nowhere.invalid/feed: cannot resolve nowhere.invalid: [Errno -2] Name or "
        "service not known",
        "Le nom du site est introuvable (DNS)",
    ),
    (
        "2 of 3 targets failing: https://a.example/: refusing 'ftp://a.example/': only http "
        "and https are fetched; https://b.example/: HTTP 503",
        "n'est pas une adresse web valide",
    ),
    # crawlers/runner.py: warnings of a run cut short on purpose
    ("daily budget of 500 items reached", "Le budget quotidien de 500 éléments est atteint"),
    (
        "budget reached (200 items this run, 900 today; limits 200/run, 5000/day)",
        "Le budget est atteint après 200 éléments",
    ),
    ("stopped after 3 stored batch(es) (SIGTERM)", "Arrêtée à la demande"),
    ("not started: stopping", "Non lancée : la collecte était en cours d'arrêt."),
]


@pytest.mark.parametrize(("raw", "expected"), WRITTEN)
def test_errors_written_by_crawls(raw: str, expected: str) -> None:
    reason = explain(raw)
    assert reason is not None and expected in reason, (raw, reason)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "RuntimeError: boom",  # the runner's catch-all: a bug, not a known shape
        "ConfigError: source 'news': list feed URLs in targets",
        "something nobody wrote yet",
    ],
)
def test_an_unknown_error_has_no_explanation(raw: str) -> None:
    assert explain(raw) is None


def test_english_reads_the_msgids() -> None:
    set_locale("en")
    try:
        assert explain(f"{URL}: HTTP 404") == "The page or account no longer exists (HTTP 404)."
    finally:
        set_locale("fr")


def test_every_row_is_translated_and_no_raw_text_leaks() -> None:
    """No row reads as its English msgid in French, and none repeats a URL or exception."""
    for pattern, message in REASONS:
        assert gettext(message, "fr") != message, pattern.pattern
        assert "://" not in message and "Error" not in message, pattern.pattern


def test_a_source_report_notes_its_reason() -> None:
    """What `veille crawl` and `veille run` print for a source: the reason, else the raw text."""
    from crawlers.runner import SourceReport

    down = SourceReport("news", "rss", status="down", error=f"{URL}: cannot resolve x: no address")
    assert down.note() == "Le nom du site est introuvable (DNS) : vérifiez l'adresse."
    budget = SourceReport("news", "rss", warning="daily budget of 5 items reached")
    assert budget.note().startswith("Le budget quotidien de 5 éléments est atteint")
    assert SourceReport("news", "rss", error="RuntimeError: boom").note() == "RuntimeError: boom"
    assert SourceReport("news", "rss").note() == ""
